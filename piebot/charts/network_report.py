"""The network overview as a PDF: the pictures, each team's figures, and what no single service controls.

Anonymous teams appear under their alias only; no member's name appears anywhere. Teams are listed by
name or alias throughout, never by score.
"""

from __future__ import annotations

import io
import re
import statistics

from . import style
from .data import Chart, NothingToChart
from .layout import nice_date
from .network import OVERVIEW_CHARTS, checkin_words, distance_words
from .network_data import SYSTEM_ELEMENTS, NetworkOverview
from .report import ReportPDF, pdf_text
from .spread import _num

HEADINGS = {
    "network_views": "Our teams side by side",
    "network_distance": "Distance travelled",
    "network_levels": "Individual and team views",
    "network_checkins": "Responsiveness check-ins",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "network"


def network_report_pdf(overview: NetworkOverview, charts: list[Chart] | None = None, *,
                       compress: bool = True) -> tuple[str, bytes]:
    """(filename, PDF bytes). `charts` are the overview's pictures if already drawn (any left out are
    explained in words); `compress=False` leaves page streams readable, for tests that look for text."""
    pdf = ReportPDF(f"{style.clean(overview.network_name)} · overview {nice_date(overview.made_on)}")
    pdf.set_compression(compress)
    pdf.set_title(f"PIE network overview: {style.clean(overview.network_name)}")
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
        pdf.para(chart.caption, 9)
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
    pdf.heading("PIE network overview", 24)
    pdf.para(overview.network_name, 16, bold=True)
    pdf.ln(4)
    lines = [
        f"Made on {nice_date(overview.made_on)}.",
        f"Teams compared: {len(overview.teams)} — " + (", ".join(overview.teams) or "none yet") + ".",
        f"Of these, {overview.anonymous_teams} chose to appear under an alias." if overview.anonymous_teams
        else "All teams appear under their own name.",
        "Teams are listed by name, never by score. A team's first round is its starting point.",
        f"Scale: 20 places, 4 levels — {', '.join(overview.level_labels)}.",
    ]
    if overview.other_templates:
        lines.append("Left out of comparisons, being on another template: " + ", ".join(overview.other_templates) + ".")
    if overview.with_own_elements:
        lines.append("Elements that teams wrote in themselves (such as Relationships) are their own and are left "
                     f"out of comparisons ({overview.with_own_elements} "
                     f"{'team has' if overview.with_own_elements == 1 else 'teams have'} some).")
    if overview.service_user_teams:
        lines.append(f"Service users' views are included for {overview.service_user_teams} "
                     f"{'team' if overview.service_user_teams == 1 else 'teams'}, with their permission.")
    for line in lines:
        pdf.para(line, 12)
        pdf.ln(1)
    pdf.ln(4)
    pdf.para("Distance travelled, not league tables: what matters is how far each team has come and what it "
             "does next.", 11)
    pdf.ln(4)
    pdf.bullets("Distance travelled", [distance_words(d) for d in overview.distances], empty="No team views yet.")
    pdf.bullets("Responsiveness check-ins", [checkin_words(t) for t in overview.checkins],
                empty="No check-ins on Responsiveness yet.")


def _systems(pdf: ReportPDF, overview: NetworkOverview) -> None:
    """What gets in the way and what needs others: pathways and sector engagement first."""
    pdf.add_page()
    pdf.heading("Gaps and barriers no single service controls")
    pdf.para("What teams said gets in the way, and the actions they cannot finish alone. Pathways and sector "
             "engagement come first.", 11)
    pdf.ln(3)
    for element_id in SYSTEM_ELEMENTS:
        row = overview.element(element_id)
        pdf.para(row.element_name, 14, bold=True)
        if row.views:
            pdf.para(f"Team views: {len(row.views)} teams from {min(row.values)} to {max(row.values)}, "
                     f"middle {_num(row.middle)}.")
        pdf.bullets("What gets in the way",
                    [f"{h.team}: {h.text}" for h in overview.hinders if h.element_id == element_id])
        pdf.bullets("Actions that depend on others",
                    [_action_line(a) for a in overview.actions if a.element_id == element_id])
    other_hinders = [h for h in overview.hinders if h.element_id not in SYSTEM_ELEMENTS]
    other_actions = [a for a in overview.actions if a.element_id not in SYSTEM_ELEMENTS]
    pdf.para("Elsewhere", 14, bold=True)
    pdf.bullets("What gets in the way", [f"{h.team} ({h.element_name}): {h.text}" for h in other_hinders])
    pdf.bullets("Actions that depend on others",
                [f"{a.team} ({a.element_name}): {_action_text(a)}" for a in other_actions])


def _action_text(action) -> str:
    due = f" (by {nice_date(action.due)})" if action.due else ""
    return action.text + due


def _action_line(action) -> str:
    return f"{action.team}: {_action_text(action)}"


def _per_element(pdf: ReportPDF, overview: NetworkOverview) -> None:
    pdf.add_page()
    pdf.heading("Element by element")
    theme = None
    for row in overview.elements:
        if row.theme_name != theme:
            theme = row.theme_name
            pdf.ln(2)
            pdf.para("Theme: " + theme, 12)
        pdf.para(row.element_name, 13, bold=True)
        if not row.views:
            pdf.para("No team view yet.")
        else:
            each = "; ".join(
                f"{v.team} {v.value}" + (f" (was {v.previous})" if v.previous is not None else " (first view)")
                for v in row.views)
            pdf.para(f"Team views: {each}.")
            if len(row.views) >= 2:
                pdf.para(f"Spread {row.spread} places, middle {_num(row.middle)}.")
            if row.individual:
                ind = row.individual
                pdf.para(f"Individual views: {len(ind)} people from {min(ind)} to {max(ind)}, middle "
                         f"{_num(statistics.median(ind))}.")
        for su in row.service_users:
            pdf.para(f"Service users ({su.team}, with permission): {su.people} people, middle {_num(su.middle)}.")
        pdf.ln(1.5)
    pdf.ln(2)
    pdf.para(pdf_text("No member's name appears in this report."), 9)
