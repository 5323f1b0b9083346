"""The async round: one status message in the group, edited as people finish, and each member's
own walk through the elements in their private chat, at their own pace. Nudges and the deadline
run on a clock; the database says what is due, so jobs are rebuilt from it at every start.

Where a walk stands lives in the `Dialog` row of the person's private chat, under "walk":
{"active": round id or None, "rounds": {"<round id>": {"progress": AsyncWalk.progress(), "prompt": message id}}}.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations import beads
from conversations.errors import NotAllowed
from conversations.keyboards import (
    Command,
    Keyboard,
    LevelChosen,
    PlaceChosen,
    positions_caption,
    rating_positions,
    read_press,
    team_view_levels,
    team_view_positions,
)
from conversations.pizazz import AsyncWalk, Scope, ScopeKind, WalkStep, nudge_due
from conversations.spread import Spread, ordered_by_disagreement
from conversations.texts import refusals
from conversations.texts import walk as texts
from conversations.texts.live import View, spread_block
from framework import Framework, Stage, shared_framework
from piebot import clock
from piebot.storage import rounds, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Dialog, Member, Nudge, Participation, Round, Team
from piebot.telegram import callbacks, replies
from piebot.telegram.guards import is_admin
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

WALK = "wk"  # a member's walk: rating, skipping, back, stop; "go" and "pick" to (re)open one
TEAM_VIEWS = "wv"  # after an async round: the facilitator sets each element's team view

DEFAULT_OPEN_DAYS = 7
# Nudges go out in working hours of the team's time zone only; a reminder at 3 a.m. is not gentle.
NUDGE_HOURS = range(9, 20)
NUDGE_CHECK_EVERY = timedelta(hours=1)


# --- small helpers -------------------------------------------------------------------------


def _app_of(context_or_app) -> Application:
    return getattr(context_or_app, "application", None) or context_or_app


def _rt(app: Application) -> Runtime:
    return app.bot_data["runtime"]


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without their zone; everything stored is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _framework(round_: Round, team: Team) -> Framework:
    return shared_framework(round_.framework_variant, team.customisation or None)


def _title(framework: Framework, round_: Round) -> str:
    try:
        kind = ScopeKind(round_.scope)
    except ValueError:
        kind = ScopeKind.ALL
    return texts.round_title(framework, Scope(kind, round_.scope_ref))


def _markup(kind: str, ref: int, keyboard: Keyboard, prefix: str = "") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=callbacks.encode(kind, ref, prefix + b.data)) for b in row]
         for row in keyboard]
    )


def _one_button(label: str, kind: str, ref: int, arg: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=callbacks.encode(kind, ref, arg))]])


async def _edit(bot, chat_id: int, message_id: int | None, text: str | None, markup=None) -> None:
    """Edit in place; an unchanged message or one that is gone is not worth failing over."""
    if message_id is None:
        return
    try:
        if text is None:
            await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=markup)
        else:
            await bot.edit_message_text(text, chat_id, message_id, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.info("could not edit message %s: %s", message_id, type(exc).__name__)


# --- the walk's state in the database ----------------------------------------------------------


def _dialog(session: Session, user_id: int) -> Dialog:
    dialog = session.exec(select(Dialog).where(Dialog.chat_id == user_id, Dialog.telegram_user_id == user_id)).first()
    if dialog is None:
        dialog = Dialog(chat_id=user_id, telegram_user_id=user_id, state={})
        session.add(dialog)
    return dialog


def _walks_of(session: Session, user_id: int) -> dict:
    """The walk state without creating a row: reads must leave the database as they found it."""
    dialog = session.exec(select(Dialog).where(Dialog.chat_id == user_id, Dialog.telegram_user_id == user_id)).first()
    return _walks(dialog)


def _walks(dialog: Dialog | None) -> dict:
    walks = copy.deepcopy(((dialog.state if dialog else None) or {}).get("walk") or {})
    walks.setdefault("active", None)
    walks.setdefault("rounds", {})
    return walks


def _save_walks(dialog: Dialog, walks: dict) -> None:
    state = dict(dialog.state or {})
    state["walk"] = walks
    dialog.state = state
    dialog.updated_at = clock.now()
    flag_modified(dialog, "state")


def _finished(session: Session, member_id: int, round_id: int) -> bool:
    return session.exec(
        select(Participation.member_id).where(
            Participation.member_id == member_id,
            Participation.subject == rounds.subject(round_id),
            Participation.element_id == "",
            Participation.part == "finished",
        )
    ).first() is not None


def _count_finished(session: Session, round_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Participation).where(
            Participation.subject == rounds.subject(round_id), Participation.part == "finished"
        )
    ).one()


def _open_async_rounds(session: Session) -> list[Round]:
    return list(session.exec(select(Round).where(Round.mode == "async", Round.status.in_(rounds.OPEN))))


@dataclass
class Walker:
    """One member's walk through one round, as read in one transaction."""

    round: Round
    team: Team
    member: Member
    framework: Framework
    entry: dict  # this round's part of the Dialog state
    active: bool
    finished: bool

    def walk(self) -> AsyncWalk:
        return AsyncWalk(self.round.element_ids, self.team.strengths_first, self.entry.get("progress"))


def _walker(session: Session, round_id: int, user_id: int) -> Walker | None:
    round_ = session.get(Round, round_id)
    if round_ is None or round_.mode != "async":
        return None
    team = session.get(Team, round_.team_id)
    member = teams.member_of(session, team.id, user_id)
    if member is None or not member.active:
        return None
    walks = _walks_of(session, user_id)
    return Walker(
        round=round_,
        team=team,
        member=member,
        framework=_framework(round_, team),
        entry=dict(walks["rounds"].get(str(round_id)) or {}),
        active=walks["active"] == round_id,
        finished=_finished(session, member.id, round_id),
    )


def _store_entry(session: Session, user_id: int, round_id: int, entry: dict, *, active: bool | None) -> None:
    dialog = _dialog(session, user_id)
    walks = _walks(dialog)
    walks["rounds"][str(round_id)] = entry
    if active is True:
        walks["active"] = round_id
    elif active is False and walks["active"] == round_id:
        walks["active"] = None
    _save_walks(dialog, walks)


def _remember_prompt(session: Session, user_id: int, round_id: int, message_id: int) -> None:
    dialog = _dialog(session, user_id)
    walks = _walks(dialog)
    entry = walks["rounds"].setdefault(str(round_id), {})
    entry["prompt"] = message_id
    _save_walks(dialog, walks)


# --- showing a step ---------------------------------------------------------------------------


def _step_markup(framework: Framework, round_id: int, step: WalkStep) -> InlineKeyboardMarkup:
    return _markup(WALK, round_id, texts.walk_keyboard(framework, step))


async def _send_step(app: Application, user_id: int, framework: Framework, round_id: int, step: WalkStep) -> None:
    message = await app.bot.send_message(
        user_id, texts.walk_prompt(framework, step), reply_markup=_step_markup(framework, round_id, step)
    )
    await _rt(app).apply(None, lambda s: _remember_prompt(s, user_id, round_id, message.message_id))


@dataclass(frozen=True)
class Shown:
    outcome: str  # shown | finished | closed | not_member


async def show_walk(app: Application, user_id: int, round_id: int) -> Shown:
    """Make this round the person's active walk and show where they are (their first step with a
    welcome, or the step they stopped at)."""
    rt = _rt(app)
    now = clock.now()

    def work(session):
        walker = _walker(session, round_id, user_id)
        if walker is None:
            return "not_member", None
        if walker.round.status == "closed":
            return "closed", None
        if walker.finished:
            return "finished", None
        _store_entry(session, user_id, round_id, walker.entry, active=True)
        return "shown", walker

    outcome, walker = await rt.apply(None, work)
    if walker is None:
        return Shown(outcome)
    framework, round_ = walker.framework, walker.round
    await _edit(app.bot, user_id, walker.entry.get("prompt"), None)  # its buttons would be out of date
    if not walker.entry.get("progress"):
        closes_at = _aware(round_.deadline)
        await app.bot.send_message(
            user_id,
            texts.walk_welcome(
                _title(framework, round_), len(round_.element_ids), round_.anonymous, closes_at,
                ZoneInfo(walker.team.timezone), now,
            ),
        )
    await _send_step(app, user_id, framework, round_id, walker.walk().current())
    return Shown("shown")


# --- moving through the walk ------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    framework: Framework
    next_step: WalkStep | None
    finished_now: bool


def _move(round_id: int, user_id: int, prompt_id: int | None, act):
    """One move of the walk in one transaction: check it still makes sense, record, move on."""

    def work(session):
        walker = _walker(session, round_id, user_id)
        if walker is None:
            raise rounds.RoundRefused(refusals.NOT_JOINED)
        if walker.round.status == "closed":
            raise rounds.RoundRefused(refusals.ROUND_CLOSED)
        if walker.finished:
            raise rounds.RoundRefused(texts.ALREADY_FINISHED)
        if prompt_id is not None and walker.entry.get("prompt") != prompt_id:
            raise rounds.RoundRefused(refusals.BUTTON_EXPIRED)
        walk = walker.walk()
        step = walk.current()
        if step is None:
            raise rounds.RoundRefused(texts.ALREADY_FINISHED)
        act(session, walker, walk, step)
        finished_now = False
        if walk.done:
            session.add(
                Participation(
                    member_id=walker.member.id, subject=rounds.subject(round_id), element_id="", part="finished"
                )
            )
            finished_now = True
        _store_entry(session, user_id, round_id, {"progress": walk.progress(), "prompt": None}, active=not walk.done)
        return Moved(walker.framework, walk.current(), finished_now)

    return work


async def _carry_on(app: Application, user_id: int, round_id: int, moved: Moved) -> None:
    if moved.next_step is not None:
        await _send_step(app, user_id, moved.framework, round_id, moved.next_step)
        return
    await app.bot.send_message(user_id, texts.walk_finished())
    if moved.finished_now:
        await refresh_status(app, round_id)


async def on_walk_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "walk")
    if press is None:
        return
    if press.arg in ("go", "pick"):
        await _on_take_part(update, context, press.ref)
        return
    chat = update.effective_chat
    user_id = query.from_user.id
    if chat.type != ChatType.PRIVATE or chat.id != user_id:
        log.warning("walk button refused: not in the person's private chat")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    rt = runtime_of(context)
    walker = await rt.read(lambda s: _walker(s, press.ref, user_id))
    if walker is None:
        log.warning("walk button refused: not a member of the round's team")
        await query.answer(refusals.NOT_JOINED, show_alert=True)
        return
    message = query.message
    if walker.round.status == "closed":
        await query.answer(refusals.ROUND_CLOSED, show_alert=True)
        return
    if walker.entry.get("prompt") != message.message_id:
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    framework = walker.framework
    choice = read_press(press.arg, framework.scale)
    step = walker.walk().current()
    if choice is None or step is None:
        log.warning("walk button refused: not a move of this step")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    prompt = texts.walk_prompt(framework, step)

    if isinstance(choice, LevelChosen) and not choice.team and step.is_rating:
        await query.answer()
        keyboard = rating_positions(framework.scale, choice.level)
        await _edit(context.bot, user_id, message.message_id,
                    f"{prompt}\n\n{positions_caption(framework.scale, choice.level)}",
                    _markup(WALK, press.ref, keyboard))
        return
    if choice is Command.BACK and step.is_rating:
        await query.answer()
        await _edit(context.bot, user_id, message.message_id, prompt, _step_markup(framework, press.ref, step))
        return
    if choice is Command.LATER:
        await _stop_for_now(update, context, press.ref, message.message_id, prompt)
        return

    if isinstance(choice, PlaceChosen) and not choice.team and step.is_rating:
        value = choice.index(framework.scale)

        def act(session, walker, walk, step):
            rounds.record_rating(session, walker.round, walker.member, step.element_id, value)
            walk.advance(answered=True)

        after = f"{prompt}\n\n{texts.bead_placed(beads.describe(framework.scale, value))}"
    elif choice is Command.SKIP:
        def act(session, walker, walk, step):
            walk.advance(answered=False)

        after = f"{prompt}\n\n{texts.SKIPPED}"
    elif choice is Command.PREVIOUS:
        def act(session, walker, walk, step):
            walk.back()

        after = None
    else:
        log.warning("walk button refused: not a move of this step")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    try:
        moved = await rt.apply(update, _move(press.ref, user_id, message.message_id, act))
    except AlreadyDone:
        return
    except (rounds.RoundRefused, NotAllowed) as refused:
        await query.answer(str(refused), show_alert=True)
        return
    await query.answer()
    await _edit(context.bot, user_id, message.message_id, after)
    await _carry_on(context.application, user_id, press.ref, moved)


async def _stop_for_now(update: Update, context, round_id: int, message_id: int, prompt: str) -> None:
    rt = runtime_of(context)
    user_id = update.effective_user.id

    def work(session):
        walker = _walker(session, round_id, user_id)
        if walker is not None:
            _store_entry(session, user_id, round_id, {**walker.entry, "prompt": None}, active=False)

    try:
        await rt.apply(update, work)
    except AlreadyDone:
        return
    await update.callback_query.answer()
    await _edit(context.bot, user_id, message_id, f"{prompt}\n\n{texts.STOPPED}")
    await context.bot.send_message(user_id, texts.walk_paused())


async def _on_take_part(update: Update, context: ContextTypes.DEFAULT_TYPE, round_id: int) -> None:
    """The group status message's button, a nudge's button, or a choice between rounds."""
    query = update.callback_query
    chat = update.effective_chat
    user_id = query.from_user.id
    rt = runtime_of(context)

    def check(session):
        round_ = session.get(Round, round_id)
        if round_ is None or round_.mode != "async":
            return "expired"
        team = session.get(Team, round_.team_id)
        if chat.type != ChatType.PRIVATE and team.chat_id != chat.id:
            return "expired"
        if chat.type == ChatType.PRIVATE and chat.id != user_id:
            return "expired"
        member = teams.member_of(session, team.id, user_id)
        if member is None or not member.active:
            return "not_member"
        if not member.private_chat:
            return "not_connected"
        return "ok"

    checked = await rt.read(check)
    if checked == "expired":
        log.warning("walk button refused: wrong chat or round")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if checked == "not_member":
        await query.answer(refusals.NOT_JOINED, show_alert=True)
        return
    if checked == "not_connected":
        await query.answer(texts.NOT_CONNECTED_ALERT, show_alert=True)
        return
    try:
        shown = await show_walk(context.application, user_id, round_id)
    except Forbidden:
        await rt.apply(None, lambda s: _not_connected(s, round_id, user_id))
        await query.answer(texts.NOT_CONNECTED_ALERT, show_alert=True)
        return
    answers = {
        "shown": texts.WRITTEN_IN_PRIVATE if chat.type != ChatType.PRIVATE else None,
        "finished": texts.ALREADY_FINISHED,
        "closed": refusals.ROUND_CLOSED,
        "not_member": refusals.NOT_JOINED,
    }
    text = answers[shown.outcome]
    await query.answer(text, show_alert=bool(text) and shown.outcome != "shown")


def _not_connected(session: Session, round_id: int, user_id: int) -> None:
    # They blocked the bot or never opened the chat: stop trying until they open it again.
    round_ = session.get(Round, round_id)
    member = teams.member_of(session, round_.team_id, user_id) if round_ else None
    if member is not None:
        member.private_chat = False


# --- typed answers, photos, voice notes and documents in the private chat ---------------------


def _answer_of(message) -> tuple[str, str, str | None]:
    """(kind, text, Telegram file id). Only the file id is kept; the file stays with Telegram."""
    if message.photo:
        return "photo", message.caption or "", message.photo[-1].file_id
    if message.voice:
        return "voice", message.caption or "", message.voice.file_id
    if message.document:
        return "document", message.caption or "", message.document.file_id
    if message.text is not None:
        return "text", message.text, None
    return "other", "", None


async def on_private_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Takes a private message only while the person has a walk step waiting for it."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type != ChatType.PRIVATE or user is None or message is None:
        return False
    rt = runtime_of(context)

    def read(session):
        walks = _walks_of(session, user.id)
        return _walker(session, walks["active"], user.id) if walks["active"] else None

    walker = await rt.read(read)
    if walker is None:
        return False
    replied = message.reply_to_message
    if replied is not None and replied.message_id != walker.entry.get("prompt"):
        return False  # an answer to another of the bot's questions
    round_id = walker.round.id
    if walker.round.status == "closed" or walker.finished:
        await rt.apply(None, lambda s: _store_entry(s, user.id, round_id, walker.entry, active=False))
        await message.reply_html(refusals.ROUND_CLOSED if walker.round.status == "closed" else texts.ALREADY_FINISHED)
        return True
    step = walker.walk().current()
    if step is None or step.is_rating:
        await message.reply_html(texts.TAP_THE_SCALE)
        return True
    kind, text, file_id = _answer_of(message)
    # Evidence can be a photo of the noticeboard or a voice note from the corridor; the other
    # questions are read back to the team and need words.
    media = step.step is Stage.EVIDENCE and file_id is not None
    problem = None if media else refusals.answer_problem(text, kind)
    if problem is None and len(text) > refusals.MAX_ANSWER_CHARS:
        problem = refusals.too_long(len(text))
    if problem:
        await message.reply_html(problem)
        return True
    prompt_id = walker.entry.get("prompt")

    def act(session, walker, walk, step):
        rounds.add_evidence(
            session, walker.round, walker.member, step.element_id, str(step.step),
            kind=kind if media else "text", text=text.strip(), file_id=file_id if media else None, private=True,
        )
        walk.advance(answered=True)

    try:
        moved = await rt.apply(update, _move(round_id, user.id, None, act))
    except AlreadyDone:
        return True
    except (rounds.RoundRefused, NotAllowed) as refused:
        await message.reply_html(str(refused))
        return True
    await _edit(context.bot, user.id, prompt_id, None)
    await _carry_on(context.application, user.id, round_id, moved)
    return True


# --- /start in private: pick up a walk ------------------------------------------------------


async def on_private_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs after onboarding's /start (another handler group): someone opening or reopening the
    private chat carries on with their round, or chooses one when several teams have one open."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != ChatType.PRIVATE or user is None:
        return
    if context.args and not context.args[0].startswith("j"):
        return  # other deep links (peer review codes...) are not about a walk
    rt = runtime_of(context)

    def candidates(session):
        walks = _walks_of(session, user.id)
        found = []
        for member, team in teams.memberships(session, user.id):
            if not member.active or not member.private_chat:
                continue
            for round_ in _open_async_rounds(session):
                if round_.team_id == team.id and not _finished(session, member.id, round_.id):
                    found.append((round_.id, team.name, _title(_framework(round_, team), round_)))
        active = walks["active"]
        if any(rid == active for rid, _, _ in found):
            return [r for r in found if r[0] == active]
        return found

    found = await rt.read(candidates)
    if len(found) == 1:
        await show_walk(context.application, user.id, found[0][0])
    elif len(found) > 1:
        rows = [
            [InlineKeyboardButton(f"{name} · {title.removeprefix('PIE check: ')}"[:60],
                                  callback_data=callbacks.encode(WALK, rid, "pick"))]
            for rid, name, title in found
        ]
        await context.bot.send_message(user.id, texts.CHOOSE_ROUND, reply_markup=InlineKeyboardMarkup(rows))


# --- the group status message ----------------------------------------------------------------


def _status_of(session: Session, round_id: int, now: datetime) -> tuple[int, int | None, str, InlineKeyboardMarkup | None]:
    round_ = session.get(Round, round_id)
    team = session.get(Team, round_.team_id)
    framework = _framework(round_, team)
    title = _title(framework, round_)
    members = teams.active_members(session, team.id)
    finished = _count_finished(session, round_id)
    if round_.status == "closed":
        return team.chat_id, round_.status_message_id, texts.walk_closed_status(title, finished, len(members)), None
    text = texts.walk_status_for_group(
        title, finished, len(members), _aware(round_.deadline), ZoneInfo(team.timezone), now,
        unconnected=any(not m.private_chat for m in members),
    )
    return team.chat_id, round_.status_message_id, text, _one_button("Take part in private", WALK, round_id, "go")


async def refresh_status(app: Application, round_id: int) -> None:
    chat_id, message_id, text, markup = await _rt(app).read(lambda s: _status_of(s, round_id, clock.now()))
    await _edit(app.bot, chat_id, message_id, text, markup)


# --- opening and closing -----------------------------------------------------------------------


async def open_async_round(context_or_app, round_id: int) -> None:
    """Post the group's status message and write to everyone who can be written to."""
    app = _app_of(context_or_app)
    rt = _rt(app)
    now = clock.now()

    def prepare(session):
        round_ = session.get(Round, round_id)
        if round_.deadline is None:
            round_.deadline = now + timedelta(days=DEFAULT_OPEN_DAYS)
        team = session.get(Team, round_.team_id)
        return team.timezone, _aware(round_.deadline)

    tz, deadline = await rt.apply(None, prepare)
    chat_id, _, text, markup = await rt.read(lambda s: _status_of(s, round_id, now))
    status = await app.bot.send_message(chat_id, text, reply_markup=markup)

    def store(session):
        session.get(Round, round_id).status_message_id = status.message_id
        round_ = session.get(Round, round_id)
        people = []
        for member in teams.active_members(session, round_.team_id):
            if not member.private_chat:
                continue
            walks = _walks_of(session, member.telegram_user_id)
            busy = walks["active"] is not None and walks["active"] != round_id and any(
                r.id == walks["active"] for r in _open_async_rounds(session)
            )
            # The welcome is the day's one private message; a nudge the same day would be chasing.
            session.add(Nudge(member_id=member.id, key=_nudge_key(round_id, now, tz), sent_at=now))
            people.append((member.telegram_user_id, busy))
        return people

    people = await rt.apply(None, store)
    schedule_round(app, round_id, deadline)
    for user_id, busy in people:
        try:
            if busy:
                # Already part-way through another team's round: offer this one, don't take over.
                await _offer(app, user_id, round_id)
            else:
                await show_walk(app, user_id, round_id)
        except Forbidden:
            await rt.apply(None, lambda s, user_id=user_id: _not_connected(s, round_id, user_id))
        except TelegramError as exc:
            log.info("could not start a walk in private: %s", type(exc).__name__)
    await refresh_status(app, round_id)


async def _offer(app: Application, user_id: int, round_id: int) -> None:
    def read(session):
        round_ = session.get(Round, round_id)
        team = session.get(Team, round_.team_id)
        framework = _framework(round_, team)
        return texts.walk_welcome(
            _title(framework, round_), len(round_.element_ids), round_.anonymous, _aware(round_.deadline),
            ZoneInfo(team.timezone), clock.now(),
        )

    text = await _rt(app).read(read)
    await app.bot.send_message(user_id, text, reply_markup=_one_button("Start this one", WALK, round_id, "pick"))


async def close_async_round(app, round_id: int) -> bool:
    """Close an open async round, post the summary, then ask for the team views, most disagreement
    first. Returns False when it was not open (closing twice posts nothing twice)."""
    app = _app_of(app)
    rt = _rt(app)

    def work(session):
        round_ = session.get(Round, round_id)
        if round_ is None or round_.mode != "async" or round_.status not in rounds.OPEN:
            return None
        rounds.close_round(session, round_)
        # Nobody's private chat waits on this round any more; their last question loses its buttons.
        waiting = []
        for member in teams.active_members(session, round_.team_id):
            walks = _walks_of(session, member.telegram_user_id)
            entry = walks["rounds"].get(str(round_id))
            if entry is None:
                continue
            if entry.get("prompt"):
                waiting.append((member.telegram_user_id, entry["prompt"]))
            _store_entry(session, member.telegram_user_id, round_id, {**entry, "prompt": None}, active=False)
        return waiting

    waiting = await rt.apply(None, work)
    if waiting is None:
        return False
    unschedule_round(app, round_id)
    await refresh_status(app, round_id)
    for user_id, prompt_id in waiting:
        await _edit(app.bot, user_id, prompt_id, None)
    from piebot.telegram.rounds.summary import post_round_summary

    try:
        await post_round_summary(app, round_id)
    except NotImplementedError:
        log.warning("round summary not available yet; round %s closed without it", round_id)
    await post_team_views(app, round_id)
    return True


# --- the team views, after the round ------------------------------------------------------------


def _team_views_of(session: Session, round_id: int):
    round_ = session.get(Round, round_id)
    team = session.get(Team, round_.team_id)
    framework = _framework(round_, team)
    elements = rounds.elements_of(session, round_id)
    views = {e.element_id: [value for _, value in rounds.ratings_of(session, round_id, e.element_id)] for e in elements}
    spreads = {eid: Spread.of(values, framework.scale.positions) for eid, values in views.items() if values}
    ordered = [eid for eid, _ in ordered_by_disagreement(spreads)]
    ordered += [e.element_id for e in elements if e.element_id not in ordered]
    return round_, team, framework, elements, ordered


def _team_views_list(session: Session, round_id: int) -> tuple[int, str, InlineKeyboardMarkup]:
    round_, team, framework, elements, ordered = _team_views_of(session, round_id)
    by_id = {e.element_id: e for e in elements}
    names = [framework.element(eid).name for eid in ordered]
    set_count = sum(1 for e in elements if e.team_view is not None)
    text = texts.team_views_prompt(names, set_count)
    if set_count == len(elements):
        text += "\n\n" + texts.TEAM_VIEWS_DONE
    rows = []
    for eid in ordered:
        element = by_id[eid]
        mark = f" ✓ {framework.scale.describe(element.team_view)}" if element.team_view is not None else ""
        rows.append([InlineKeyboardButton(
            f"{framework.element(eid).name}{mark}"[:64],
            callback_data=callbacks.encode(TEAM_VIEWS, round_id, f"e{element.position}"),
        )])
    return team.chat_id, text, InlineKeyboardMarkup(rows)


async def post_team_views(app: Application, round_id: int) -> None:
    chat_id, text, markup = await _rt(app).read(lambda s: _team_views_list(s, round_id))
    await app.bot.send_message(chat_id, text, reply_markup=markup)


async def on_team_view_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "walk")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    user_id = query.from_user.id

    def read(session):
        round_ = session.get(Round, press.ref)
        if round_ is None or round_.mode != "async":
            return None
        team = session.get(Team, round_.team_id)
        member = teams.member_of(session, team.id, user_id)
        return team, bool(member and member.active and member.facilitator)

    found = await rt.read(read)
    if found is None or found[0].chat_id != chat.id:
        log.warning("team view button refused: wrong chat or round")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if not found[1] and not await is_admin(update, context):
        await query.answer(refusals.FACILITATOR_ONLY, show_alert=True)
        return
    where, _, rest = press.arg.partition(".")
    message_id = query.message.message_id
    if press.arg == "list":
        await query.answer()
        _, text, markup = await rt.read(lambda s: _team_views_list(s, press.ref))
        await _edit(context.bot, chat.id, message_id, text, markup)
        return
    if not (where.startswith("e") and where[1:].isdigit()):
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    position = int(where[1:])

    def element_view(session):
        round_, team, framework, elements, _ = _team_views_of(session, press.ref)
        element = next((e for e in elements if e.position == position), None)
        if element is None:
            return None
        views = [View(value, name) for name, value in rounds.ratings_of(session, press.ref, element.element_id)]
        return round_, framework, element, views

    viewed = await rt.read(element_view)
    if viewed is None:
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    round_, framework, element, views = viewed
    scale = framework.scale
    choice = read_press(rest, scale) if rest else None
    heading = f"<b>{framework.element(element.element_id).name}</b>\n\n{spread_block(framework, views, round_.anonymous)}"
    prefix = f"e{position}."
    back = [InlineKeyboardButton("← all elements", callback_data=callbacks.encode(TEAM_VIEWS, press.ref, "list"))]
    if not rest or choice is Command.TEAM_BACK:
        await query.answer()
        markup = _markup(TEAM_VIEWS, press.ref, team_view_levels(scale), prefix)
        await _edit(context.bot, chat.id, message_id, f"{heading}\n\nWhat does the team agree on?",
                    InlineKeyboardMarkup([*markup.inline_keyboard, back]))
    elif isinstance(choice, LevelChosen) and choice.team:
        await query.answer()
        markup = _markup(TEAM_VIEWS, press.ref, team_view_positions(scale, choice.level), prefix)
        await _edit(context.bot, chat.id, message_id, f"{heading}\n\n{positions_caption(scale, choice.level)}",
                    InlineKeyboardMarkup([*markup.inline_keyboard, back]))
    elif isinstance(choice, PlaceChosen) and choice.team:
        value = choice.index(scale)

        def work(session):
            rounds.set_team_view(session, session.get(Round, press.ref), element.element_id, value)
            return _team_views_list(session, press.ref)

        try:
            _, text, markup = await rt.apply(update, work)
        except AlreadyDone:
            return
        except rounds.RoundRefused as refused:
            await query.answer(str(refused), show_alert=True)
            return
        await query.answer(scale.describe(value))
        await _edit(context.bot, chat.id, message_id, text, markup)
    else:
        log.warning("team view button refused: unknown choice")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)


# --- the clock: deadlines and nudges ---------------------------------------------------------------


def _nudge_key(round_id: int, now: datetime, tz: str) -> str:
    return f"round:{round_id}:{now.astimezone(ZoneInfo(tz)).date().isoformat()}"


@dataclass(frozen=True)
class NudgeDue:
    user_id: int
    round_id: int
    text: str


def _due_nudges(session: Session, now: datetime) -> list[NudgeDue]:
    """Decide and record today's nudges in one transaction: the unique (member, key) row is what
    stops a second one, even with two workers or a restart half-way."""
    due = []
    for round_ in _open_async_rounds(session):
        team = session.get(Team, round_.team_id)
        deadline = _aware(round_.deadline)
        if team.paused or round_.status != "open" or deadline is None:
            continue
        tz = ZoneInfo(team.timezone)
        local = now.astimezone(tz)
        if local.hour not in NUDGE_HOURS:
            continue
        framework = _framework(round_, team)
        key = _nudge_key(round_.id, now, team.timezone)
        for member in teams.active_members(session, team.id):
            if not member.private_chat or (member.away_until and member.away_until >= local.date()):
                continue
            finished = _finished(session, member.id, round_.id)
            sent = session.exec(
                select(Nudge.sent_at, Nudge.key).where(
                    Nudge.member_id == member.id, Nudge.key.startswith(f"round:{round_.id}:")
                ).order_by(Nudge.sent_at.desc())
            ).all()
            if any(k == key for _, k in sent):
                continue
            last = _aware(sent[0][0]) if sent else None
            if not nudge_due(last, now, finished, deadline):
                continue
            session.add(Nudge(member_id=member.id, key=key, sent_at=now))
            walks = _walks_of(session, member.telegram_user_id)
            progress = (walks["rounds"].get(str(round_.id)) or {}).get("progress")
            left = AsyncWalk(round_.element_ids, team.strengths_first, progress).elements_left
            text = texts.walk_nudge(_title(framework, round_), left, deadline, tz, now)
            due.append(NudgeDue(member.telegram_user_id, round_.id, text))
    session.flush()
    return due


async def send_due_nudges(app: Application) -> int:
    rt = _rt(app)
    due = await rt.apply(None, lambda s: _due_nudges(s, clock.now()))
    for nudge in due:
        try:
            await app.bot.send_message(
                nudge.user_id, nudge.text, reply_markup=_one_button("Carry on", WALK, nudge.round_id, "go")
            )
        except Forbidden:
            await rt.apply(None, lambda s, n=nudge: _not_connected(s, n.round_id, n.user_id))
        except TelegramError as exc:
            log.info("nudge not delivered: %s", type(exc).__name__)
    return len(due)


async def run_due_work(app) -> None:
    """Everything the clock makes due: close rounds past their deadline, then send the day's nudges.
    Safe to run any time and as often as wanted; jobs call it, and so do tests."""
    app = _app_of(app)
    now = clock.now()

    def overdue(session):
        return [r.id for r in _open_async_rounds(session) if r.deadline is not None and _aware(r.deadline) <= now]

    for round_id in await _rt(app).read(overdue):
        await close_async_round(app, round_id)
    await send_due_nudges(app)


async def _due_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_due_work(context.application)


NUDGE_JOB = "walk-nudges"


def _deadline_job_id(round_id: int) -> str:
    return f"walk-deadline-{round_id}"


def schedule_round(app: Application, round_id: int, deadline: datetime | None) -> None:
    """A wake-up at the round's deadline. It waits as long as piebot's clock says is left, so tests that
    move the clock never meet a real job firing in their past; the work itself re-reads the database."""
    jobs = app.job_queue
    if jobs is None or deadline is None:
        return
    left = deadline - clock.now()
    if left.total_seconds() <= 0:
        return  # already due: run_due_work closes it
    job_id = _deadline_job_id(round_id)
    jobs.run_once(_due_job, when=left, name=job_id, job_kwargs={"id": job_id, "replace_existing": True})


def unschedule_round(app: Application, round_id: int) -> None:
    jobs = app.job_queue
    if jobs is None:
        return
    for job in jobs.get_jobs_by_name(_deadline_job_id(round_id)):
        job.schedule_removal()


async def _on_start(app: Application) -> None:
    """The database is the source of truth: rebuild a deadline job for every open async round, one
    hourly nudge pass for all of them (nudge_due and the Nudge rows keep it to one a day per person),
    and catch up at once on whatever fell due while the bot was down."""

    def open_ones(session):
        return [(r.id, _aware(r.deadline)) for r in _open_async_rounds(session)]

    for round_id, deadline in await _rt(app).read(open_ones):
        schedule_round(app, round_id, deadline)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _due_job, interval=NUDGE_CHECK_EVERY, first=NUDGE_CHECK_EVERY, name=NUDGE_JOB,
            job_kwargs={"id": NUDGE_JOB, "replace_existing": True},
        )
    await run_due_work(app)


async def _on_deposed(app: Application) -> None:
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(NUDGE_JOB):
            job.schedule_removal()


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_walk_press, pattern=callbacks.pattern(WALK)))
    app.add_handler(CallbackQueryHandler(on_team_view_press, pattern=callbacks.pattern(TEAM_VIEWS)))
    # Group 1: onboarding's /start (group 0) answers first, then a walk carries on.
    app.add_handler(CommandHandler("start", on_private_start), group=1)
    replies.add_consumer(app, on_private_answer)
    # Deadlines and nudges are driven from the one process that leads the scheduler.
    app.bot_data.setdefault("on_elected", []).append(_on_start)
    app.bot_data.setdefault("on_deposed", []).append(_on_deposed)

