"""Peer review, the last Pizazz stage: the facilitator gets a one-time code, a trusted colleague from
another team redeems it in a private chat, reads the round without anyone's name, and replies with
comments that the team then sees in its group.

Only a keyed hash of the code is stored, and a code works once: whoever holds the database cannot
turn a row back into a working code, and a forwarded code is useless after its first use.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes

from conversations.texts import peer_review as texts
from conversations.texts import refusals, welcome
from piebot import clock
from piebot.storage import peer_reviews, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.outbox import PROMPT_FILL, pending_id
from piebot.telegram import links, replies
from piebot.telegram.delivery.outbox import in_reply_to, queue_message
from piebot.telegram.guards import chat_admin_ids, in_group, is_admin
from piebot.telegram.people import onboarding
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

LINK = "p"  # deep link: the facilitator fetches a code in private
# No 0/O, 1/I/L: the code is read off one screen and typed on another.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MESSAGE_LIMIT = 4000


def new_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))


def code_hash(secret: bytes, code: str) -> str:
    normalised = re.sub(r"[^A-Z0-9]", "", code.upper())
    return hmac.new(secret, b"peer-review:" + normalised.encode(), hashlib.sha256).hexdigest()


# --- the facilitator asks for a code ------------------------------------------------------------


async def _may_facilitate(update: Update, context, team_id: int) -> bool:
    if await is_admin(update, context):
        return True
    user = update.effective_user
    if user is None:
        return False
    member = await runtime_of(context).read(lambda s: teams.member_of(s, team_id, user.id))
    return member is not None and member.active and member.facilitator


async def peerreview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(welcome.GROUP_ONLY)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    user_id = update.effective_user.id if update.effective_user else None
    team, round_, member = await rt.read(lambda s: peer_reviews.team_round_and_member(s, chat_id, user_id))
    if team is None:
        await message.reply_html(welcome.NOT_SET_UP)
        return
    if not await _may_facilitate(update, context, team.id):
        await message.reply_html(refusals.FACILITATOR_ONLY)
        return
    if message.sender_chat is not None:
        await message.reply_html(texts.WRITE_AS_YOURSELF)
        return
    if round_ is None:
        await message.reply_html(texts.NO_CLOSED_ROUND)
        return
    user = update.effective_user
    if member is not None and member.active and member.private_chat:
        try:
            await issue_code(context.application, user.id, team.id)
            await message.reply_html(texts.CODE_SENT_PRIVATELY)
            return
        except Forbidden:
            pass  # they closed the private chat since; the link below opens it again
    payload = links.sign(rt.settings.secret_bytes(), LINK, team.id, user.id)
    url = f"https://t.me/{context.bot.username}?start={payload}"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(texts.GET_CODE_BUTTON, url=url)]])
    await message.reply_html(texts.GET_CODE_PRIVATELY, reply_markup=keyboard)


async def issue_code(app: Application, user_id: int, team_id: int) -> bool:
    """Make a code for the team's last closed round and send it to `user_id` in private.
    The row is written first: a code that was shown must work."""
    rt = app.bot_data["runtime"]
    code = new_code()
    hashed = code_hash(rt.settings.secret_bytes(), code)
    now = clock.now()
    expires_on = await rt.apply(None, lambda s: peer_reviews.record_code(s, team_id, hashed, now))
    if expires_on is None:
        await app.bot.send_message(user_id, texts.NO_CLOSED_ROUND)
        return False
    await app.bot.send_message(user_id, texts.code_for_facilitator(code, expires_on))
    return True


async def _from_link(update: Update, context: ContextTypes.DEFAULT_TYPE, grant: links.Grant) -> None:
    """The signed link proves who asked; their right to a code is checked again now."""
    rt = runtime_of(context)
    user = update.effective_user
    team, member = await rt.apply(update, lambda s: peer_reviews.open_private_chat(s, grant.ref, user.id))
    if team is None:
        await update.effective_message.reply_html(welcome.BAD_LINK)
        return
    allowed = member is not None and member.active and member.facilitator
    if not allowed:
        try:
            allowed = user.id in await chat_admin_ids(context, team.chat_id)
        except TelegramError:
            allowed = False
    if not allowed:
        log.warning("peer review link refused: no longer facilitator or admin")
        await update.effective_message.reply_html(refusals.FACILITATOR_ONLY)
        return
    await issue_code(context.application, user.id, team.id)


# --- the reviewer redeems it ------------------------------------------------------------------------


def _chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    parts, current = [], ""
    for line in text.split("\n"):
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return parts


async def review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if chat.type != ChatType.PRIVATE:
        await message.reply_html(texts.HOW_TO_REDEEM)
        return
    if not context.args:
        await message.reply_html(texts.HOW_TO_REDEEM)
        return
    rt = runtime_of(context)
    hashed = code_hash(rt.settings.secret_bytes(), "".join(context.args))
    user_id = update.effective_user.id

    def redeem(session):
        outcome = peer_reviews.redeem(session, hashed, user_id, clock.now())
        if isinstance(outcome, peer_reviews.Redeemed):
            # The code is spent in the transaction that queues the round for the reviewer, and the
            # question for their comments is saved with it: a crash cannot leave them with neither.
            parts = _chunks(texts.reviewer_view(outcome.framework, outcome.pack))
            for part in parts[:-1]:
                queue_message(session, chat.id, part)
            asked = queue_message(session, chat.id, parts[-1], fill=PROMPT_FILL,
                                  reply_markup=ForceReply(input_field_placeholder=texts.COMMENTS_PLACEHOLDER))
            peer_reviews.keep_prompt(session, chat.id, pending_id(asked), outcome.team_id, outcome.round_id)
        return outcome

    try:
        outcome = await rt.apply(update, redeem)
    except AlreadyDone:
        return
    if outcome == peer_reviews.INVALID:
        log.warning("peer review code refused")
        await message.reply_html(texts.code_not_valid())
        return
    if outcome == peer_reviews.OWN_TEAM:
        await message.reply_html(texts.NOT_FOR_OWN_TEAM)
        return


# --- the reviewer's comments go to the team ---------------------------------------------------------


async def on_comment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if chat is None or chat.type != ChatType.PRIVATE or message.reply_to_message is None or user is None:
        return False
    rt = runtime_of(context)
    replied = message.reply_to_message.message_id
    prompt = await rt.read(lambda s: peer_reviews.prompt_replied_to(s, chat.id, replied))
    if prompt is None:
        return False
    kind = "text" if message.text is not None else "other"
    problem = refusals.answer_problem(message.text, kind)
    if problem:
        await message.reply_html(problem)
        return True
    text = message.text.strip()
    replying = in_reply_to(message)

    def comment(session) -> int | None:
        group_id = peer_reviews.add_comments(session, prompt.round_id, prompt.team_id, user.id, text,
                                             (chat.id, replied), clock.now())
        if group_id is not None:
            # The team's copy and the reviewer's receipt are committed with the comments.
            queue_message(session, group_id,
                          texts.comments_for_team(user.first_name, [text[:peer_reviews.COMMENT_CHARS]]))
            queue_message(session, chat.id, texts.comments_sent(), **replying)
        return group_id

    try:
        group_id = await rt.apply(update, comment)
    except AlreadyDone:
        return True
    if group_id is None:
        await message.reply_html(texts.code_not_valid())
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("peerreview", peerreview))
    app.add_handler(CommandHandler("review", review))
    onboarding.DEEP_LINKS[LINK] = _from_link
    replies.add_consumer(app, on_comment)
