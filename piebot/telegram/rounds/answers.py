"""What members say at the stages of a live round: replies to the stage questions in the group, or
messages in their private chat; actions with an owner; and taking back one's own answers."""

from __future__ import annotations

import html
import logging

from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from conversations.actions import action_line, read_action
from conversations.errors import NotAllowed
from conversations.texts import assess as texts
from conversations.texts import refusals
from framework import Stage
from piebot.storage import rounds, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Dialog, Evidence, Member, Prompt, Round, Team, utcnow
from piebot.telegram import callbacks
from piebot.telegram.guards import in_group
from piebot.telegram.rounds.card import editor_of, framework_of, load_state
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

WITHDRAW = "ev"  # a member takes back one of their own answers (named rounds)


def _content(message: Message) -> tuple[str | None, str, str | None]:
    """(kind, text, file id) of a message: photos by their largest size, captions as text."""
    if message.text is not None:
        return "text", message.text, None
    caption = message.caption or ""
    if message.photo:
        return "photo", caption, message.photo[-1].file_id
    if message.voice is not None:
        return "voice", caption, message.voice.file_id
    if message.document is not None:
        return "document", caption, message.document.file_id
    return None, caption, None


async def on_group_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A reply to a stage question in the group. Returns whether it was one."""
    message = update.message  # an edit of an earlier reply is not a new answer
    if message is None or not in_group(update) or message.reply_to_message is None:
        return False
    rt = runtime_of(context)
    chat_id, replied = update.effective_chat.id, message.reply_to_message.message_id
    prompt = await rt.read(
        lambda s: s.exec(
            select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == replied, Prompt.purpose == "stage")
        ).first()
    )
    if prompt is None:
        return False
    await _take(update, context, prompt.round_id, prompt.element_id, Stage(prompt.stage), private=False)
    return True


async def on_private_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A message in someone's private chat while their team's live round is at a stage.

    Rounds in people's own time own the private chat while they run, so this takes a message only
    when none of the person's teams has one open (a team has at most one open round)."""
    message = update.message
    user = update.effective_user
    if message is None or user is None or update.effective_chat.type != ChatType.PRIVATE:
        return False
    rt = runtime_of(context)
    replied = message.reply_to_message.message_id if message.reply_to_message else None

    def find(session):
        # Another feature waiting for this person here (a prompt they reply to, a dialog in progress)
        # comes first: the live round only takes what nobody else asked for.
        if (
            replied is not None
            and session.exec(select(Prompt.id).where(Prompt.chat_id == user.id, Prompt.message_id == replied)).first()
        ):
            return None
        dialog = session.exec(select(Dialog).where(Dialog.chat_id == user.id, Dialog.telegram_user_id == user.id)).first()
        if dialog is not None and _busy(dict(dialog.state or {})):
            return None
        found = None
        for member, team in teams.memberships(session, user.id):
            round_ = rounds.open_round_of(session, team.id)
            if round_ is None or not member.active:
                continue
            if round_.mode != "live":
                return None
            state = load_state(session, round_, team)
            if state.stage is not None and found is None:
                found = (round_.id, state.element_id, state.stage)
        return found

    found = await rt.read(find)
    if found is None:
        return False
    await _take(update, context, *found, private=True)
    return True


def _busy(state: dict) -> bool:
    # The walk keeps its history in its dialog; only a walk in progress is waiting for an answer.
    walk = state.pop("walk", None) or {}
    return bool(walk.get("active")) or any(state.values())


async def _take(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_id: int, element_id: str, stage: Stage, *, private: bool
) -> None:
    message = update.message
    user = update.effective_user
    rt = runtime_of(context)
    kind, text, file_id = _content(message)
    problem = texts.evidence_problem(kind, text, file_id is not None)
    if problem is None and stage is Stage.ACTION_PLAN and (kind != "text" or not text.strip()):
        problem = texts.ACTION_NEEDS_WORDS
    if problem is not None:
        await message.reply_html(problem)
        return

    def work(session):
        round_ = session.get(Round, round_id)
        team = session.get(Team, round_.team_id)
        member = teams.member_of(session, team.id, user.id)
        if member is None or not member.active:
            raise NotAllowed(refusals.NOT_JOINED)
        if round_.status == "closed":
            raise NotAllowed(refusals.ROUND_CLOSED)
        load_state(session, round_, team).check_can_answer(element_id, stage)
        row = rounds.round_element(session, round_id, element_id)
        name = framework_of(team).element(element_id).name
        if stage is Stage.ACTION_PLAN:
            return (
                "action",
                row.id,
                name,
                team,
                round_.anonymous,
                *_action(session, team, round_, member, element_id, text),
            )
        rounds.add_evidence(
            session, round_, member, element_id, str(stage), kind=kind, text=text.strip(), file_id=file_id, private=private
        )
        return ("evidence", row.id, name, team, round_.anonymous)

    try:
        done = await rt.apply(update, work)
    except AlreadyDone:
        return
    except NotAllowed as refusal:
        await message.reply_html(refusal.reason)
        return
    except rounds.RoundRefused as refusal:
        await message.reply_html(html.escape(str(refusal)))
        return
    what, row_id, element_name, team, anonymous = done[:5]
    if what == "action":
        line, note, owner_chat = done[5:]
        await message.reply_html(texts.action_noted(line, note))
        if owner_chat is not None:
            try:
                await context.bot.send_message(owner_chat, texts.told_owner(line, team.name))
            except TelegramError:
                log.info("an action owner could not be told privately")
    elif private:
        await message.reply_html(texts.kept_privately(stage, element_name, anonymous))
    await editor_of(context.application).refresh(context.application, row_id)


def _action(session, team: Team, round_: Round, author: Member, element_id: str, reply: str):
    today = utcnow().date()
    action, note = read_action(reply, today, element_id)
    owner = _owner(session, team.id, action.owner, author)
    if action.owner and owner is None:
        note = (note + "\n" if note else "") + texts.owner_unknown(action.owner)
    rounds.add_action(
        session,
        team_id=team.id,
        text=action.what,
        round_id=round_.id,
        element_id=element_id,
        owner_member_id=owner.id if owner else None,
        due=action.due,
        success_measure=action.check,
    )
    shown = action.__class__(what=action.what, owner=owner.display_name if owner else "", due=action.due, check=action.check)
    return action_line(shown), note, (owner.telegram_user_id if owner and owner.private_chat else None)


def _owner(session, team_id: int, said: str, author: Member) -> Member | None:
    said = said.strip().lstrip("@").casefold()
    if not said:
        return None
    if said in ("me", "i", "myself"):
        return author
    members = teams.active_members(session, team_id)
    exact = [m for m in members if m.display_name.casefold() == said]
    if exact:
        return exact[0]
    first = [m for m in members if m.display_name.casefold().split(" ")[0] == said.split(" ")[0]]
    return first[0] if len(first) == 1 else None


# ---------------------------------------------------------------- /withdraw: taking back your own answers


async def withdraw_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.IN_THE_GROUP)
        return
    rt = runtime_of(context)
    chat_id, user = update.effective_chat.id, update.effective_user

    def read(session):
        team = teams.team_for_chat(session, chat_id)
        round_ = rounds.open_round_of(session, team.id) if team else None
        if round_ is None or round_.mode != "live":
            return None
        member = teams.member_of(session, team.id, user.id)
        if member is None:
            return "not joined"
        if round_.anonymous:
            return "anonymous"
        state = load_state(session, round_, team)
        rows = session.exec(
            select(Evidence)
            .where(Evidence.round_id == round_.id, Evidence.element_id == state.element_id, Evidence.member_id == member.id)
            .order_by(Evidence.id)
        ).all()
        return member, list(rows)

    found = await rt.read(read)
    if found is None:
        await message.reply_html(texts.NO_LIVE_ROUND)
        return
    if found == "not joined":
        await message.reply_html(refusals.NOT_JOINED)
        return
    if found == "anonymous":
        await message.reply_html(texts.ANONYMOUS_CANNOT_WITHDRAW)
        return
    member, rows = found
    if not rows:
        await message.reply_html(texts.NOTHING_TO_WITHDRAW + " To take back your bead, tap “Take my bead back” on the card.")
        return
    if not member.private_chat:
        await message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    keyboard = [
        [InlineKeyboardButton(_label(row), callback_data=callbacks.encode(WITHDRAW, row.id, "x"))] for row in rows[:20]
    ]
    try:
        await context.bot.send_message(user.id, texts.WITHDRAW_LIST, reply_markup=InlineKeyboardMarkup(keyboard))
    except TelegramError:
        await message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    await message.reply_html(texts.SENT_PRIVATELY)


def _label(row: Evidence) -> str:
    words = row.text.strip() or f"[{row.kind}]"
    return "✖ " + (words[:40] + "…" if len(words) > 40 else words)


async def on_withdraw_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "assessment answers")
    if press is None:
        return
    rt = runtime_of(context)
    user = update.effective_user

    def work(session):
        evidence = session.get(Evidence, press.ref)
        if evidence is None or press.arg != "x":
            raise NotAllowed(texts.ALREADY_GONE)
        member = session.get(Member, evidence.member_id) if evidence.member_id else None
        if member is None or member.telegram_user_id != user.id:
            raise NotAllowed(refusals.BUTTON_EXPIRED)
        round_ = session.get(Round, evidence.round_id)
        row = rounds.round_element(session, round_.id, evidence.element_id)
        if round_.status == "closed" or row.phase == "closed":
            raise NotAllowed(refusals.CLOSED)
        session.delete(evidence)
        return row.id

    try:
        row_id = await rt.apply(update, work)
    except AlreadyDone:
        await query.answer()
        return
    except NotAllowed as refusal:
        await query.answer(refusal.reason, show_alert=True)
        return
    await query.answer(texts.WITHDRAWN)
    try:
        await query.edit_message_reply_markup(reply_markup=_without(query.message.reply_markup, query.data))
    except TelegramError:
        pass  # the list is only a convenience; the answer is gone either way
    await editor_of(context.application).refresh(context.application, row_id)


def _without(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    rows = [[b for b in row if b.callback_data != data] for row in (markup.inline_keyboard if markup else [])]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None
