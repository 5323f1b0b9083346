"""Individual views (Level Two) and the agreed team view (Level One) of one round, side by side.

Where the individual views sit furthest from what the team agreed is highlighted: a prompt for the
next conversation, never a verdict. If the team has its service users' permission, their views (as
entered by a scribe) can be shown on the same rows. As tall as its rows; the details say each element's
views in words.
"""

from __future__ import annotations

import statistics
from collections import Counter

from conversations.texts import charts as texts
from conversations.texts import scale as words
from conversations.texts.charts import nice_date, round_name

from . import style
from .data import Chart, ElementResult, NothingToChart, RoundResult
from .layout import draw_labels, drawing_axes, fit_rows, theme_groups, used_bottom
from .spread_chart import MIN_ANSWERS

LABEL_FRACTION = 0.44
TOP_PX = 215
BOTTOM_PX = 1270
LEGEND_GAP_PX = 32  # from the rows' end to the legend's middle
PAGE_END_PX = 48
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
    when the team has marked that it has their permission. Fewer than three of them are not shown.
    """
    # The rule of three holds for the people served too: the middle of one or two views is their views.
    service_users = {k: v for k, v in (service_users or {}).items() if len(v) >= MIN_ANSWERS}
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
    bottom = used_bottom(layout, TOP_PX, BOTTOM_PX)
    ax = drawing_axes(fig, TOP_PX, bottom, LABEL_FRACTION)
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
    entries = [({"face": style.SKY, "edge": style.BLUE, "width": 1, "size": 18}, texts.ONE_PERSONS_VIEW),
               ({"marker": "^", "face": style.INK, "size": 18}, texts.TEAM_VIEW)]
    if service_users:
        entries.append(({"marker": "D", "face": style.ORANGE, "size": 16}, texts.SERVICE_USERS))
    entries.append(({"marker": "s", "face": style.YELLOW, "alpha": 0.6, "size": 22}, texts.DIFFER_MOST))
    legend_y = bottom + LEGEND_GAP_PX
    style.legend_row(fig, entries, legend_y, font_px=style.SMALL_PX - 4)
    return style.to_chart(fig, "levels", _short(round, most), _details(round, shown, most, service_users),
                          height_px=legend_y + PAGE_END_PX)


def _short(round: RoundResult, most: list[ElementResult]) -> str:
    return texts.levels_short(nice_date(round.closed_on), style.short(most[0].element_name) if most else None)


def _details(round: RoundResult, shown: list[ElementResult], most: list[ElementResult],
             service_users: dict[str, list[int]]) -> str:
    lines = [texts.levels_intro(round_name(round.closed_on), round.answered)]
    if most:
        lines.append(texts.levels_differ_most([(style.short(e.element_name), texts.how_far_from_team_view(apart(e)))
                                               for e in most]))
    labels = list(round.level_labels)
    for e in shown:
        values = sorted(v for _, v in e.ratings)
        own = ((len(values), texts.span_words(labels, values[0], values[-1]), round.place(words.middle(values)))
               if len(values) >= MIN_ANSWERS else None)
        people = service_users.get(e.element_id)
        theirs = (len(people), round.place(words.middle(people))) if people else None
        view = round.place(e.team_view) if e.team_view is not None else None
        lines.append(texts.levels_line(style.short(e.element_name), own, view, theirs))
    return "\n".join(lines)
