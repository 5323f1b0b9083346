"""The network overview as a PDF: the pictures, each team's figures, and what no single service controls.

Anonymous teams appear under their alias only; no member's name appears anywhere. Teams are listed by
name or alias throughout, never by score.
"""

from __future__ import annotations

import io
import re

from conversations.texts import reports as texts
from conversations.texts import scale
from conversations.texts.charts import nice_date

from . import style
from .data import Chart, NothingToChart
from .network import OVERVIEW_CHARTS, checkin_words, distance_words
from .network_data import SYSTEM_ELEMENTS, NetworkOverview
from .report import ReportPDF, pdf_text

HEADINGS = texts.NETWORK_HEADINGS


def _place(overview: NetworkOverview, index: int) -> str:
    return texts.place_words(list(overview.level_labels), index)


def _span(overview: NetworkOverview, values: list[int]) -> str:
    return texts.span_words(list(overview.level_labels), min(values), max(values))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "network"


def network_report_pdf(overview: NetworkOverview, charts: list[Chart] | None = None, *,
                       compress: bool = True) -> tuple[str, bytes]:
    """(filename, PDF bytes). `charts` are the overview's pictures if already drawn (any left out are
    explained in words); `compress=False` leaves page streams readable, for tests that look for text."""
    pdf = ReportPDF(texts.overview_footer(style.clean(overview.network_name), nice_date(overview.made_on)))
    pdf.set_compression(compress)
    pdf.set_title(texts.overview_title(style.clean(overview.network_name)))
    pdf.set_creator("piebot")
    _cover(pdf, overview)
    _systems(pdf, overview)
    drawn = {c.kind: c for c in charts} if charts is not None else None
    for make in OVERVIEW_CHARTS:
        pdf.add_page()
        try:
            chart = _chart(make, overview, drawn)
        except NothingToChart as nothing:
            pdf.heading(HEADINGS[make.__name__])
            pdf.para(str(nothing))
            continue
        pdf.heading(HEADINGS[chart.kind])
        width = 140
        pdf.image(io.BytesIO(chart.png), x=(pdf.w - width) / 2, w=width)
        pdf.ln(2)
        pdf.para(chart.caption, 9)  # every figure in words is in the report's own sections
    _per_element(pdf, overview)
    return f"piebot-network-{_slug(overview.network_name)}-{overview.made_on.isoformat()}.pdf", bytes(pdf.output())


def _chart(make, overview: NetworkOverview, drawn: dict[str, Chart] | None) -> Chart:
    if drawn is None:
        return make(overview)
    if make.__name__ in drawn:
        return drawn[make.__name__]
    return make(overview)  # not drawn because there was nothing to draw: raises NothingToChart again, cheaply


def _cover(pdf: ReportPDF, overview: NetworkOverview) -> None:
    pdf.add_page()
    pdf.ln(20)
    pdf.heading(texts.OVERVIEW_HEADING, 24)
    pdf.para(overview.network_name, 16, bold=True)
    pdf.ln(4)
    lines = texts.overview_cover_lines(nice_date(overview.made_on), list(overview.teams), overview.anonymous_teams,
                                       list(overview.level_labels), list(overview.other_templates),
                                       overview.with_own_elements, overview.service_user_teams)
    for line in lines:
        pdf.para(line, 12)
        pdf.ln(1)
    pdf.ln(4)
    pdf.para(texts.NOT_LEAGUE_TABLES, 11)
    pdf.ln(4)
    pdf.bullets(texts.DISTANCE, [distance_words(d) for d in overview.distances], empty=texts.NO_TEAM_VIEWS)
    pdf.bullets(texts.CHECKINS, [checkin_words(t, overview.level_labels) for t in overview.checkins],
                empty=texts.NO_CHECKINS)


def _systems(pdf: ReportPDF, overview: NetworkOverview) -> None:
    """What gets in the way and what needs others: pathways and sector engagement first."""
    pdf.add_page()
    pdf.heading(texts.SYSTEMS_HEADING)
    pdf.para(texts.SYSTEMS_INTRO, 11)
    pdf.ln(3)
    for element_id in SYSTEM_ELEMENTS:
        row = overview.element(element_id)
        pdf.para(row.element_name, 14, bold=True)
        if row.views:
            pdf.para(texts.team_views_range(len(row.views), _span(overview, row.values),
                                            _place(overview, scale.middle(row.values))))
        pdf.bullets(texts.HINDERS, [texts.by_team(h.team, h.text) for h in overview.hinders if h.element_id == element_id])
        pdf.bullets(texts.DEPEND_ON_OTHERS, [_action_line(a) for a in overview.actions if a.element_id == element_id])
    other_hinders = [h for h in overview.hinders if h.element_id not in SYSTEM_ELEMENTS]
    other_actions = [a for a in overview.actions if a.element_id not in SYSTEM_ELEMENTS]
    pdf.para(texts.ELSEWHERE, 14, bold=True)
    pdf.bullets(texts.HINDERS, [texts.by_team_on(h.team, h.element_name, h.text) for h in other_hinders])
    pdf.bullets(texts.DEPEND_ON_OTHERS,
                [texts.by_team_on(a.team, a.element_name, _action_text(a)) for a in other_actions])


def _action_text(action) -> str:
    due = texts.due_by(nice_date(action.due)) if action.due else ""
    return action.text + due


def _action_line(action) -> str:
    return texts.by_team(action.team, _action_text(action))


def _per_element(pdf: ReportPDF, overview: NetworkOverview) -> None:
    pdf.add_page()
    pdf.heading(texts.ELEMENT_BY_ELEMENT)
    theme = None
    for row in overview.elements:
        if row.theme_name != theme:
            theme = row.theme_name
            pdf.ln(2)
            pdf.para(texts.theme_line(theme), 12)
        pdf.para(row.element_name, 13, bold=True)
        if not row.views:
            pdf.para(texts.NO_TEAM_VIEW)
        else:
            labels = list(overview.level_labels)
            pdf.para(texts.team_views([
                texts.team_view_of(v.team, _place(overview, v.value),
                                   texts.move_words(labels, v.previous, v.value) if v.previous is not None else None)
                for v in row.views]))
            if len(row.views) >= 2:
                pdf.para(texts.spread_of_views(_span(overview, row.values), _place(overview, scale.middle(row.values))))
            if row.individual:
                ind = row.individual
                pdf.para(texts.individual_views(len(ind), _span(overview, ind), _place(overview, scale.middle(ind))))
        for su in row.service_users:
            # A middle between two places is the lower one, as everywhere.
            pdf.para(texts.service_users_line(su.team, su.people, _place(overview, int(su.middle))))
        pdf.ln(1.5)
    pdf.ln(2)
    pdf.para(pdf_text(texts.NO_NAMES), 9)
