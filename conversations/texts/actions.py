"""What the actions feature says: /actions lists, the private reminder and its buttons, the questions
for a new date or a reason to drop, and the kind refusals. HTML; every user-supplied string escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from conversations.actions import (
    MAX_REASON,
    HistoryEntry,
    QuickDate,
    Refusal,
    Status,
    TrackedAction,
)
from conversations.when import day

# ---------------------------------------------------------------- buttons

DONE_BUTTON = "Done ✅"
STILL_ON_BUTTON = "Still on — new date"
DROP_BUTTON = "Drop it"
ANOTHER_DATE = "Another date…"
BACK = "‹ Back"
UNDO = "↩️ Undo"
QUICK_DATE_WORDS = {QuickDate.WEEK: "In a week", QuickDate.TWO_WEEKS: "In two weeks", QuickDate.MONTH: "In a month"}


def quick_date_button(choice: QuickDate, when: date) -> str:
    return f"{QUICK_DATE_WORDS[choice]} · {day(when)}"


def numbered(number: int, label: str) -> str:
    """A list's button for its action number `number` (its row carries three of them)."""
    return f"{number} · {label}"


LIST_DONE = "Done ✅"
LIST_STILL_ON = "Still on"
LIST_DROP = "Drop"

# ---------------------------------------------------------------- one action, in words

STATUS_WORDS = {
    Status.OPEN: "open",
    Status.STILL_ON: "still on",
    Status.DONE: "done",
    Status.DROPPED: "dropped",
}


def _who(action: TrackedAction) -> str:
    return escape(action.owner) if action.owner.strip() else "no one named yet"


def _when(action: TrackedAction, today: date) -> str:
    if action.due is None:
        return "no date yet"
    if action.overdue(today):
        return f"was due {day(action.due)}"
    if action.due == today:
        return "due today"
    return f"by {day(action.due)}"


def list_line(number: int, action: TrackedAction, today: date, *, with_owner: bool = True) -> str:
    """'2. ⏰ <b>Book the training</b> — Bea, was due Tue 12 May'."""
    mark = "⏰ " if action.overdue(today) else ""
    still = " <i>(still on)</i>" if action.status is Status.STILL_ON else ""
    who = f"{_who(action)}, " if with_owner else ""
    return f"{number}. {mark}<b>{escape(action.what)}</b> — {who}{_when(action, today)}{still}"


def settled_line(action: TrackedAction) -> str:
    if action.status is Status.DONE:
        when = f" {day(action.done_on)}" if action.done_on else ""
        return f"✅ {escape(action.what)} — done{when}"
    return f"✖️ {escape(action.what)} — dropped: {escape(action.reason)}"


def action_card(action: TrackedAction, today: date) -> str:
    """One action and where it stands: the reminder and the question messages become this once settled."""
    lines = [f"<b>{escape(action.what)}</b>", f"Who: {_who(action)} · {_when(action, today)}"]
    if action.check.strip():
        lines.append(f"<i>We'll know it worked when: {escape(action.check)}</i>")
    lines.append(status_line(action, today))
    return "\n".join(lines)


def status_line(action: TrackedAction, today: date) -> str:
    if action.status is Status.DONE:
        return "✅ <b>Done</b>" + (f" — {day(action.done_on)}. Thank you!" if action.done_on else ". Thank you!")
    if action.status is Status.DROPPED:
        return f"✖️ <b>Dropped</b> — {escape(action.reason)}"
    if action.overdue(today):
        return "⏰ <b>Past its date</b> — what happened?"
    if action.status is Status.STILL_ON:
        return "🗓 <b>Still on</b>"
    return "Open"


# ---------------------------------------------------------------- /actions

GROUP_ONLY_OR_PRIVATE = "Use /actions in your team's group, or here for the actions you own."
NOT_SET_UP = "This group isn't set up yet. An admin can start with /setup."
NOT_JOINED = "Actions are for the team's members. Tap /join first, then /actions again."
NOT_A_MEMBER_ANYWHERE = "You haven't joined a team yet. Tap /join in your team's group first."
LIST_MAX = 10


def group_list(actions: Sequence[TrackedAction], recently_settled: Sequence[TrackedAction], today: date,
               more: int) -> str:
    """The group's open actions, overdue first, and what was settled in the last days."""
    if not actions:
        head = "📋 <b>No open actions.</b>"
        if not recently_settled:
            return head + "\nActions are agreed in a round (/assess) or a check-in, and show here until they're done."
        lines = [head]
    else:
        lines = ["📋 <b>Our open actions</b> — overdue first", ""]
        lines += [list_line(n, a, today) for n, a in enumerate(actions, start=1)]
        if more:
            lines.append(f"…and {more} more, due later: they show here as these are settled.")
        lines += ["", "Tap what happened. The owner, the facilitator or an admin can change one."]
    if recently_settled:
        lines += ["", "<b>Settled this week</b>"] + [settled_line(a) for a in recently_settled]
    return "\n".join(lines)


def private_list(teams: Sequence[tuple[str, Sequence[TrackedAction]]], today: date) -> str:
    """A member's own open actions, per team when they are in more than one."""
    if not any(actions for _, actions in teams):
        return "📋 <b>You have no open actions.</b> Nothing is waiting on you."
    lines = ["📋 <b>Your open actions</b> — overdue first"]
    number = 0
    for team, actions in teams:
        if not actions:
            continue
        lines.append("")
        if len(teams) > 1:
            lines.append(f"<i>{escape(team)}</i>")
        for action in actions:
            number += 1
            lines.append(list_line(number, action, today, with_owner=False))
    lines += ["", "Tap what happened."]
    return "\n".join(lines)


# ---------------------------------------------------------------- the private reminder


def reminder(action: TrackedAction, today: date) -> str:
    """Before the date, on the day, or after it: one tap settles it."""
    if action.overdue(today):
        head = f"⏰ <b>Past its date</b> — an action you own was due {day(action.due)}:"
        ask = "What happened? One tap settles it."
    else:
        when = "today" if action.due == today else (f"on {day(action.due)}" if action.due else "soon")
        head = f"⏰ An action you own is due {when}:"
        ask = "Done already, or still on with a new date? One tap settles it."
    check = f"\n   <i>We'll know it worked when: {escape(action.check)}</i>" if action.check.strip() else ""
    return f"{head}\n• <b>{escape(action.what)}</b>{check}\n\n{ask}"


# ---------------------------------------------------------------- still on, dropped: the questions


def pick_date(action: TrackedAction) -> str:
    return f"🗓 <b>Still on</b> — {escape(action.what)}.\nBy when now?"


def ask_date(action: TrackedAction, mention: str) -> str:
    """`mention` is safe HTML naming the person asked (empty in a private chat)."""
    ask = f"{mention}, new date" if mention else "New date"
    return (f"🗓 {ask} for “{escape(action.what)}”? ↩️ Reply to this message with a date, like "
            "<code>14/3</code>, <code>14 March</code> or <code>in 3 weeks</code>.")


def ask_reason(action: TrackedAction, mention: str) -> str:
    say = f"{mention}, dropping" if mention else "Dropping"
    return (f"✖️ {say} “{escape(action.what)}”. Why? ↩️ Reply to this message with a few words — they're "
            "kept with the action, so the team knows.")


DATE_PLACEHOLDER = "14/3, or in 3 weeks"
REASON_PLACEHOLDER = "Why we're dropping it"


def mention(user_id: int, first_name: str) -> str:
    return f'<a href="tg://user?id={int(user_id)}">{escape(first_name or "you")}</a>'


def bad_date(typed: str) -> str:
    return f"I couldn't read “{escape(typed)}” as a date. Try 14/3, 14 March or in 3 weeks."


WRITTEN_ONLY = "I can only take typed words here — a few is plenty."

# ---------------------------------------------------------------- what a change did


def changed(action: TrackedAction, today: date) -> str:
    """The confirmation of a change, for the chat it was made in."""
    if action.status is Status.DONE:
        return f"✅ Done: {escape(action.what)}. Thank you!"
    if action.status is Status.DROPPED:
        return f"✖️ Dropped: {escape(action.what)}. Reason kept: {escape(action.reason)}"
    if action.status is Status.STILL_ON:
        return f"🗓 Still on: {escape(action.what)}, now {_when(action, today)}."
    return f"↩️ Open again: {escape(action.what)}."


def toast(action: TrackedAction, today: date) -> str:
    """The short answer to a press (plain text, at most 200 characters)."""
    if action.status is Status.DONE:
        return "Marked done ✅"
    if action.status is Status.STILL_ON and action.due:
        return f"Still on, now by {day(action.due)}"
    if action.status is Status.DROPPED:
        return "Dropped"
    return "Open again"


# ---------------------------------------------------------------- refusals

WRONG_CHAT = "That button belongs to another chat."
GONE = "That action isn't there any more."
NOT_YOURS_PRIVATELY = "That action isn't yours to change. The facilitator can change it from the group."
ONLY_OWNER_OR_LEADS_NO_OWNER = "Only the facilitator or an admin can change this one."


def only_owner_or_leads(owner: str) -> str:
    return f"Only {owner} (it's theirs), the facilitator or an admin can change this one."


def refused(reason: Refusal, action: TrackedAction, today: date) -> str:
    if reason is Refusal.ALREADY_DONE:
        return "That one's already done" + (f" (marked {day(action.done_on)})." if action.done_on else ".")
    if reason is Refusal.ALREADY_DROPPED:
        return "That one was dropped already."
    if reason is Refusal.NOT_SETTLED:
        return "That one is still open."
    if reason is Refusal.NO_DATE:
        return "I need a date for that."
    if reason is Refusal.DATE_PASSED:
        return "That date has already passed. Pick today or a later one."
    if reason is Refusal.NO_REASON:
        return "A few words on why, please — they're kept with the action."
    return f"Could you say it in fewer words (up to {MAX_REASON} characters)?"


# ---------------------------------------------------------------- history


def history_line(entry: HistoryEntry) -> str:
    by = f" by {escape(entry.by)}" if entry.by else (" by an admin" if entry.role == "admin" else "")
    if entry.status is None:
        when = f", by {day(entry.due)}" if entry.due else ""
        return f"{day(entry.on)}: agreed{when}"
    if entry.status is Status.DONE:
        return f"{day(entry.on)}: done{by}"
    if entry.status is Status.DROPPED:
        return f"{day(entry.on)}: dropped{by} — {escape(entry.reason)}"
    if entry.status is Status.STILL_ON:
        return f"{day(entry.on)}: still on{by}, new date {day(entry.due)}" if entry.due else f"{day(entry.on)}: still on{by}"
    return f"{day(entry.on)}: opened again{by}"
