"""Where each member put their bead, element by element, most-disagreed first.

Names are never drawn nor written, in named rounds too: the chart is shown to the whole group and the
prompt for discussion is the shape of the spread, not who sits where. As tall as its rows; the caption is
a line or two, the details say every element's answers in words (never as numbers on the scale).
"""

from __future__ import annotations

import statistics
from collections import Counter

from conversations.texts import charts as texts
from conversations.texts import scale as words
from conversations.texts.charts import nice_date, round_name

from . import style
from .data import Chart, ElementResult, NothingToChart, RoundResult
from .layout import Layout, Row, draw_labels, drawing_plane, fit_rows, layout_key, used_bottom

MIN_ANSWERS = 3
LABEL_FRACTION = 0.44
TOP_PX = 215
BOTTOM_PX = 1270
LEGEND_PX = 1302  # the legend's middle, from the top
PAGE_END_PX = 48


def disagreement(element: ElementResult) -> tuple[int, float]:
    """(range, interquartile range) of the individual answers; the sort key for 'most different first'."""
    values = sorted(v for _, v in element.ratings)
    if len(values) < 2:
        return (0, 0.0)
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return (values[-1] - values[0], q3 - q1)


def _shown_and_hidden(round: RoundResult) -> tuple[list[ElementResult], list[ElementResult]]:
    """The elements with enough answers to show, most different first, and those with too few."""
    shown = [e for e in round.elements if len(e.ratings) >= MIN_ANSWERS]
    hidden = [e for e in round.elements if 0 < len(e.ratings) < MIN_ANSWERS]
    if not shown:
        if hidden:
            raise NothingToChart(texts.spread_too_few(MIN_ANSWERS))
        raise NothingToChart(texts.NO_BEADS_FOR_SPREAD)
    shown.sort(key=lambda e: (-disagreement(e)[0], -disagreement(e)[1], e.element_name))
    return shown, hidden


def spread_details(round: RoundResult) -> str:
    """The spread in words, without drawing it (for the "details" button)."""
    return _details(round, *_shown_and_hidden(round))


def spread(round: RoundResult) -> Chart:
    shown, hidden = _shown_and_hidden(round)

    most = max(len(e.ratings) for e in shown)
    bead = 24.0 if most <= 20 else 20.0
    label_width = style.WIDTH_PX * (LABEL_FRACTION - 0.07)
    # One group, no theme headers: the order is by disagreement, so themes would interleave.
    groups = [("", shown + hidden)]
    avail = BOTTOM_PX - TOP_PX
    min_row = min(110.0, avail / len(groups[0][1]) * 0.999)
    layout = fit_rows(groups, avail, label_width, min_element_px=min_row, with_themes=False)
    fig = style.page(("spread", layout_key(layout), tuple(round.level_labels), bead))
    bottom = used_bottom(layout, TOP_PX, BOTTOM_PX)
    legend_y = bottom + LEGEND_PX - BOTTOM_PX
    ax = drawing_plane(fig, TOP_PX, bottom, LABEL_FRACTION)
    if style.drawing_background(fig):
        band_px = style.WIDTH_PX * (0.965 - LABEL_FRACTION) / 4
        style.draw_level_bands(ax, round.level_labels, 8, band_px)
        draw_labels(fig, ax, layout, anchor=lambda r: _thread_y(r, bead) + layout.font_px * 0.6)
        bases = [_thread_y(r, bead) for r in layout.rows if r.kind == "element"]
        style.threads(ax, bases)
        style.place_ticks(ax, bases)
        _legend(fig, legend_y)
        style.background_done(fig)
    style.title(fig, texts.SPREAD_TITLE, texts.spread_subtitle(round_name(round.closed_on)))
    _draw_rows(ax, layout, bead)
    return style.to_chart(fig, "spread", _short(round, shown), _details(round, shown, hidden),
                          height_px=legend_y + PAGE_END_PX)


def _thread_y(row: Row, bead: float) -> float:
    # The thread sits low in its row, leaving room under it for the team-view pointer and above it for
    # beads stacked upward.
    return -(row.top + row.height) + bead * 1.15


def _draw_rows(ax, layout: Layout, bead: float) -> None:
    rows = [r for r in layout.rows if r.kind == "element"]
    xs: list[float] = []
    ys: list[float] = []
    views: list[tuple[int, float]] = []
    for r in rows:
        element = r.element
        base = _thread_y(r, bead)
        if len(element.ratings) < MIN_ANSWERS:
            style.text(ax, 10.5, base + layout.font_px * 0.6, texts.TOO_FEW, fontsize=style.SMALL_PX - 4,
                       style="italic", color=style.GREY, ha="center", va="center")
            continue
        counts = Counter(v for _, v in element.ratings)
        tallest = max(counts.values())
        count_px = style.SMALL_PX - 6
        room = r.height - bead * 1.15 - bead * 0.6 - 4
        step = min(bead * 0.9, room / max(1, tallest - 1))
        if step < bead * 0.5:
            # Stacks this compressed stop being countable by eye, so each gets its number on top.
            step = min(bead * 0.9, (room - count_px) / max(1, tallest - 1))
        for value, count in counts.items():
            for k in range(count):
                xs.append(value)
                ys.append(base + k * step)
            if step < bead * 0.5 and count > 1:
                # Above the stack and over any bead: a lone bead needs no number.
                style.text(ax, value, base + (count - 1) * step + bead * 0.5, str(count),
                           fontsize=count_px, ha="center", va="bottom", color=style.INK, zorder=5)
        if element.team_view is not None:
            views.append((element.team_view, base - bead * 0.62))
    if xs:
        ax.scatter(xs, ys, s=bead**2, color=style.SKY, edgecolors=style.BLUE, linewidths=1.5, zorder=3)
    if views:
        ax.scatter(*zip(*views, strict=True), s=(bead * 0.95) ** 2, marker="^", color=style.INK, zorder=4,
                   linewidths=0)


def _legend(fig, y_px: float) -> None:
    style.legend_row(fig, [({"face": style.SKY, "edge": style.BLUE, "width": 1.5}, texts.ONE_ANSWER),
                           ({"marker": "^", "face": style.INK}, texts.TEAM_VIEW)], y_px, gap_px=56)


def _short(round: RoundResult, shown: list[ElementResult]) -> str:
    """A line or two under the picture: shown is most-different first."""
    if len(round.elements) == 1 and shown:
        element = shown[0]
        values = sorted(v for _, v in element.ratings)
        return texts.spread_short_one(style.short(element.element_name), len(values),
                                      _span(round, values[0], values[-1]))
    differ = style.short(shown[0].element_name) if disagreement(shown[0])[0] > 0 else None
    return texts.spread_short(nice_date(round.closed_on), round.answered, differ)


def _span(round: RoundResult, low: int, high: int) -> str:
    return texts.span_words(list(round.level_labels), low, high)


def _details(round: RoundResult, shown: list[ElementResult], hidden: list[ElementResult]) -> str:
    lines = [texts.spread_intro(round_name(round.closed_on), round.answered)]
    # The anonymity note goes before the per-element figures.
    if hidden:
        lines.append(texts.too_few_for([style.short(e.element_name) for e in hidden]))
    unrated = [e for e in round.elements if not e.ratings]
    if unrated:
        lines.append(texts.not_rated([style.short(e.element_name) for e in unrated]))
    for e in shown:
        values = sorted(v for _, v in e.ratings)
        levels = len({(v - 1) // 5 for v in values})
        view = round.place(e.team_view) if e.team_view is not None else None
        lines.append(texts.spread_line(style.short(e.element_name), len(values), _span(round, values[0], values[-1]),
                                       texts.levels_apart(levels), round.place(words.middle(values)), view))
    return "\n".join(lines)

