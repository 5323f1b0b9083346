"""The pages of a round report that close the loop: the one-page summary it opens with, the action table,
and the relationships thread. The report itself (piebot.charts.report) puts them around the elements.

Places on the scale are said in words (conversations/texts/scale.py), never as numbers.
"""

from __future__ import annotations

from conversations.texts import reports as texts
from conversations.texts.charts import day_and_month, nice_date

from .actions import in_order
from .data import ActionRow, RoundResult
from .pdf import Block, ReportPDF

# Font sizes tried for the summary, largest first, until it fits on one page; then lists get shorter.
SUMMARY_SIZES = ((11, 4), (10, 3), (9, 3), (8, 2), (7, 1))
SUMMARY_WIDTHS = (74, 62, 38)
ACTION_WIDTHS = (74, 28, 23, 28, 21)


def _who(action: ActionRow, owners: bool) -> str:
    if not owners or action.owner_hidden:
        return texts.OWNER_HIDDEN
    return action.owner or texts.OWNER_NOT_DECIDED


def _due(action: ActionRow) -> str:
    return nice_date(action.due) if action.due is not None else texts.NO_DUE_DATE


# ---------------------------------------------------------------- page one


def summary_block(round: RoundResult, previous: RoundResult | None, owners: bool) -> Block:
    """The summary, at the largest size that keeps it to one page."""
    size, listed = SUMMARY_SIZES[-1]
    for size, listed in SUMMARY_SIZES:
        trial = ReportPDF("")
        _summary(trial, round, previous, owners, size, listed)
        if trial.page == 1:
            break

    def block(pdf: ReportPDF) -> None:
        _summary(pdf, round, previous, owners, size, listed)
        pdf.needs_new_page = True
    return block


def _summary(pdf: ReportPDF, round: RoundResult, previous: RoundResult | None, owners: bool, size: float,
             listed: int) -> None:
    pdf.add_page()
    pdf.heading(texts.REPORT_HEADING, size + 9)
    if pdf.part_label:
        pdf.para(pdf.part_label.capitalize(), size + 1, bold=True)
    rated = sum(1 for e in round.elements if e.team_view is not None)
    for line in texts.cover_lines(round.team_name, round.round_id, nice_date(round.closed_on), len(round.elements),
                                  rated, round.answered, round.anonymous, list(round.level_labels)):
        pdf.para(line, size)
    pdf.ln(size * 0.35)

    labels = list(round.level_labels)
    pdf.para(texts.SUMMARY_WHERE, size + 2, bold=True)
    if round.elements:
        rows, up, back, held = [], 0, 0, 0
        for element in round.elements:
            now = element.team_view
            before = element.previous_team_view if previous is not None else None
            where = texts.place_words(labels, now) if now is not None else texts.NO_VIEW_THIS_TIME
            moved = texts.move_words(labels, before, now) if now is not None else ""
            if now is not None and before is not None:
                up, back, held = up + (now > before), back + (now < before), held + (now == before)
            rows.append((element.element_name + (texts.OUR_OWN_SUFFIX if element.written_in else ""), where, moved))
        pdf.grid(texts.SUMMARY_COLUMNS, rows, SUMMARY_WIDTHS, size=size - 1, bold_first=True)
        if previous is None:
            pdf.para(texts.FIRST_ROUND, size - 1)
        else:
            pdf.para(texts.compared_with(nice_date(previous.closed_on)) + " "
                     + texts.moves_in_words(up, back, held), size - 1)
    pdf.ln(size * 0.35)

    actions = round.actions + round.earlier_actions
    pdf.para(texts.SUMMARY_ACTIONS, size + 2, bold=True)
    count = {s: sum(1 for a in actions if a.status == s) for s in ("overdue", "open", "still_on", "done", "dropped")}
    still_open = count["overdue"] + count["open"] + count["still_on"]
    pdf.para(texts.actions_counts(len(actions), count["done"], still_open, count["overdue"], count["dropped"]), size)
    ordered = in_order(actions)
    done = [a for a in ordered if a.status == "done"]
    if done:
        items = [texts.action_brief(a.text, _who(a, owners) if owners else None,
                                    texts.done_when(day_and_month(a.done_on)) if a.done_on else texts.STATUS_WORDS["done"])
                 for a in done[:listed]]
        pdf.para(texts.actions_done_brief(items, len(done) - len(items)), size)
    pending = [a for a in ordered if a.status in ("overdue", "open", "still_on")]
    if pending:
        items = [texts.action_brief(a.text, _who(a, owners) if owners else None,
                                    texts.due_when(day_and_month(a.due), a.status == "overdue") if a.due
                                    else texts.NO_DUE_DATE) for a in pending[:listed]]
        pdf.para(texts.actions_open_brief(items, len(pending) - len(items)), size)
    pdf.ln(size * 0.35)

    pdf.para(texts.SUMMARY_RELATIONSHIPS, size + 2, bold=True)
    names: list[str] = []
    for item in round.relationships:
        if item.element_name not in names:
            names.append(item.element_name)
    pdf.para(texts.relationships_brief(len(round.relationships), names), size)
    if _worth_counting(round):
        pdf.para(_over_rounds(round), size)
    pdf.ln(size * 0.5)
    pdf.para(texts.NOT_PASS_OR_FAIL, size - 1)


def _worth_counting(round: RoundResult) -> bool:
    """Round by round says something once there are two rounds and an item in one of them."""
    return len(round.relationship_counts) > 1 and any(c.items for c in round.relationship_counts)


def _over_rounds(round: RoundResult) -> str:
    return texts.relationships_over_rounds(
        [(day_and_month(c.closed_on) if c.closed_on else texts.NOW, c.items) for c in round.relationship_counts])


# ---------------------------------------------------------------- the action table


def action_table_block(round: RoundResult, owners: bool) -> Block:
    def block(pdf: ReportPDF) -> None:
        pdf.add_page()
        pdf.heading(texts.ACTION_TABLE_HEADING)
        if not round.actions and not round.earlier_actions:
            pdf.para(texts.NO_ACTIONS)
            pdf.needs_new_page = True
            return
        pdf.para(texts.ACTION_TABLE_INTRO, 10)
        pdf.ln(2)
        for title, actions in ((texts.AGREED_NOW, round.actions), (texts.FROM_EARLIER, round.earlier_actions)):
            if not actions:
                continue
            pdf.para(title, 12, bold=True)
            ordered = in_order(actions)
            rows = [(texts.what_cell(a.text, a.success_measure), _who(a, owners), _due(a),
                     texts.status_cell(a.status, a.reason), nice_date(a.done_on) if a.done_on else "")
                    for a in ordered]
            pdf.grid(texts.ACTION_TABLE_COLUMNS, rows, ACTION_WIDTHS, size=9.5,
                     shaded=[a.status == "overdue" for a in ordered])
        pdf.needs_new_page = True
    return block


# ---------------------------------------------------------------- the relationships thread


def relationships_block(round: RoundResult) -> Block:
    def block(pdf: ReportPDF) -> None:
        pdf.add_page()
        pdf.heading(texts.RELATIONSHIPS_HEADING)
        if not round.relationships:
            pdf.para(texts.RELATIONSHIPS_NONE)
        else:
            pdf.para(texts.RELATIONSHIPS_INTRO)
            pdf.ln(3)
            grouped: dict[str, list[str]] = {}
            for item in round.relationships:
                grouped.setdefault(item.element_name, []).append(texts.thread_item(item.stage, item.text))
            for name, items in grouped.items():
                pdf.bullets(name, items)
        if _worth_counting(round):
            pdf.ln(2)
            pdf.para(_over_rounds(round))
        pdf.needs_new_page = True
    return block
