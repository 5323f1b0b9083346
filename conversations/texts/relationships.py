"""The relationships thread in words: the message that gathers a round's items about relationships
from every element, and the line that counts them round after round. HTML; items escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from conversations.relationships import RelationshipsThread, ThreadCount
from conversations.when import short_date

STAGE_WORDS = {"evidence": "what happens", "hindering": "gets in the way", "helping": "helps"}
MESSAGE_LIMIT = 3800  # under Telegram's 4096, with room for the closing lines
ITEM_LIMIT = 300  # one item is read on a phone, not studied: the report has it whole
MARK_BUTTON = "🤝 About relationships"
UNMARK_BUTTON = "🤝 Not about relationships"
NOT_A_THREAD_ITEM = "Only evidence, what gets in the way and what helps can be marked as about relationships."
GONE = "That answer isn't there any more."


def _items(count: int) -> str:
    return f"{count} item{'s' if count != 1 else ''}"


def _elements(count: int) -> str:
    return f"{count} element{'s' if count != 1 else ''}"


def _round_day(count: ThreadCount) -> str:
    return short_date(count.closed_on) if count.closed_on else "now"


def over_rounds(counts: Sequence[ThreadCount]) -> str:
    """'Items about relationships, round by round: 3 Feb: 1 · 10 Mar: 3 · now: 4'."""
    return "Items about relationships, round by round: " + " · ".join(
        f"{_round_day(c)}: {c.items}" for c in counts)


def summary_line(counts: Sequence[ThreadCount], round_id: int) -> str | None:
    """One line for a round's summary, from the counts of `counts_up_to`; None when no round of the team had
    any item about relationships."""
    if not any(c.items for c in counts):
        return None
    now = next((c for c in counts if c.round_id == round_id), None)
    here = now.items if now else 0
    line = f"🤝 <b>Relationships thread:</b> {_items(here)}"
    if here:
        line += f" in {_elements(now.elements)}"
    earlier = [c for c in counts if c.round_id != round_id]
    if earlier:
        line += f" (last round {earlier[-1].items})"
    return line + "."


def thread_message(thread: RelationshipsThread) -> str:
    """The thread as one message: element by element, each item with its stage; the count over rounds last."""
    when = f"round closed {short_date(thread.closed_on)}" if thread.closed_on else "this round"
    head = f"🤝 <b>Relationships thread</b> — {when}"
    if not thread.items:
        return (f"{head}\nNothing marked as about relationships yet. Any evidence, what gets in the way or what "
                "helps can be marked — relationships run through every element.")
    lines = [head, f"What we said about relationships, across {_elements(len(thread.element_names))}:"]
    used = sum(len(line) + 1 for line in lines)
    left = len(thread.items)
    for name, items in thread.by_element():
        block = ["", f"<b>{escape(name)}</b>"]
        for item in items:
            text = item.text if len(item.text) <= ITEM_LIMIT else item.text[:ITEM_LIMIT - 1].rstrip() + "…"
            block.append(f"• <i>{STAGE_WORDS.get(item.stage, item.stage)}:</i> {escape(text)}")
        size = sum(len(line) + 1 for line in block)
        if used + size > MESSAGE_LIMIT:
            lines.append(f"\n…and {_items(left)} more: the PDF report (/report) has them all.")
            break
        lines += block
        used += size
        left -= len(items)
    if len(thread.counts) > 1:  # this round has items, so the count says something
        lines += ["", over_rounds(thread.counts)]
    return "\n".join(lines)
