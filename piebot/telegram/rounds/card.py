"""The live card: where a live round stands (kept in its rows), how its one card reads, and how
that card is edited without flooding the group.

Where a live round stands is kept in its rows (Round.current_index and status, RoundElement.phase,
stage and team_view) and rebuilt as a `LiveRound` for every press, so a restart or a second worker
carries on exactly where the session was.

Rating keyboard: one tap, on a 4 × 5 grid on the card itself — a row per level, a column per position.
A level-then-position picker would need a second message per person (the shared card can't show
everyone their own step), which costs a group message each and quickly runs into Telegram's 20 a
minute; the grid needs none, works for people who never opened the private chat, and a thumb can hit
five buttons a row. The card's legend names the rows.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, ContextTypes

from conversations import pizazz
from conversations.keyboards import Command
from conversations.pizazz import LiveRound, Phase, proposed_team_view
from conversations.spread import MIN_ANSWERS_FOR_SPREAD
from conversations.texts import assess as texts
from conversations.texts import live
from framework import Framework, Stage, shared_framework
from piebot.storage import rounds, teams
from piebot.storage.models import Action, Evidence, Prompt, Round, RoundElement, Team
from piebot.telegram import callbacks
from piebot.telegram.guards import is_admin
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

RATE = "rt"  # a member places (or takes back) their bead
MOVE = "fc"  # the facilitator moves the session on
UNDO = "undo"  # a member takes their bead back

EDIT_INTERVAL = 3.0  # seconds between edits of one card: 20 a minute per group is Telegram's limit

_PHASE_ROW = {
    Phase.RATING: "rating",
    Phase.REVEALED: "revealed",
    Phase.TEAM_VIEW_SET: "agreed",
    Phase.STAGE: "stages",
    Phase.CLOSED: "closed",
}
_ROW_PHASE = {row: phase for phase, row in _PHASE_ROW.items()} | {"pending": Phase.RATING}


def shared_middle(values: list[int]) -> int | None:
    """The middle view to offer as the team view, only once it can't be traced to anyone."""
    return proposed_team_view(values) if len(values) >= MIN_ANSWERS_FOR_SPREAD else None


def framework_of(team: Team) -> Framework:
    return shared_framework(team.framework_variant, team.customisation or None)


def application_of(something) -> Application:
    """The Application behind an Application, a CallbackContext or the bot itself."""
    if isinstance(something, Application):
        return something
    if getattr(something, "application", None) is not None:
        return something.application
    app = _APPS.get(id(something))
    if app is None:
        raise TypeError("pass the Application, a CallbackContext, or the bot of a running piebot")
    return app


_APPS: dict[int, Application] = {}


def remember(app: Application) -> None:
    _APPS[id(app.bot)] = app


# ---------------------------------------------------------------- state in rows


def load_state(session, round_: Round, team: Team) -> LiveRound:
    elements = rounds.elements_of(session, round_.id)
    index = min(round_.current_index, len(elements) - 1)
    current = elements[index]
    order = pizazz.stages(team.strengths_first)
    stage_index = order.index(Stage(current.stage)) if current.stage in order else 0
    return LiveRound(
        element_ids=[e.element_id for e in elements],
        strengths_first=team.strengths_first,
        element_index=index,
        phase=_ROW_PHASE.get(current.phase, Phase.RATING),
        stage_index=stage_index,
        team_view=current.team_view,
        paused=round_.status == "paused",
        finished=round_.status == "closed",
        team_views={e.element_id: e.team_view for e in elements if e.team_view is not None},
    )


def save_state(session, round_: Round, state: LiveRound) -> None:
    from piebot.storage.models import utcnow

    elements = rounds.elements_of(session, round_.id)
    now = utcnow()
    for element in elements[: state.element_index]:
        if element.phase != "closed":  # skipped or finished: either way, no more answers
            element.phase, element.closed_at = "closed", now
    current = elements[state.element_index]
    current.phase = _PHASE_ROW[state.phase]
    current.stage = str(state.stage) if state.phase is Phase.STAGE else current.stage
    current.closed_at = now if state.phase is Phase.CLOSED else None
    if state.team_view is not None:
        rounds.set_team_view(session, round_, current.element_id, state.team_view)
    round_.current_index = state.element_index
    if state.finished:
        rounds.close_round(session, round_)
    else:
        round_.status = "paused" if state.paused else "open"


# ---------------------------------------------------------------- the card


@dataclass(frozen=True)
class Card:
    chat_id: int
    message_id: int | None
    text: str
    markup: InlineKeyboardMarkup | None


def grid(framework: Framework, kind: str, ref: int, prefix: str) -> list[list[InlineKeyboardButton]]:
    scale = framework.scale
    return [
        [
            InlineKeyboardButton(f"{lv.number}·{p}", callback_data=callbacks.encode(kind, ref, f"{prefix}{lv.number}.{p}"))
            for p in range(1, scale.positions + 1)
        ]
        for lv in scale.levels
    ]


def _buttons(rows, kind: str, ref: int) -> list[list[InlineKeyboardButton]]:
    return [[InlineKeyboardButton(b.label, callback_data=callbacks.encode(kind, ref, b.data)) for b in row] for row in rows]


def _counts(session, round_id: int, element_id: str) -> dict[Stage, int]:
    rows = session.exec(
        select(Evidence.stage, func.count())
        .where(Evidence.round_id == round_id, Evidence.element_id == element_id)
        .group_by(Evidence.stage)
    )
    counts = {Stage(stage): n for stage, n in rows if stage in set(Stage)}
    actions = session.exec(
        select(func.count()).select_from(Action).where(Action.round_id == round_id, Action.element_id == element_id)
    ).one()
    counts[Stage.ACTION_PLAN] = counts.get(Stage.ACTION_PLAN, 0) + actions
    return counts


def render_card(session, element_row_id: int, *, choosing: bool = False, bot_username: str = "") -> Card | None:
    row = session.get(RoundElement, element_row_id)
    if row is None:
        return None
    round_ = session.get(Round, row.round_id)
    team = session.get(Team, round_.team_id)
    framework = framework_of(team)
    state = load_state(session, round_, team)
    if state.element_id != row.element_id or round_.status == "closed":
        # An earlier element's card: keep its last words, drop its buttons.
        state = _settled(session, round_, team, row)
    members = rounds.members_counted(session, team.id)
    if state.phase is Phase.RATING:
        # Before the reveal the card needs only how many; no value goes near the text.
        views = [live.View(0)] * rounds.count_rated(session, round_.id, row.element_id)
    else:
        views = [live.View(v, name) for name, v in rounds.ratings_of(session, round_.id, row.element_id)]
    text = live.element_card(framework, state, views, members, round_.anonymous)
    if state.phase is Phase.RATING:
        text += "\n\n" + (texts.SKIPPED if state.finished else texts.grid_help(framework, round_.anonymous))
    if state.phase in (Phase.STAGE, Phase.CLOSED) and row.stage:
        order = state.stages
        upto = order.index(Stage(row.stage)) if row.stage in order else 0
        text += "\n\n" + texts.stage_counts(_counts(session, round_.id, row.element_id), order, upto)
    keyboard: list[list[InlineKeyboardButton]] = []
    live_now = not state.finished and state.element_id == row.element_id and round_.status != "closed"
    if live_now:
        if state.phase is Phase.RATING and not state.paused:
            keyboard += grid(framework, RATE, row.id, "P")
            if not round_.anonymous:
                keyboard.append(
                    [InlineKeyboardButton("↩️ Take my bead back", callback_data=callbacks.encode(RATE, row.id, UNDO))]
                )
        if choosing and state.phase in (Phase.REVEALED, Phase.TEAM_VIEW_SET) and not state.paused:
            keyboard += grid(framework, MOVE, row.id, "T")
            keyboard.append(
                [InlineKeyboardButton("← Back", callback_data=callbacks.encode(MOVE, row.id, Command.TEAM_BACK))]
            )
        else:
            # Under three views their middle would give them away (two people can each work out the other's).
            offered = views if state.phase is Phase.RATING or len(views) >= MIN_ANSWERS_FOR_SPREAD else []
            keyboard += _buttons(live.facilitator_keyboard(framework, state, offered), MOVE, row.id)
        if state.phase is Phase.STAGE and bot_username and not state.paused:
            keyboard.append([InlineKeyboardButton(texts.ANSWER_PRIVATELY, url=f"https://t.me/{bot_username}")])
    markup = InlineKeyboardMarkup(keyboard) if keyboard else None
    return Card(team.chat_id, row.card_message_id, text, markup)


def _settled(session, round_: Round, team: Team, row: RoundElement) -> LiveRound:
    """How an element's card looks once the session has moved past it. One skipped before anyone
    agreed anything keeps showing only the count: its views were never shared."""
    order = pizazz.stages(team.strengths_first)
    shared = row.team_view is not None or row.stage is not None
    return LiveRound(
        element_ids=list(round_.element_ids) or [row.element_id],
        strengths_first=team.strengths_first,
        element_index=row.position,
        phase=Phase.CLOSED if shared else Phase.RATING,
        stage_index=order.index(Stage(row.stage)) if row.stage in order else 0,
        team_view=row.team_view,
        finished=True,
    )


# ---------------------------------------------------------------- editing cards, gently


class CardEditor:
    """At most one edit per card every EDIT_INTERVAL seconds, always of the latest state.

    A press asks for a refresh; if one is already waiting it will read the database when it fires, so
    the last press is never lost. The waiting task leaves the queue *before* it reads, so a press that
    commits after that read schedules a fresh one. Only the database is the truth; after a restart the
    next press simply renders again.
    """

    def __init__(self, interval: float = EDIT_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[int, tuple[float, str]] = {}
        self._waiting: dict[int, asyncio.Task] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def refresh(self, app: Application, element_row_id: int, *, urgent: bool = False, choosing: bool = False):
        if urgent:
            waiting = self._waiting.pop(element_row_id, None)
            if waiting is not None:
                waiting.cancel()
            await self._edit(app, element_row_id, choosing)
            return
        if element_row_id in self._waiting:
            return
        last = self._last.get(element_row_id, (0.0, ""))[0]
        delay = max(0.0, last + self.interval - time.monotonic())
        self._waiting[element_row_id] = asyncio.create_task(self._later(app, element_row_id, delay))

    async def _later(self, app: Application, element_row_id: int, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            return
        self._waiting.pop(element_row_id, None)
        try:
            await self._edit(app, element_row_id, False)
        except Exception:  # a background task has nobody to report to
            log.exception("card refresh failed")

    async def _edit(self, app: Application, element_row_id: int, choosing: bool) -> None:
        rt: Runtime = app.bot_data["runtime"]
        lock = self._locks.setdefault(element_row_id, asyncio.Lock())
        async with lock:
            card = await rt.read(lambda s: render_card(s, element_row_id, choosing=choosing, bot_username=app.bot.username))
            if card is None or card.message_id is None:
                return
            fingerprint = card.text + json.dumps(card.markup.to_dict() if card.markup else None, sort_keys=True)
            if self._last.get(element_row_id, (0.0, ""))[1] == fingerprint:
                return
            try:
                await app.bot.edit_message_text(
                    card.text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=card.markup
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
            self._last[element_row_id] = (time.monotonic(), fingerprint)

    def forget(self, element_row_id: int) -> None:
        """Drop a card's waiting refresh and what was last shown (its message is gone or replaced)."""
        waiting = self._waiting.pop(element_row_id, None)
        if waiting is not None:
            waiting.cancel()
        self._last.pop(element_row_id, None)

    async def settle(self) -> None:
        """Wait for waiting refreshes (used on stop, so the last count is shown)."""
        for task in list(self._waiting.values()):
            await asyncio.gather(task, return_exceptions=True)


def editor_of(app: Application) -> CardEditor:
    return app.bot_data.setdefault("card_editor", CardEditor())


async def post_card(app: Application, element_row_id: int) -> None:
    rt: Runtime = app.bot_data["runtime"]
    card = await rt.read(lambda s: render_card(s, element_row_id, bot_username=app.bot.username))
    sent = await app.bot.send_message(card.chat_id, card.text, reply_markup=card.markup)

    def keep(session):
        session.get(RoundElement, element_row_id).card_message_id = sent.message_id

    await rt.apply(None, keep)


async def post_stage_prompt(app: Application, round_id: int, element_id: str, stage: Stage) -> None:
    rt: Runtime = app.bot_data["runtime"]

    def read(session):
        round_ = session.get(Round, round_id)
        team = session.get(Team, round_.team_id)
        asked = session.exec(
            select(Prompt.id).where(
                Prompt.round_id == round_id,
                Prompt.element_id == element_id,
                Prompt.stage == str(stage),
                Prompt.chat_id == team.chat_id,
            )
        ).first()
        return team, round_.anonymous, asked is not None

    team, anonymous, asked = await rt.read(read)
    if asked:
        return  # going back to a stage: its question is still there to reply to
    text = live.stage_prompt(framework_of(team), element_id, stage)
    if anonymous:
        text += "\n\n" + texts.ANONYMOUS_PROMPT_NOTE
    placeholder = live.STAGE_TITLES[stage]
    sent = await app.bot.send_message(
        team.chat_id, text, reply_markup=ForceReply(selective=False, input_field_placeholder=placeholder)
    )

    def keep(session):
        session.add(
            Prompt(
                chat_id=team.chat_id,
                message_id=sent.message_id,
                team_id=team.id,
                purpose="stage",
                round_id=round_id,
                element_id=element_id,
                stage=str(stage),
            )
        )

    await rt.apply(None, keep)


# ---------------------------------------------------------------- who may press


async def may_facilitate(update: Update, context: ContextTypes.DEFAULT_TYPE, team_id: int) -> bool:
    if await is_admin(update, context):
        return True
    user = update.effective_user
    if user is None:
        return False
    rt = runtime_of(context)
    member = await rt.read(lambda s: teams.member_of(s, team_id, user.id))
    return member is not None and member.active and member.facilitator


def refuse_log(what: str, why: str) -> None:
    # Never who, never what they chose: only which kind of press and why it was refused.
    log.warning("%s button refused: %s", what, why)
