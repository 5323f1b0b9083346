"""The round report as PDF: cover, pictures, then each element's evidence, diagnosis and actions.

Telegram bots may send documents up to 50 MB; the report is split into parts so each stays under
`max_bytes`. Anonymous rounds carry no names at all: not the raters (never printed anyway) and not the
action owners either, unless the caller asks for them with `show_owners=True`.
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Callable
from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from conversations.texts import reports as texts
from conversations.texts.charts import TOO_FEW_LONG, nice_date

from . import style
from .data import ActionRow, ElementResult, NothingToChart, RoundResult
from .profile import team_profile
from .spread import MIN_ANSWERS, spread

FONT = "DejaVu"
Block = Callable[["ReportPDF"], None]


class ReportTooLarge(ValueError):
    """A single section (one element, or one picture) is bigger than max_bytes on its own."""


class ReportPDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.footer_text = footer_text
        self.part_label: str | None = None
        # Set after a page that must stand alone (the cover, a picture): the next element starts afresh.
        self.needs_new_page = True
        self.add_font(FONT, "", str(style.FONT_PATH))
        self.add_font(FONT, "B", str(style.FONT_BOLD_PATH))
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 9)
        self.set_text_color(110)
        self.cell(0, 6, texts.page_footer(self.footer_text, self.page_no()), align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: float = 18) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def para(self, text: str, size: float = 11, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, size * 0.48, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def bullets(self, title: str, items: list[str], empty: str = texts.NOTHING_RECORDED) -> None:
        self.para(title, 12, bold=True)
        if not items:
            self.para(empty)
        for item in items:
            self.set_x(self.l_margin + 4)
            self.set_font(FONT, "", 11)
            self.multi_cell(0, 5.3, "• " + pdf_text(item), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)


def pdf_text(text: str | None) -> str:
    """Drop glyphs DejaVu Sans lacks (fpdf2 would print blanks) but keep line breaks."""
    return "\n".join(style.clean(line) for line in str(text or "").splitlines())


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


def _blocks(round: RoundResult, previous: RoundResult | None, owners: bool) -> tuple[Block, list[Block]]:
    pictures = _pictures(round, previous)
    by_element: dict[str, list[ActionRow]] = {}
    by_theme: dict[str, list[ActionRow]] = {}
    names = {e.element_name for e in round.elements}
    for action in round.actions:
        if action.element_name in names:
            by_element.setdefault(action.element_name, []).append(action)
        else:
            by_theme.setdefault(action.theme_name, []).append(action)

    def cover(pdf: ReportPDF) -> None:
        pdf.add_page()
        pdf.ln(30)
        pdf.heading(texts.REPORT_HEADING, 24)
        if pdf.part_label:
            pdf.para(pdf.part_label.capitalize(), 14, bold=True)
        pdf.ln(4)
        rated = sum(1 for e in round.elements if e.team_view is not None)
        lines = texts.cover_lines(round.team_name, round.round_id, nice_date(round.closed_on), len(round.elements),
                                  rated, round.answered, round.anonymous, list(round.level_labels))
        for line in lines:
            pdf.para(line, 13)
            pdf.ln(1)
        pdf.ln(6)
        pdf.para(texts.NOT_PASS_OR_FAIL, 11)
        pdf.needs_new_page = True

    sections: list[Block] = list(pictures)
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

    def peer(pdf: ReportPDF) -> None:
        pdf.add_page()
        pdf.heading(texts.PEER_HEADING)
        pdf.bullets(texts.PEER_SAID, list(round.peer_comments), empty=texts.NO_PEER_COMMENTS)
    sections.append(peer)
    return cover, sections


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
            pdf.para(chart.caption, 9)
            pdf.needs_new_page = True
        blocks.append(picture)
    return blocks


def _element_block(round: RoundResult, element: ElementResult, actions: list[ActionRow],
                   theme_actions: list[ActionRow], first_in_theme: bool, owners: bool) -> Block:
    def block(pdf: ReportPDF) -> None:
        # Each theme starts a page; its elements follow one another, so a round with little written
        # down reads in a few pages instead of one near-empty page per element.
        if first_in_theme or pdf.needs_new_page or pdf.get_y() > pdf.h - 90:
            pdf.add_page()
        else:
            pdf.ln(4)
            pdf.set_draw_color(200)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
            pdf.set_draw_color(0)
            pdf.ln(5)
        pdf.needs_new_page = False
        if first_in_theme:
            pdf.para(texts.theme_line(element.theme_name) + (texts.OUR_OWN_SUFFIX if element.written_in else ""), 12)
        pdf.heading(element.element_name + (texts.OUR_OWN_SUFFIX if element.written_in else ""))
        if element.team_view is None:
            pdf.para(texts.TEAM_VIEW_NOT_RATED, 12, bold=True)
        else:
            pdf.para(texts.team_view_line(element.team_view, round.label_for(element.team_view)), 12, bold=True)
        if element.previous_team_view is not None and element.team_view is not None:
            pdf.para(texts.last_round_line(element.previous_team_view,
                                           element.team_view - element.previous_team_view))
        values = sorted(v for _, v in element.ratings)
        if len(values) >= MIN_ANSWERS:
            pdf.para(texts.individual_answers(len(values), values[0], values[-1], statistics.median(values)))
        elif values:
            pdf.para(texts.individual_answers_hidden(TOO_FEW_LONG))
        pdf.ln(3)
        if element.evidence or element.hinders or element.helps:
            pdf.bullets(texts.EVIDENCE, list(element.evidence))
            pdf.bullets(texts.HINDERS, list(element.hinders))
            pdf.bullets(texts.HELPS, list(element.helps))
        else:
            pdf.para(texts.NOTHING_SAID)
            pdf.ln(2)
        pdf.para(texts.WHAT_WE_WILL_DO, 12, bold=True)
        _actions(pdf, actions, owners)
        if theme_actions:
            pdf.para(texts.theme_actions(element.theme_name), 12, bold=True)
            _actions(pdf, theme_actions, owners)
    return block


def _actions(pdf: ReportPDF, actions: list[ActionRow], owners: bool) -> None:
    if not actions:
        pdf.para(texts.NO_ACTIONS)
        pdf.ln(2)
        return
    for action in actions:
        pdf.set_x(pdf.l_margin + 4)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 5.3, "• " + pdf_text(action.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        who = (action.owner or texts.OWNER_NOT_DECIDED) if owners else texts.OWNER_HIDDEN
        details = texts.action_details(who, _due(action.due), action.status, action.success_measure)
        pdf.set_x(pdf.l_margin + 8)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(0, 5, pdf_text("   ".join(details[:3]) + "\n" + details[3]),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
    pdf.ln(2)


def _due(day: date | None) -> str:
    return nice_date(day) if day is not None else texts.NO_DUE_DATE
