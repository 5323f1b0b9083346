"""Check-ins on one element (usually Responsiveness) over time."""

from __future__ import annotations

import math

import matplotlib.dates as mdates
from matplotlib.collections import LineCollection
from matplotlib.transforms import IdentityTransform

from conversations.texts import charts as texts
from conversations.texts.charts import nice_date

from . import style
from .data import Chart, CheckInPoint, NothingToChart
from .layout import drawing_plane
from .spread import _num


def _answered(point: CheckInPoint) -> bool:
    return not point.missed and point.median is not None


def responsiveness_trend(points: list[CheckInPoint], element_name: str = "Responsiveness",
                         level_labels: list[str] | None = None) -> Chart:
    """Middle answer per check-in as a line, lowest-to-highest as a band, a break wherever one was missed."""
    name = style.clean(element_name) or texts.THIS_ELEMENT
    points = sorted(points, key=lambda p: p.on)
    if not any(_answered(p) for p in points):
        raise NothingToChart(texts.no_trend(name))

    fig = style.new_figure()
    style.title(fig, texts.trend_title(style.short(name, 30)),
                texts.trend_subtitle(nice_date(points[0].on), nice_date(points[-1].on)))
    dates = [mdates.date2num(p.on) for p in points]
    span = (dates[-1] - dates[0]) or 1
    xlim = (dates[0] - span * 0.06 - 1, dates[-1] + span * 0.06 + 1)
    counts = [0 if p.missed else p.answered for p in points]
    most = max(counts + [1])
    # Two drawing areas sharing the time axis: answers above, how many answered below. They are drawn
    # as plain figure artists (layout.Plane): two Axes with date ticks cost more than the rest together.
    ax = drawing_plane(fig, TOP_PX, MIDDLE_PX, LEFT, RIGHT, xlim=xlim, ylim=(0.5, 20.5))
    bars = drawing_plane(fig, BARS_TOP_PX, BARS_BOTTOM_PX, LEFT, RIGHT, xlim=xlim, ylim=(0, most * 1.35))

    # NaN breaks the line and band at a missed check-in instead of drawing across the gap.
    median = [p.median if _answered(p) else math.nan for p in points]
    for level in range(4):
        ax.axhspan(level * 5 + 0.5, level * 5 + 5.5, facecolor=style.BAND_A if level % 2 == 0 else style.BAND_B,
                   zorder=0, linewidth=0)
    for segment in _answered_runs(points):
        low = [(dates[i], points[i].low if points[i].low is not None else points[i].median) for i in segment]
        high = [(dates[i], points[i].high if points[i].high is not None else points[i].median) for i in segment]
        ax.polygon(low + high[::-1], facecolor=style.SKY, alpha=0.45, linewidth=0, zorder=1)
    ax.plot(dates, median, color=style.BLUE, lw=5, marker="o", ms=16, zorder=3)
    missed = [d for d, p in zip(dates, points, strict=True) if not _answered(p)]
    for d in missed:
        ax.axvline(d, color=style.VERMILLION, lw=2, ls=(0, (4, 4)), zorder=2)
    if missed:
        ax.scatter(missed, [1.5] * len(missed), marker="X", s=26**2, color=style.VERMILLION, zorder=4)
    for level, label in enumerate(list(level_labels or [])[:4]):
        style.text(ax, xlim[0] + (xlim[1] - xlim[0]) * 0.99, level * 5 + 5.2, style.short(label, 28),
                   fontsize=style.LEVEL_PX, color=style.GREY, ha="right", va="top")

    width = max(0.6, min(span / max(1, len(points)) * 0.6, 7))
    bars.barh_up(dates, counts, width=width, color=style.GREY, zorder=2)
    if len(points) <= 4 or span < 14:
        # Few points: label each one; the automatic locator cannot pick a sensible interval for a day or two.
        ticks, labels = dates, [texts.day_and_month(p.on) for p in points]
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=5)
        locator.create_dummy_axis()
        locator.axis.set_view_interval(*xlim)
        ticks = [t for t in locator() if xlim[0] <= t <= xlim[1]]
        labels = mdates.ConciseDateFormatter(locator, show_offset=False).format_ticks(ticks)
    _frame(ax, [1, 5, 10, 15, 20], [str(v) for v in (1, 5, 10, 15, 20)], ticks, None, texts.PLACE_ON_SCALE)
    _frame(bars, [0, most], ["0", str(most)], ticks, labels, texts.ANSWERED)
    if len(points) <= 12:
        for d, c, p in zip(dates, counts, points, strict=True):
            style.text(bars, d, c + most * 0.02, texts.MISSED if p.missed else str(c), fontsize=style.SMALL_PX - 4,
                       ha="center", va="bottom", color=style.VERMILLION if p.missed else style.INK)

    entries = [({"line": style.BLUE, "lw": 5, "size": 44, "marker_size": 14}, texts.MIDDLE_ANSWER),
               ({"marker": "s", "size": 30, "face": style.SKY, "alpha": 0.45}, texts.LOWEST_TO_HIGHEST)]
    if missed:
        entries.append(({"marker": "X", "size": 24, "face": style.VERMILLION}, texts.MISSED))
    style.legend_row(fig, entries, LEGEND_PX, left_px=0.045 * style.WIDTH_PX, gap_px=style.SMALL_PX * 1.6)
    return style.to_chart(fig, "responsiveness_trend", _caption(points, name))


TOP_PX, MIDDLE_PX = 175.5, 931.5  # the answers, in pixels from the top of the page
BARS_TOP_PX, BARS_BOTTOM_PX = 1019.25, 1248.75  # how many answered
LEFT, RIGHT = 0.12, 0.96
LEGEND_PX = 158
TICK_PX = 6


def _answered_runs(points: list[CheckInPoint]) -> list[list[int]]:
    """Indexes of answered check-ins, in unbroken runs of two or more (a band needs a width)."""
    runs: list[list[int]] = [[]]
    for i, p in enumerate(points):
        if _answered(p):
            runs[-1].append(i)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if len(r) >= 2]


def _frame(plane, yticks, ylabels, xticks, xlabels, title: str) -> None:
    """Left and bottom edges with their ticks and numbers, like an Axes with its top and right spines off."""
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
    for y, label in zip(yticks, ylabels, strict=True):
        py = to_px((x0, y))[1]
        style.text(plane.figure, (left_px - TICK_PX - 3.5) / style.WIDTH_PX, py / style.HEIGHT_PX, label,
                   fontsize=font, ha="right", va="center")
        widest = max(widest, style.text_width(label, font))
    for x, label in zip(xticks, xlabels or [], strict=False):
        px = to_px((x, y0))[0]
        style.text(plane.figure, px / style.WIDTH_PX, (bottom_px - TICK_PX - 3.5) / style.HEIGHT_PX, label,
                   fontsize=font, ha="center", va="top")
    middle = (bottom_px + top_px) / 2
    style.text(plane.figure, (left_px - TICK_PX - 3.5 - widest - 4 - font / 2) / style.WIDTH_PX,
               middle / style.HEIGHT_PX, title, fontsize=font, ha="center", va="center", rotation=90)


def _caption(points: list[CheckInPoint], name: str) -> str:
    answered = [p for p in points if _answered(p)]
    last, first = answered[-1], answered[0]
    lines = [texts.trend_intro(name, len(points), nice_date(points[0].on), nice_date(points[-1].on))]
    lines.append(texts.trend_latest(nice_date(last.on), _num(last.median), last.low, last.high, last.answered))
    if len(answered) > 1:
        change = last.median - first.median
        lines.append(texts.trend_first(nice_date(first.on), _num(first.median), first.answered, change,
                                       _num(abs(change))))
    missed = [p for p in points if not _answered(p)]
    if missed:
        lines.append(texts.missed_checkins([nice_date(p.on) for p in missed]))
    lines.append(texts.each_checkin([(nice_date(p.on), _num(p.median) if _answered(p) else None, p.answered)
                                     for p in points]))
    return "\n".join(lines)
