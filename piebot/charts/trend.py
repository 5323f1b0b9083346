"""Check-ins on one element (usually Responsiveness) over time, each bead as it was given.

A bead tapped in the group names a level only: it is drawn as a bracket over its whole level, with
how many named it beside it. A place chosen in private is a dot on its place. The middle is joined by a
line only between check-ins where everyone chose a place: a level is never drawn as if it were a place.
Check-ins with fewer than three answers show only how many answered, as the summary does.
"""

from __future__ import annotations

import matplotlib.dates as mdates
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.transforms import IdentityTransform

from conversations.checkin_figures import change_between
from conversations.texts import charts as texts
from conversations.texts.charts import nice_date
from conversations.texts.scale import level_move, move_in_places

from . import style
from .data import Chart, CheckInPoint, NothingToChart
from .layout import drawing_plane

LEVELS = 4
DEFAULT_LABELS = ["Level 1", "Level 2", "Level 3", "Level 4"]


def _answered(point: CheckInPoint) -> bool:
    return not point.missed and point.answered > 0


def _shown(point: CheckInPoint) -> bool:
    """Enough answers to show where they were without giving anyone away."""
    return _answered(point) and point.figures.showable


def _prepared(points: list[CheckInPoint], element_name: str, level_labels: list[str] | None):
    name = style.clean(element_name) or texts.THIS_ELEMENT
    labels = (list(level_labels or []) + DEFAULT_LABELS[len(level_labels or []):])[:LEVELS]
    points = sorted(points, key=lambda p: p.on)
    if not any(_answered(p) for p in points):
        raise NothingToChart(texts.no_trend(name))
    return name, labels, points


def trend_details(points: list[CheckInPoint], element_name: str = "Responsiveness",
                  level_labels: list[str] | None = None) -> str:
    """The trend in words, without drawing it (for the "details" button)."""
    name, labels, ordered = _prepared(points, element_name, level_labels)
    return _caption(ordered, name, labels)


def responsiveness_trend(points: list[CheckInPoint], element_name: str = "Responsiveness",
                         level_labels: list[str] | None = None) -> Chart:
    """Levels named as brackets, places chosen as dots, how many answered below, a break wherever one was missed."""
    name, labels, points = _prepared(points, element_name, level_labels)

    # The level bands, their names and the legend's first row depend on the level names alone: drawn
    # once per render process and kept as pixels (style.page); the rest is drawn on them each time.
    fig = style.page(("responsiveness_trend", tuple(labels)))
    dates = [float(d) for d in mdates.date2num([p.on for p in points])]  # one conversion, not one per point
    span = (dates[-1] - dates[0]) or 1
    xlim = (dates[0] - span * 0.06 - 1, dates[-1] + span * 0.06 + 1)
    counts = [p.answered for p in points]
    most = max(counts + [1])
    # Two drawing areas sharing the time axis: answers above, how many answered below. They are drawn
    # as plain figure artists (layout.Plane): two Axes with date ticks cost more than the rest together.
    ax = drawing_plane(fig, TOP_PX, MIDDLE_PX, LEFT, RIGHT, xlim=xlim, ylim=(0.5, 20.5))
    bars = drawing_plane(fig, BARS_TOP_PX, BARS_BOTTOM_PX, LEFT, RIGHT, xlim=xlim, ylim=(0, most * 1.35))
    x_per_px = (xlim[1] - xlim[0]) / ((RIGHT - LEFT) * style.WIDTH_PX)
    gap_px = (RIGHT - LEFT) * style.WIDTH_PX / max(1, len(points))

    first_row = [({"marker": "s", "size": 26, "face": style.SKY, "edge": style.BLUE, "width": 2},
                  texts.NAMED_A_LEVEL),
                 ({"marker": "o", "size": 22, "face": style.BLUE}, texts.CHOSE_A_PLACE)]
    if style.drawing_background(fig):
        for level in range(LEVELS):
            ax.axhspan(level * 5 + 0.5, level * 5 + 5.5, facecolor=style.BAND_A if level % 2 == 0 else style.BAND_B,
                       zorder=0, linewidth=0)
        _level_names(fig, ax, labels)
        style.legend_row(fig, first_row, LEGEND_PX, font_px=LEGEND_FONT_PX, left_px=LEFT * style.WIDTH_PX,
                         gap_px=LEGEND_FONT_PX * 1.6)
        style.background_done(fig)
    style.title(fig, texts.trend_title(style.short(name, 30)),
                texts.trend_subtitle(nice_date(points[0].on), nice_date(points[-1].on)))
    brackets: list = []
    dots: dict[float, tuple[list[float], list[float]]] = {}
    for d, p in zip(dates, points, strict=True):
        if _shown(p):
            _draw_answers(ax, d, p, x_per_px, gap_px, brackets, dots)
    # All brackets as one collection and the dots of each size as one marker line: one artist each, not
    # one per bracket or dot (artists, not pixels, are most of the drawing's cost).
    if brackets:
        ax.add_collection(PolyCollection(brackets, facecolors=style.SKY, alpha=0.65, edgecolors=style.BLUE,
                                         linewidths=2), zorder=2)
    for size, (xs, ys) in dots.items():
        ax.scatter(xs, ys, s=size**2, color=style.BLUE, edgecolors="white", linewidths=1.5, zorder=4)
    runs = _exact_runs(points)
    for run in runs:
        xs, ys = [dates[i] for i in run], [points[i].figures.middle_place for i in run]
        ax.plot(xs, ys, color=style.BLUE, lw=4, zorder=3, solid_capstyle="round")
        ax.scatter(xs, ys, s=MIDDLE_PX_SIZE**2, facecolors="white", edgecolors=style.BLUE, linewidths=3, zorder=5)
    missed = [d for d, p in zip(dates, points, strict=True) if p.missed]
    for d in missed:
        ax.axvline(d, color=style.VERMILLION, lw=2, ls=(0, (4, 4)), zorder=2)
    if missed:
        ax.scatter(missed, [1.5] * len(missed), marker="X", s=26**2, color=style.VERMILLION, zorder=4)

    width = max(0.6, min(span / max(1, len(points)) * 0.6, 7))
    bars.barh_up(dates, counts, width=width, color=style.GREY, zorder=2)
    if len(points) <= 4 or span < 14:
        # Few points: label each one; the automatic locator cannot pick a sensible interval for a day or two.
        ticks, tick_labels = dates, [texts.day_and_month(p.on) for p in points]
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=5)
        locator.create_dummy_axis()
        locator.axis.set_view_interval(*xlim)
        ticks = [t for t in locator() if xlim[0] <= t <= xlim[1]]
        tick_labels = mdates.ConciseDateFormatter(locator, show_offset=False).format_ticks(ticks)
    _frame(ax, [0.5, 5.5, 10.5, 15.5, 20.5], None, ticks, None, None)
    _frame(bars, [0, most], ["0", str(most)], ticks, tick_labels, texts.ANSWERED)
    if len(points) <= 12:
        for d, c, p in zip(dates, counts, points, strict=True):
            style.text(bars, d, c + most * 0.02, texts.MISSED if p.missed else str(c), fontsize=style.SMALL_PX - 4,
                       ha="center", va="bottom", color=style.VERMILLION if p.missed else style.INK)

    second_row = [({"line": style.BLUE, "lw": 4, "size": 44, "marker_size": MIDDLE_PX_SIZE, "face": "white",
                    "edge": style.BLUE, "width": 3}, texts.MIDDLE_PLACE)] if runs else []
    if missed:
        second_row.append(({"marker": "X", "size": 24, "face": style.VERMILLION}, texts.MISSED))
    if second_row:
        style.legend_row(fig, second_row, LEGEND_PX + LEGEND_FONT_PX * 1.5, font_px=LEGEND_FONT_PX,
                         left_px=LEFT * style.WIDTH_PX, gap_px=LEGEND_FONT_PX * 1.6)
    return style.to_chart(fig, "responsiveness_trend", _short(points, name, labels), _caption(points, name, labels))


TOP_PX, MIDDLE_PX = 235.5, 931.5  # the answers, in pixels from the top of the page
BARS_TOP_PX, BARS_BOTTOM_PX = 1019.25, 1248.75  # how many answered
# The level names are the answers' axis, so the drawing starts where they end.
LEFT, RIGHT = 0.25, 0.96
LEGEND_PX, LEGEND_FONT_PX = 158, 24
TICK_PX = 6
LEVEL_NAME_PX = 23
BRACKET_HALF_PX = 9
DOT_PX = 18
MIDDLE_PX_SIZE = 14


def _level_names(fig, ax, labels: list[str]) -> None:
    """Each level's name beside its band, where an axis would have numbers."""
    right_px = ax.transData.transform((ax.xlim[0], 0))[0] - TICK_PX - 6
    for level, label in enumerate(labels, start=1):
        y_px = ax.transData.transform((ax.xlim[0], level * 5 - 2))[1]
        style.text(fig, right_px / style.WIDTH_PX, y_px / style.HEIGHT_PX,
                   style.wrap(label, right_px - 0.035 * style.WIDTH_PX, LEVEL_NAME_PX, 3),
                   fontsize=LEVEL_NAME_PX, ha="right", va="center", color=style.INK)


def _draw_answers(ax, d: float, point: CheckInPoint, x_per_px: float, gap_px: float, brackets: list,
                  dots: dict[float, tuple[list[float], list[float]]]) -> None:
    """Brackets over the levels named, dots on the places chosen; side by side when a check-in has both.
    The brackets' corners and the dots (by size) are gathered, to be drawn together; their counts are
    written here."""
    figures = point.figures
    both = bool(figures.level_only) and bool(figures.places)
    half = min(BRACKET_HALF_PX, gap_px * 0.18) * x_per_px
    shift = (half / x_per_px + 4) * x_per_px if both else 0.0
    x_level, x_place = d - shift, d + shift
    small = style.SMALL_PX - 6
    for level, count in figures.level_only.items():
        low, high = (level - 1) * 5 + 0.75, level * 5 + 0.25
        brackets.append([(x_level - half, low), (x_level + half, low), (x_level + half, high), (x_level - half, high)])
        style.text(ax, x_level + half + 3 * x_per_px, (low + high) / 2, str(count), fontsize=small,
                   color=style.BLUE, fontweight="bold", ha="left", va="center")
    for place, count in figures.places.items():
        size = min(DOT_PX + 6 * (count - 1), 40)
        xs, ys = dots.setdefault(size, ([], []))
        xs.append(x_place)
        ys.append(place)
        if count > 1:
            style.text(ax, x_place + (size / 2 + 3) * x_per_px, place, str(count), fontsize=small,
                       color=style.BLUE, fontweight="bold", ha="left", va="center")


def _exact_runs(points: list[CheckInPoint]) -> list[list[int]]:
    """Indexes of shown check-ins where everyone chose a place, in unbroken runs of two or more."""
    runs: list[list[int]] = [[]]
    for i, p in enumerate(points):
        if _shown(p) and p.figures.middle_place is not None:
            runs[-1].append(i)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if len(r) >= 2]


def _frame(plane, yticks, ylabels, xticks, xlabels, title: str | None) -> None:
    """Left and bottom edges with their ticks and words, like an Axes with its top and right spines off."""
    (x0, x1), (y0, y1) = plane.xlim, plane.ylim
    to_px = plane.transData.transform
    left_px, bottom_px = to_px((x0, y0))
    right_px, top_px = to_px((x1, y1))
    segments = [[(left_px, bottom_px), (left_px, top_px)], [(left_px, bottom_px), (right_px, bottom_px)]]
    widths = [0.8, 0.8]
    for y in yticks:
        py = to_px((x0, y))[1]
        segments.append([(left_px - TICK_PX, py), (left_px, py)])
        widths.append(1.5)
    for x in xticks:
        px = to_px((x, y0))[0]
        segments.append([(px, bottom_px - TICK_PX), (px, bottom_px)])
        widths.append(1.5)
    plane.figure.add_artist(LineCollection(segments, colors="black", linewidths=widths, zorder=2.5,
                                           transform=IdentityTransform()))
    font = style.SMALL_PX
    widest = 0.0
    for y, label in zip(yticks, ylabels or [], strict=False):
        py = to_px((x0, y))[1]
        style.text(plane.figure, (left_px - TICK_PX - 3.5) / style.WIDTH_PX, py / style.HEIGHT_PX, label,
                   fontsize=font, ha="right", va="center")
        widest = max(widest, style.text_width(label, font))
    for x, label in zip(xticks, xlabels or [], strict=False):
        px = to_px((x, y0))[0]
        style.text(plane.figure, px / style.WIDTH_PX, (bottom_px - TICK_PX - 3.5) / style.HEIGHT_PX, label,
                   fontsize=font, ha="center", va="top")
    if title is None:
        return
    middle = (bottom_px + top_px) / 2
    style.text(plane.figure, (left_px - TICK_PX - 3.5 - widest - 4 - font / 2) / style.WIDTH_PX,
               middle / style.HEIGHT_PX, title, fontsize=font, ha="center", va="center", rotation=90)


def _middle(point: CheckInPoint, labels: list[str]) -> str:
    figures = point.figures
    return texts.middle_words(labels, figures.middle_place, figures.middle_level)


def _short(points: list[CheckInPoint], name: str, labels: list[str]) -> str:
    """Two lines under the picture: how many check-ins, and the latest answered one."""
    last = [p for p in points if _answered(p)][-1]
    return texts.trend_short(name, len(points), nice_date(last.on), last.answered,
                             _middle(last, labels) if _shown(last) else None)


def _caption(points: list[CheckInPoint], name: str, labels: list[str]) -> str:
    answered = [p for p in points if _answered(p)]
    last = answered[-1]
    lines = [texts.trend_intro(name, len(points), nice_date(points[0].on), nice_date(points[-1].on))]
    if _shown(last):
        levels = texts.in_levels([(count, texts.level_words(labels, level))
                                  for level, count in last.figures.by_level.items()])
        lines.append(texts.trend_latest(nice_date(last.on), last.answered, levels, _middle(last, labels)))
    else:
        lines.append(texts.trend_latest(nice_date(last.on), last.answered, texts.TOO_FEW_TO_SHOW, None))
    shown = [p for p in answered if _shown(p)]
    if len(shown) > 1 and shown[-1] is last:
        change = change_between(shown[0].figures, last.figures)
        if change is not None:
            how = (move_in_places(change.before, change.after) if change.in_places
                   else level_move(change.before, change.after, texts.level_words(labels, change.after)))
            lines.append(texts.trend_since(nice_date(shown[0].on), how))
    missed = [p for p in points if p.missed]
    if missed:
        lines.append(texts.missed_checkins([nice_date(p.on) for p in missed]))
    lines.append(texts.each_checkin([(nice_date(p.on), (_middle(p, labels) if _shown(p) else "")
                                      if not p.missed else None, p.answered) for p in points]))
    return "\n".join(lines)
