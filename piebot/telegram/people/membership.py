"""People leaving the team's chat, and the chat becoming a supergroup (a new chat id).

With privacy mode on the bot still receives service messages (someone left, the group was
upgraded); as an admin it also receives chat_member updates. Both are handled, and either
alone is enough.

The /join link is checked against the group: someone who left is refused, but a check that could
not reach Telegram is not a refusal (see piebot.telegram.guards).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import Application, ChatMemberHandler, ContextTypes, MessageHandler, filters

from conversations.texts.onboarding import not_in_group
from conversations.texts.refusals import TELEGRAM_UNREACHABLE
from piebot.storage import membership
from piebot.storage.db import AlreadyDone
from piebot.telegram import links
from piebot.telegram.guards import TelegramUnreachable, forget_admins, member_status
from piebot.telegram.people import onboarding
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

# Facts about the chat must be recorded whatever else claims the update, so they get a group
# of their own that runs before the features (and before the gatekeeper, which only stops commands).
GROUP = -10

GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
ON_CHAT_MIGRATED = "on_chat_migrated"


async def on_migration(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat_id = update.effective_chat.id
    if message.migrate_to_chat_id:
        old, new = chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, chat_id
    else:
        return
    await move_chat(context.application, old, new, update=update)


async def move_chat(app: Application, old: int, new: int, *, update: Update | None = None) -> None:
    rt: Runtime = app.bot_data["runtime"]
    rt.admin_cache.pop(old, None)
    rt.admin_cache.pop(new, None)
    try:
        moved = await rt.apply(update, lambda s: membership.move_chat(s, old, new))
    except AlreadyDone:
        return
    if moved:
        log.info("team moved to its supergroup's new chat id")
        # Messages of the old group can't be edited or answered under the new id: features with
        # live messages (a round's card) post them afresh. async fn(app, new_chat_id).
        for hook in app.bot_data.get(ON_CHAT_MIGRATED, []):
            try:
                await hook(app, new)
            except Exception:  # noqa: BLE001 - one feature's trouble must not stop the others
                log.exception("a feature failed to carry on after a chat migration")


async def on_member_left(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    gone = update.effective_message.left_chat_member
    if gone is None or gone.id == context.bot.id:
        return  # the bot itself leaving is handled as my_chat_member (the team is paused)
    await _inactive(update, context, gone.id)


async def on_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.chat_member
    forget_admins(context, change.chat.id)  # a promotion or demotion changes who may do what
    if change.new_chat_member.status in GONE and change.old_chat_member.status not in GONE:
        await _inactive(update, context, change.new_chat_member.user.id)


async def _inactive(update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    chat_id = update.effective_chat.id
    try:
        changed = await runtime_of(context).apply(update, lambda s: membership.member_left(s, chat_id, user_id))
    except AlreadyDone:
        return
    if changed:
        log.info("a member left a team's chat and is no longer counted")


PRESENT = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER,
           ChatMemberStatus.RESTRICTED)


def _only_while_in_the_group(open_private):
    """The /join link is kept in chat history: it must not bring back someone who has left or was removed."""

    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE, grant: links.Grant) -> None:
        team = await runtime_of(context).read(lambda s: membership.team_of_link(s, grant.ref))
        if team is not None:
            try:
                # None: the bot itself is out of the group, so there is nothing to connect to.
                status = await member_status(context, team.chat_id, grant.user_id)
            except TelegramUnreachable:
                # Not a "no": nothing changes, and they are asked to try again.
                await update.effective_message.reply_html(TELEGRAM_UNREACHABLE)
                return
            if status not in PRESENT:
                log.warning("join link refused: the person is no longer in the group")
                await update.effective_message.reply_html(not_in_group(team.name or team.chat_title))
                return
        await open_private(update, context, grant)

    guarded.checks_membership = True
    return guarded


def register(app: Application) -> None:
    if not getattr(onboarding.DEEP_LINKS["j"], "checks_membership", False):
        onboarding.DEEP_LINKS["j"] = _only_while_in_the_group(onboarding.DEEP_LINKS["j"])
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migration), group=GROUP)
    app.add_handler(MessageHandler(filters.StatusUpdate.LEFT_CHAT_MEMBER, on_member_left), group=GROUP)
    app.add_handler(ChatMemberHandler(on_chat_member, ChatMemberHandler.CHAT_MEMBER), group=GROUP)
    # A send to the old id after the upgrade: the rate limiter resends to the new id and tells us.
    limiter = app.bot.rate_limiter
    hooks = getattr(limiter, "on_chat_migrated", None)
    if hooks is not None:

        async def moved(old: int, new: int) -> None:
            await move_chat(app, old, new)

        hooks.append(moved)
