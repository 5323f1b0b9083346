"""The round report as PDF: a one-page summary, the action table, the elements one by one, the
relationships thread, then the pictures and the peer reviewer's comments.

Telegram bots may send documents up to 50 MB; the report is split into parts so each stays under
`max_bytes`, each part opening with the summary. Anonymous rounds carry no names at all: not the raters
(never printed anyway) and not the action owners either, unless the caller asks for them with
`show_owners=True`. "Nothing recorded" is said once, for all the elements where nobody wrote anything.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from fpdf.enums import XPos, YPos

from conversations.texts import reports as texts
from conversations.texts.charts import TOO_FEW_LONG, nice_date

from . import style
from .actions import in_order
from .data import ActionRow, ElementResult, NothingToChart, RoundResult
from .pdf import FONT, Block, ReportPDF, pdf_text
from .profile import team_profile
from .report_pages import action_table_block, relationships_block, summary_block
from .spread_chart import MIN_ANSWERS, spread

__all__ = ["FONT", "ReportPDF", "ReportTooLarge", "pdf_text", "round_report_pdf"]


class ReportTooLarge(ValueError):
    """A single section (one element, or one picture) is bigger than max_bytes on its own."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "team"


def round_report_pdf(round: RoundResult, previous: RoundResult | None = None,
                     max_bytes: int = 45 * 1024 * 1024, *, show_owners: bool | None = None,
                     compress: bool = True) -> list[tuple[str, bytes]]:
    """The report as one or more (filename, PDF bytes) parts, each under max_bytes.

    `compress=False` leaves page streams readable, for tests that look for text.
    """
    owners = (not round.anonymous) if show_owners is None else show_owners
    cover, sections = _blocks(round, previous, owners)
    base = f"piebot-{_slug(round.team_name)}-round-{round.round_id}"
    whole = _build([cover, *sections], round, None, compress)
    if len(whole) < max_bytes:
        return [(f"{base}.pdf", whole)]

    groups = _split(sections, lambda part: len(_build([cover, *part], round, None, compress)), max_bytes)
    parts = []
    for i, group in enumerate(groups, start=1):
        label = texts.part_label(i, len(groups))
        data = _build([cover, *group], round, label, compress)
        if len(data) >= max_bytes:  # the part label can tip a part just over; never hand back an oversize one
            raise ReportTooLarge(f"Part {i} of the report is {len(data)} bytes, over the limit of {max_bytes}.")
        parts.append((f"{base}-part-{i}-of-{len(groups)}.pdf", data))
    return parts


def _split(sections: list[Block], size_of: Callable[[list[Block]], int], max_bytes: int) -> list[list[Block]]:
    """Greedy: keep adding sections to a part while it stays under the limit (keeps the report's order)."""
    groups: list[list[Block]] = []
    current: list[Block] = []
    for block in sections:
        trial = current + [block]
        if size_of(trial) < max_bytes * 0.97:
            current = trial
            continue
        if not current:
            raise ReportTooLarge("One section of the report is larger than the size limit on its own.")
        groups.append(current)
        current = [block]
        if size_of(current) >= max_bytes * 0.97:
            raise ReportTooLarge("One section of the report is larger than the size limit on its own.")
    if current:
        groups.append(current)
    return groups


def _build(blocks: list[Block], round: RoundResult, part: str | None, compress: bool) -> bytes:
    pdf = ReportPDF(texts.round_footer(style.clean(round.team_name), round.round_id, part))
    pdf.set_compression(compress)
    pdf.set_title(texts.round_report_title(style.clean(round.team_name)))
    pdf.set_creator("piebot")
    pdf.part_label = part
    for block in blocks:
        block(pdf)
    return bytes(pdf.output())


def _said_nothing(element: ElementResult) -> bool:
    return not (element.evidence or element.hinders or element.helps or element.review)


def _blocks(round: RoundResult, previous: RoundResult | None, owners: bool) -> tuple[Block, list[Block]]:
    by_element: dict[str, list[ActionRow]] = {}
    by_theme: dict[str, list[ActionRow]] = {}
    names = {e.element_name for e in round.elements}
    for action in round.actions:
        if action.element_name in names:
            by_element.setdefault(action.element_name, []).append(action)
        else:
            by_theme.setdefault(action.theme_name, []).append(action)

    sections: list[Block] = [action_table_block(round, owners)]
    quiet = [e.element_name for e in round.elements if _said_nothing(e)]

    def elements_intro(pdf: ReportPDF) -> None:
        pdf.add_page()
        pdf.heading(texts.ELEMENTS_HEADING)
        pdf.para(texts.ELEMENTS_INTRO)
        if quiet:
            pdf.para(texts.nothing_recorded_for(quiet))
        pdf.ln(2)
        pdf.needs_new_page = False
    if round.elements:
        sections.append(elements_intro)

    seen_themes: set[str] = set()
    for element in round.elements:
        first_in_theme = element.theme_name not in seen_themes
        seen_themes.add(element.theme_name)
        theme_actions = by_theme.pop(element.theme_name, []) if first_in_theme else []
        sections.append(_element_block(round, element, by_element.get(element.element_name, []),
                                       theme_actions, first_in_theme, owners))
    leftover = [a for actions in by_theme.values() for a in actions]
    if leftover:
        def other_actions(pdf: ReportPDF) -> None:
            pdf.add_page()
            pdf.heading(texts.OTHER_ACTIONS)
            _actions(pdf, leftover, owners)
        sections.append(other_actions)
    sections.append(relationships_block(round))
    sections += _pictures(round, previous)

    def peer(pdf: ReportPDF) -> None:
        pdf.add_page()
        pdf.heading(texts.PEER_HEADING)
        pdf.bullets(texts.PEER_SAID, list(round.peer_comments), empty=texts.NO_PEER_COMMENTS)
    sections.append(peer)
    return summary_block(round, previous, owners), sections


def _pictures(round: RoundResult, previous: RoundResult | None) -> list[Block]:
    blocks: list[Block] = []
    for heading, make in ((texts.PROFILE_HEADING, lambda: team_profile(round, previous)),
                          (texts.SPREAD_HEADING, lambda: spread(round))):
        try:
            chart = make()
        except NothingToChart as nothing:
            message = str(nothing)

            def note(pdf: ReportPDF, heading=heading, message=message) -> None:
                pdf.add_page()
                pdf.heading(heading)
                pdf.para(message)
                pdf.needs_new_page = True
            blocks.append(note)
            continue

        def picture(pdf: ReportPDF, heading=heading, chart=chart) -> None:
            pdf.add_page()
            pdf.heading(heading)
            width = 150
            pdf.image(io.BytesIO(chart.png), x=(pdf.w - width) / 2, w=width)
            pdf.ln(2)
            pdf.para(chart.caption, 9)  # every figure in words is in the report's own sections
            pdf.needs_new_page = True
        blocks.append(picture)
    return blocks


def _element_block(round: RoundResult, element: ElementResult, actions: list[ActionRow],
                   theme_actions: list[ActionRow], first_in_theme: bool, owners: bool) -> Block:
    labels = list(round.level_labels)

    def block(pdf: ReportPDF) -> None:
        # Elements follow one another, themes too, so a round with little written down reads in a few pages
        # instead of one near-empty page per element; a new page only when this one is nearly full.
        fresh = pdf.get_y() < pdf.t_margin + 40
        if pdf.needs_new_page or pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        elif not fresh:
            pdf.ln(8 if first_in_theme else 4)
            pdf.set_draw_color(120 if first_in_theme else 200)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
            pdf.set_draw_color(0)
            pdf.ln(5)
        pdf.needs_new_page = False
        if first_in_theme:
            pdf.para(texts.theme_line(element.theme_name) + (texts.OUR_OWN_SUFFIX if element.written_in else ""), 12)
        pdf.heading(element.element_name + (texts.OUR_OWN_SUFFIX if element.written_in else ""), 16)
        if element.team_view is None:
            pdf.para(texts.TEAM_VIEW_NOT_RATED, 12, bold=True)
        else:
            moved = (texts.move_words(labels, element.previous_team_view, element.team_view)
                     if element.previous_team_view is not None else None)
            pdf.para(texts.team_view_line(texts.place_words(labels, element.team_view), moved), 12, bold=True)
        values = sorted(v for _, v in element.ratings)
        if len(values) >= MIN_ANSWERS:
            pdf.para(texts.individual_answers(len(values), texts.place_words(labels, values[0]),
                                              texts.place_words(labels, values[-1])))
        elif values:
            pdf.para(texts.individual_answers_hidden(TOO_FEW_LONG))
        pdf.ln(3)
        for title, items in ((texts.LOOKED_BACK, element.review),
                             (texts.EVIDENCE, element.evidence), (texts.HINDERS, element.hinders),
                             (texts.HELPS, element.helps)):
            if items:
                pdf.bullets(title, list(items))
        if actions:
            pdf.para(texts.WHAT_WE_WILL_DO, 12, bold=True)
            _actions(pdf, actions, owners)
        if theme_actions:
            pdf.para(texts.theme_actions(element.theme_name), 12, bold=True)
            _actions(pdf, theme_actions, owners)
    return block


def _actions(pdf: ReportPDF, actions: list[ActionRow], owners: bool) -> None:
    """Each action in a line; its details are in the action table."""
    for action in in_order(actions):
        pdf.set_x(pdf.l_margin + 4)
        pdf.set_font(FONT, "", 11)
        who = (action.owner or texts.OWNER_NOT_DECIDED) if owners and not action.owner_hidden else texts.OWNER_HIDDEN
        when = nice_date(action.due) if action.due is not None else None
        line = texts.action_in_element(action.text, who, when, texts.status_cell(action.status, action.reason))
        pdf.multi_cell(0, 5.3, "• " + pdf_text(line), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


