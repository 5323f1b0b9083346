"""Individual views (Level Two) and the agreed team view (Level One) of one round, side by side.

Where the individual views sit furthest from what the team agreed is highlighted: a prompt for the
next conversation, never a verdict. If the team has its service users' permission, their views (as
entered by a scribe) can be shown on the same rows.
"""

from __future__ import annotations

import statistics
from collections import Counter

from matplotlib.lines import Line2D

from conversations.texts import charts as texts
from conversations.texts.charts import round_name

from . import style
from .data import Chart, ElementResult, NothingToChart, RoundResult
from .layout import draw_labels, drawing_axes, fit_rows, theme_groups
from .spread import MIN_ANSWERS, _num

LABEL_FRACTION = 0.44
TOP_PX = 215
BOTTOM_PX = 1250
HIGHLIGHTED = 3


def apart(element: ElementResult) -> float:
    """How far, on average, the individual views sit from the agreed team view (0 without both)."""
    values = [v for _, v in element.ratings]
    if element.team_view is None or len(values) < MIN_ANSWERS:
        return 0.0
    return statistics.fmean(abs(v - element.team_view) for v in values)


def levels_side_by_side(round: RoundResult, service_users: dict[str, list[int]] | None = None) -> Chart:
    """Each element: everyone's own view as beads over the thread, the team view as a triangle under it.

    `service_users` maps element id -> the views the people served gave in their own round; pass it only
    when the team has marked that it has their permission.
    """
    service_users = {k: v for k, v in (service_users or {}).items() if v}
    shown = [e for e in round.elements if len(e.ratings) >= MIN_ANSWERS or e.team_view is not None]
    if not shown:
        if any(e.ratings for e in round.elements):
            raise NothingToChart(texts.levels_too_few(MIN_ANSWERS))
        raise NothingToChart(texts.NO_BEADS_FOR_LEVELS)
    most = sorted((e for e in shown if apart(e) > 0), key=lambda e: (-apart(e), e.element_name))[:HIGHLIGHTED]
    highlighted = {e.element_id for e in most}

    fig = style.new_figure()
    style.title(fig, texts.LEVELS_TITLE, texts.levels_subtitle(round_name(round.closed_on)))
    groups = theme_groups(shown)
    # A short round still gets rows tall enough for a stack of beads.
    roomy = (BOTTOM_PX - TOP_PX) / (len(shown) + len(groups)) * 0.95
    layout = fit_rows(groups, BOTTOM_PX - TOP_PX, style.WIDTH_PX * (LABEL_FRACTION - 0.085),
                      min_element_px=min(120.0, roomy))
    ax = drawing_axes(fig, TOP_PX, BOTTOM_PX, LABEL_FRACTION)
    style.draw_level_bands(ax, round.level_labels, 8, style.WIDTH_PX * (0.965 - LABEL_FRACTION) / 4)
    draw_labels(fig, ax, layout)
    bead = min(22.0, max(9.0, layout.font_px * 0.65))
    rows = [r for r in layout.rows if r.kind == "element"]
    for row in rows:
        element = row.element
        base = row.middle - row.height * 0.15
        if element.element_id in highlighted:
            ax.axhspan(row.middle - row.height / 2, row.middle + row.height / 2, facecolor=style.YELLOW,
                       alpha=0.35, edgecolor="none", zorder=0.5)
        style.thread(ax, base)
        values = [v for _, v in element.ratings]
        if len(values) >= MIN_ANSWERS:
            counts = Counter(values)
            step = min(bead * 0.8, row.height * 0.55 / max(1, max(counts.values())))
            xs = [v for v, n in counts.items() for _ in range(n)]
            ys = [base + bead * 0.5 + k * step for _v, n in counts.items() for k in range(n)]
            ax.scatter(xs, ys, s=bead**2, color=style.SKY, edgecolors=style.BLUE, linewidths=1, zorder=3)
        elif values:
            style.text(ax, 10.5, base + bead * 0.6, texts.TOO_FEW, fontsize=style.SMALL_PX - 8,
                       style="italic", color=style.GREY, ha="center", va="center")
        if element.team_view is not None:
            ax.scatter([element.team_view], [base - bead * 0.7], s=(bead * 1.1) ** 2, marker="^", color=style.INK,
                       zorder=4, linewidths=0)
        people = service_users.get(element.element_id)
        if people:
            ax.scatter([statistics.median(people)], [base - bead * 0.7], s=(bead * 1.1) ** 2, marker="D",
                       color=style.ORANGE, edgecolors="white", linewidths=1, zorder=4)
    style.place_ticks(ax, [r.middle - r.height * 0.15 for r in rows])
    handles = [Line2D([], [], marker="o", ls="", ms=18, color=style.SKY, mec=style.BLUE,
                      label=texts.ONE_PERSONS_VIEW),
               Line2D([], [], marker="^", ls="", ms=18, color=style.INK, label=texts.TEAM_VIEW)]
    if service_users:
        handles.append(Line2D([], [], marker="D", ls="", ms=16, color=style.ORANGE, label=texts.SERVICE_USERS))
    handles.append(Line2D([], [], color=style.YELLOW, lw=14, alpha=0.6, label=texts.DIFFER_MOST))
    fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)), frameon=False,
               bbox_to_anchor=(0.5, 0.0), prop={"family": style.FONT_FAMILY, "size": style.SMALL_PX - 4},
               columnspacing=1.0, handletextpad=0.3)
    return style.to_chart(fig, "levels", _caption(round, shown, most, service_users))


def _caption(round: RoundResult, shown: list[ElementResult], most: list[ElementResult],
             service_users: dict[str, list[int]]) -> str:
    lines = [texts.levels_intro(round_name(round.closed_on), round.answered)]
    if most:
        lines.append(texts.levels_differ_most([(style.short(e.element_name), _num(apart(e))) for e in most]))
    for e in shown:
        values = sorted(v for _, v in e.ratings)
        own = ((len(values), values[0], values[-1], _num(statistics.median(values)))
               if len(values) >= MIN_ANSWERS else None)
        people = service_users.get(e.element_id)
        theirs = (len(people), _num(statistics.median(people))) if people else None
        lines.append(texts.levels_line(style.short(e.element_name), own, e.team_view, theirs))
    return "\n".join(lines)
