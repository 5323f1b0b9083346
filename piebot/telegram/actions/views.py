"""What the actions feature shows, as text and buttons: the group's list, a private list, one action's
card (the private reminder becomes it), and the one-tap new dates.

Button data: ``v1:ac:<action id>:<verb>.<origin>``. The verb says what the press asks for, the origin
what kind of message it sits on, so a change puts that message right without keeping anything in
memory. Another feature may carry these buttons on its own card with `action_buttons(..., ELSEWHERE)`:
its card is then left as it is, and its `on_action_changed` hook is told instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from conversations.actions import Change, QuickDate, TrackedAction, quick_date
from conversations.texts import actions as texts
from piebot.storage.actions import GroupList, OwnList
from piebot.telegram import callbacks

KIND = "ac"


class Verb(StrEnum):
    DONE = "d"
    STILL_ON = "s"  # show the one-tap dates
    TYPE_DATE = "t"  # ask for another date as a reply
    DROP = "x"  # ask why, as a reply
    UNDO = "u"  # reopen what was settled by mistake
    BACK = "b"
    WEEK = QuickDate.WEEK.value
    TWO_WEEKS = QuickDate.TWO_WEEKS.value
    MONTH = QuickDate.MONTH.value


QUICK = {Verb.WEEK: QuickDate.WEEK, Verb.TWO_WEEKS: QuickDate.TWO_WEEKS, Verb.MONTH: QuickDate.MONTH}
CHANGES = {Verb.DONE: Change.DONE, Verb.UNDO: Change.REOPEN}


class Origin(StrEnum):
    REMINDER = "r"  # the private reminder, or any one-action card the feature owns
    GROUP_LIST = "g"
    PRIVATE_LIST = "p"
    OWN_MESSAGE = "m"  # a message sent for this one action (a date picker for a card elsewhere)
    ELSEWHERE = "e"  # another feature's card: not edited here


@dataclass(frozen=True)
class ActionPress:
    action_id: int
    verb: Verb
    origin: Origin


def data(action_id: int, verb: Verb, origin: Origin) -> str:
    return callbacks.encode(KIND, action_id, f"{verb.value}.{origin.value}")


def read_press(press: callbacks.Press) -> ActionPress | None:
    """The press's meaning, or None for data piebot never sends."""
    verb, _, origin = press.arg.partition(".")
    try:
        return ActionPress(press.ref, Verb(verb), Origin(origin))
    except ValueError:
        return None


def _button(label: str, action_id: int, verb: Verb, origin: Origin) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(action_id, verb, origin))


def action_buttons(action: TrackedAction, origin: Origin) -> list[list[InlineKeyboardButton]]:
    """Done / Still on / Drop it while the action is open; Undo once it is settled."""
    if not action.still_open:
        return [[_button(texts.UNDO, action.id, Verb.UNDO, origin)]]
    return [[_button(texts.DONE_BUTTON, action.id, Verb.DONE, origin),
             _button(texts.DROP_BUTTON, action.id, Verb.DROP, origin)],
            [_button(texts.STILL_ON_BUTTON, action.id, Verb.STILL_ON, origin)]]


def _list_rows(actions: list[TrackedAction], origin: Origin) -> list[list[InlineKeyboardButton]]:
    return [[_button(texts.numbered(n, texts.LIST_DONE), a.id, Verb.DONE, origin),
             _button(texts.numbered(n, texts.LIST_STILL_ON), a.id, Verb.STILL_ON, origin),
             _button(texts.numbered(n, texts.LIST_DROP), a.id, Verb.DROP, origin)]
            for n, a in enumerate(actions, start=1)]


def group_list(found: GroupList) -> tuple[str, InlineKeyboardMarkup | None]:
    rows = _list_rows(found.actions, Origin.GROUP_LIST)
    return (texts.group_list(found.actions, found.settled, found.today, found.more),
            InlineKeyboardMarkup(rows) if rows else None)


def private_list(found: OwnList) -> tuple[str, InlineKeyboardMarkup | None]:
    rows = _list_rows(found.actions, Origin.PRIVATE_LIST)
    return texts.private_list(found.teams, found.today), InlineKeyboardMarkup(rows) if rows else None


def reminder(action: TrackedAction, today: date) -> tuple[str, InlineKeyboardMarkup]:
    return texts.reminder(action, today), InlineKeyboardMarkup(action_buttons(action, Origin.REMINDER))


def card(action: TrackedAction, today: date, origin: Origin = Origin.REMINDER) -> tuple[str, InlineKeyboardMarkup]:
    return texts.action_card(action, today), InlineKeyboardMarkup(action_buttons(action, origin))


def date_picker(action: TrackedAction, today: date, origin: Origin) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[_button(texts.quick_date_button(choice, quick_date(choice, today)), action.id, verb, origin)]
            for verb, choice in QUICK.items()]
    rows.append([_button(texts.ANOTHER_DATE, action.id, Verb.TYPE_DATE, origin),
                 _button(texts.BACK, action.id, Verb.BACK, origin)])
    return texts.pick_date(action), InlineKeyboardMarkup(rows)
