"""The live card: how one element's card reads and which buttons it has, and how that card is
edited without flooding the group. Where the round stands is kept in its rows (piebot.storage.live).

Rating keyboard: one tap, on a grid on the card itself. Each level's name is a button row of its own,
and under it five buttons say where in that level, in the words every place is said in ("start",
"early", "halfway", "along", "top": Getting there — halfway). Someone who has never seen it reads it
without scrolling up to the card: the level names sit on the keyboard, not in a legend above it.
Why one tap and not two (level, then where in it): the card is one message shared by everyone, so it
can't show each person their own second step; that would take a message per person, each one of the
group's 20 a minute, and people who never opened the private chat couldn't be sent it at all. A tap on
a level's name places nothing: it answers, to the presser only, how to use the row under it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, ContextTypes

from conversations.keyboards import Command
from conversations.pizazz import Phase
from conversations.spread import MIN_ANSWERS_FOR_SPREAD
from conversations.texts import actions as action_texts
from conversations.texts import assess as texts
from conversations.texts import live, refusals, review
from conversations.texts import scale as words
from framework import Framework, Stage
from piebot.storage import live as live_rows
from piebot.storage import outbox as outbox_rows
from piebot.storage import pacing, stage_answers, teams
from piebot.storage.outbox import is_pending, pending_id
from piebot.telegram import callbacks
from piebot.telegram.actions import views as action_views
from piebot.telegram.delivery import outbox
from piebot.telegram.delivery.outbox import queue_message
from piebot.telegram.guards import is_admin
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

RATE = "rt"  # a member places (or takes back) their bead
MOVE = "fc"  # the facilitator moves the session on
UNDO = "undo"  # a member takes their bead back
LEVEL_NAME = "lvn"  # a level's name in a grid: it only explains the row under it

# Seconds between edits of one card. Telegram allows a group 20 messages a minute, edits included: one
# card edited every 4.5 s takes at most 13 of them, which leaves room for the stage questions, receipts
# and the facilitator's moves (a prompt waits a few seconds at worst, not a minute).
EDIT_INTERVAL = 4.5


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


# The running Applications by their bot's id; held weakly, so a stopped bot's Application (its database
# engine and caches with it) is not kept alive here.
_APPS: weakref.WeakValueDictionary[int, Application] = weakref.WeakValueDictionary()


def remember(app: Application) -> None:
    _APPS[id(app.bot)] = app


# ---------------------------------------------------------------- the card


@dataclass(frozen=True)
class Card:
    chat_id: int
    message_id: int | None
    text: str
    markup: InlineKeyboardMarkup | None


def grid(framework: Framework, kind: str, ref: int, prefix: str) -> list[list[InlineKeyboardButton]]:
    """The level's name on a row of its own, then where in it; the button data is the same as ever."""
    scale = framework.scale
    rows: list[list[InlineKeyboardButton]] = []
    for lv in scale.levels:
        rows.append([InlineKeyboardButton(
            words.level_button(scale, lv.number), callback_data=callbacks.encode(LEVEL_NAME, ref, str(lv.number)))])
        rows.append([
            InlineKeyboardButton(words.where_button(p),
                                 callback_data=callbacks.encode(kind, ref, f"{prefix}{lv.number}.{p}"))
            for p in range(1, scale.positions + 1)
        ])
    return rows


async def on_level_name_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a level's name in a grid: how to use the row under it, to the presser only."""
    await update.callback_query.answer(words.LEVEL_HEADER_HELP, show_alert=True)


def _buttons(rows, kind: str, ref: int) -> list[list[InlineKeyboardButton]]:
    return [[InlineKeyboardButton(b.label, callback_data=callbacks.encode(kind, ref, b.data)) for b in row] for row in rows]


def render_card(facts: live_rows.CardFacts | None, *, choosing: bool = False, bot_username: str = "") -> Card | None:
    if facts is None:
        return None
    framework, state = facts.framework, facts.state
    if state.phase is Phase.RATING:
        # Before the reveal the card needs only how many; no value goes near the text.
        views = [live.View(0)] * facts.rated
    else:
        views = [live.View(v, name) for name, v in facts.ratings]
    text = live.element_card(framework, state, views, facts.members, facts.anonymous, facts.names_shown)
    text += _review_part(facts)
    if state.phase is Phase.RATING:
        text += "\n\n" + (texts.SKIPPED if state.finished else texts.grid_help(framework, facts.anonymous))
    if state.phase in (Phase.STAGE, Phase.CLOSED) and facts.stage:
        order = state.stages
        upto = order.index(Stage(facts.stage)) if facts.stage in order else 0
        text += "\n\n" + texts.stage_counts(facts.answers, order, upto)
    keyboard: list[list[InlineKeyboardButton]] = []
    card_id = facts.card_id
    if facts.live_now and state.phase is Phase.REVIEW and facts.look is not None and not state.paused:
        keyboard += _action_rows(facts.look.actions)
    if facts.live_now:
        if state.phase is Phase.RATING and not state.paused:
            keyboard += grid(framework, RATE, card_id, "P")
            keyboard.append(
                [InlineKeyboardButton(texts.TAKE_BEAD_BACK, callback_data=callbacks.encode(RATE, card_id, UNDO))]
            )
        # Once the views are shared the facilitator places the team's bead on the grid: there is no
        # one-tap middle view to take instead of talking.
        placing = not state.paused and (state.phase is Phase.REVEALED
                                         or (choosing and state.phase is Phase.TEAM_VIEW_SET))
        if placing:
            keyboard += grid(framework, MOVE, card_id, "T")
        if placing and choosing:
            keyboard.append(
                [InlineKeyboardButton(texts.BACK, callback_data=callbacks.encode(MOVE, card_id, Command.TEAM_BACK))]
            )
        else:
            # Under three views their middle would give them away (two people can each work out the other's).
            offered = views if state.phase is Phase.RATING or len(views) >= MIN_ANSWERS_FOR_SPREAD else []
            keyboard += _buttons(live.facilitator_keyboard(framework, state, offered), MOVE, card_id)
        if state.phase is Phase.STAGE and bot_username and not state.paused:
            keyboard.append([InlineKeyboardButton(texts.ANSWER_PRIVATELY, url=f"https://t.me/{bot_username}")])
    markup = InlineKeyboardMarkup(keyboard) if keyboard else None
    return Card(facts.chat_id, facts.message_id, text, markup)


def _review_part(facts: live_rows.CardFacts) -> str:
    """An element looked at before: last time's view and actions while reviewing, then the distance
    travelled once the new team view is agreed."""
    look, state, scale = facts.look, facts.state, facts.framework.scale
    if look is None:
        return ""
    if state.phase is Phase.REVIEW:
        said = facts.answers.get(Stage.REVIEW, 0)
        return ("\n\n" + review.looking_back(scale, look.team_view, look.closed_on, look.actions, facts.today)
                + f"\n\n{review.QUESTION_NOTE}\n{texts.stage_counts({Stage.REVIEW: said}, [Stage.REVIEW], 0)}")
    shown = "\n\n" + review.looked_back(scale, look.team_view, look.closed_on, look.actions)
    if state.team_view is not None and state.phase is not Phase.REVEALED:
        moved = review.distance(scale, look.team_view, state.team_view, look.closed_on)
        shown += "\n" + moved if moved else ""
    return shown


def _action_rows(actions) -> list[list[InlineKeyboardButton]]:
    """The same done / still on / drop buttons as /actions, for each action still open; the actions
    feature checks who pressed and tells the card (on_action_changed) to show the change."""
    rows = []
    for number, action in enumerate(actions, start=1):
        if not action.still_open:
            continue
        rows.append([
            InlineKeyboardButton(action_texts.numbered(number, label),
                                 callback_data=action_views.data(action.id, verb, action_views.Origin.ELSEWHERE))
            for label, verb in ((action_texts.LIST_DONE, action_views.Verb.DONE),
                                (action_texts.LIST_STILL_ON, action_views.Verb.STILL_ON),
                                (action_texts.LIST_DROP, action_views.Verb.DROP))
        ])
    return rows


# ---------------------------------------------------------------- editing cards, gently


class CardEditor:
    """At most one edit per card every EDIT_INTERVAL seconds, however many workers handle its presses,
    always of the latest state.

    A press asks for a refresh. The turns to edit are shared through the database
    (piebot.storage.pacing): a refresh takes the next turn, waits for it, then reads the card and edits.
    Within one process a press that finds a refresh already waiting adds nothing: that refresh reads the
    database when its turn comes, so the last press is never lost. The waiting task leaves the queue
    *before* it reads, so a press that commits after that read takes a fresh turn. Only the database is
    the truth; after a restart the next press simply renders again.
    """

    def __init__(self, interval: float = EDIT_INTERVAL) -> None:
        self.interval = interval
        self._shown: dict[int, str] = {}
        self._waiting: dict[int, asyncio.Task] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def refresh(self, app: Application, element_row_id: int, *, urgent: bool = False, choosing: bool = False):
        if urgent:
            # A facilitator's move shows at once; presses after it wait a whole interval for their turn.
            waiting = self._waiting.pop(element_row_id, None)
            if waiting is not None:
                waiting.cancel()
            await self._edit(app, element_row_id, choosing)
            await self._edited_now(app, element_row_id)
            return
        if element_row_id in self._waiting:
            return
        # Marked as waiting before the turn is asked for, so presses meanwhile do not ask for more.
        self._waiting[element_row_id] = asyncio.create_task(self._later(app, element_row_id))

    async def _take_turn(self, app: Application, element_row_id: int) -> float:
        rt: Runtime = app.bot_data["runtime"]
        try:
            return await rt.apply(None, lambda s: pacing.reserve_edit(s, pacing.card_key(element_row_id), self.interval))
        except Exception as exc:  # noqa: BLE001 - without a turn, this worker paces itself
            log.warning("no turn to edit a card (%s); waiting a whole interval", type(exc).__name__)
            return self.interval

    async def _edited_now(self, app: Application, element_row_id: int) -> None:
        rt: Runtime = app.bot_data["runtime"]
        try:
            await rt.apply(None, lambda s: pacing.edited_now(s, pacing.card_key(element_row_id), self.interval))
        except Exception as exc:  # noqa: BLE001 - the next turn simply comes sooner
            log.info("could not note a card's edit (%s)", type(exc).__name__)

    async def _later(self, app: Application, element_row_id: int) -> None:
        try:
            await asyncio.sleep(await self._take_turn(app, element_row_id))
        except asyncio.CancelledError:
            return
        finally:
            if self._waiting.get(element_row_id) is asyncio.current_task():
                del self._waiting[element_row_id]
        try:
            await self._edit(app, element_row_id, False)
        except Exception:  # a background task has nobody to report to
            log.exception("card refresh failed")

    async def _edit(self, app: Application, element_row_id: int, choosing: bool) -> None:
        lock = self._locks.setdefault(element_row_id, asyncio.Lock())
        async with lock:
            card = await self._card(app, element_row_id, choosing)
            if card is None or card.message_id is None or is_pending(card.message_id):
                return
            fingerprint = card.text + json.dumps(card.markup.to_dict() if card.markup else None, sort_keys=True)
            if self._shown.get(element_row_id) == fingerprint:
                return
            try:
                await app.bot.edit_message_text(
                    card.text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=card.markup
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
            self._shown[element_row_id] = fingerprint

    async def _card(self, app: Application, element_row_id: int, choosing: bool) -> Card | None:
        rt: Runtime = app.bot_data["runtime"]

        def read() -> Awaitable[Card | None]:
            return rt.read(lambda s: render_card(
                live_rows.card_facts(s, element_row_id), choosing=choosing, bot_username=app.bot.username))

        card = await read()
        if card is not None and is_pending(card.message_id):
            # The card itself is still on its way: edit it once it is there.
            if await outbox.settle(rt, card.chat_id):
                card = await read()
        return card

    def forget(self, element_row_id: int) -> None:
        """Drop a card's waiting refresh and what was last shown (its message is gone or replaced)."""
        waiting = self._waiting.pop(element_row_id, None)
        if waiting is not None:
            waiting.cancel()
        self._shown.pop(element_row_id, None)

    async def settle(self) -> None:
        """Wait for waiting refreshes (used on stop, so the last count is shown)."""
        for task in list(self._waiting.values()):
            await asyncio.gather(task, return_exceptions=True)


def editor_of(app: Application) -> CardEditor:
    return app.bot_data.setdefault("card_editor", CardEditor())


def queue_card(session, element_row_id: int, bot_username: str) -> None:
    """Queue the card's message in this transaction; its id is kept once Telegram took it. An element
    that opens with the review has its question asked with it."""
    facts = live_rows.card_facts(session, element_row_id)
    card = render_card(facts, bot_username=bot_username)
    posted = queue_message(session, card.chat_id, card.text, reply_markup=card.markup,
                           fill=outbox_rows.fill_of(live_rows.CARD_FILL, element_row_id))
    live_rows.keep_card_message(session, element_row_id, pending_id(posted))
    if facts.live_now and facts.state.phase is Phase.REVIEW:
        queue_stage_question(session, facts.round_id, facts.state.element_id, Stage.REVIEW)


async def post_card(app: Application, element_row_id: int) -> None:
    """Post the card; its message id is kept once Telegram took it (through the outbox)."""
    rt: Runtime = app.bot_data["runtime"]
    await rt.apply(None, lambda s: queue_card(s, element_row_id, app.bot.username))


def queue_stage_question(session, round_id: int, element_id: str, stage: Stage) -> None:
    """Ask a stage's question in the group, in this transaction (nothing when it was asked already)."""
    question = stage_answers.stage_question(session, round_id, element_id, stage)
    if question.asked:
        return  # going back to a stage: its question is still there to reply to
    team = question.team
    text = live.stage_prompt(teams.framework_of(team), element_id, stage)
    if question.anonymous:
        text += "\n\n" + texts.ANONYMOUS_PROMPT_NOTE
    placeholder = live.STAGE_TITLES[stage]
    # Saved with the message that asks it, so a reply typed the moment it appears is taken.
    asked = queue_message(session, team.chat_id, text, fill=outbox_rows.PROMPT_FILL,
                          reply_markup=ForceReply(selective=False, input_field_placeholder=placeholder))
    stage_answers.keep_stage_question(session, team_id=team.id, chat_id=team.chat_id, message_id=pending_id(asked),
                                      round_id=round_id, element_id=element_id, stage=stage)


async def post_stage_prompt(app: Application, round_id: int, element_id: str, stage: Stage) -> None:
    rt: Runtime = app.bot_data["runtime"]
    await rt.apply(None, lambda s: queue_stage_question(s, round_id, element_id, stage))


async def on_action_changed(app: Application, action_id: int) -> None:
    """An action settled from a review card (or anywhere) while its element is being reviewed: show it."""
    rt: Runtime = app.bot_data["runtime"]
    row_id = await rt.read(lambda s: live_rows.review_card_of_action(s, action_id))
    if row_id is not None:
        await editor_of(app).refresh(app, row_id, urgent=True)


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


async def facilitators_press(update: Update, context: ContextTypes.DEFAULT_TYPE, feature: str,
                             not_allowed: str) -> tuple[callbacks.Press, object] | None:
    """A press on a button only the team's facilitator or an admin may use, in the team's own group:
    its press and team, or None once the press has been refused (kindly, with `not_allowed` for others)."""
    query = update.callback_query
    press = await callbacks.press_of(query, feature)
    if press is None:
        return None
    chat_id = update.effective_chat.id
    team = await runtime_of(context).read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None or team.id != press.ref:
        log.warning("%s button refused: not this team's group", feature)
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return None
    if not await may_facilitate(update, context, team.id):
        await query.answer(not_allowed, show_alert=True)
        return None
    return press, team


def refuse_log(what: str, why: str) -> None:
    # Never who, never what they chose: only which kind of press and why it was refused.
    log.warning("%s button refused: %s", what, why)
