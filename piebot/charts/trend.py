"""Check-ins on one element (usually Responsiveness) over time."""

from __future__ import annotations

import math

import matplotlib.dates as mdates
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style
from .data import Chart, CheckInPoint, NothingToChart
from .layout import nice_date
from .spread import _num


def _answered(point: CheckInPoint) -> bool:
    return not point.missed and point.median is not None


def responsiveness_trend(points: list[CheckInPoint], element_name: str = "Responsiveness",
                         level_labels: list[str] | None = None) -> Chart:
    """Middle answer per check-in as a line, lowest-to-highest as a band, a break wherever one was missed."""
    name = style.clean(element_name) or "this element"
    points = sorted(points, key=lambda p: p.on)
    if not any(_answered(p) for p in points):
        raise NothingToChart(f"No check-in answers on {name} yet, so there is no trend to show. "
                             "It appears after the first check-in.")

    fig = style.new_figure()
    style.title(fig, f"{style.short(name, 30)} over time",
                f"Check-ins, {nice_date(points[0].on)} to {nice_date(points[-1].on)}")
    ax = fig.add_axes((0.12, 0.31, 0.84, 0.56))
    bars = fig.add_axes((0.12, 0.075, 0.84, 0.17), sharex=ax)

    dates = [mdates.date2num(p.on) for p in points]
    # NaN breaks the line and band at a missed check-in instead of drawing across the gap.
    median = [p.median if _answered(p) else math.nan for p in points]
    low = [p.low if _answered(p) and p.low is not None else math.nan for p in points]
    high = [p.high if _answered(p) and p.high is not None else math.nan for p in points]
    for level in range(4):
        ax.axhspan(level * 5 + 0.5, level * 5 + 5.5, color=style.BAND_A if level % 2 == 0 else style.BAND_B,
                   zorder=0, lw=0)
    ax.fill_between(dates, low, high, color=style.SKY, alpha=0.45, lw=0, zorder=1)
    ax.plot(dates, median, color=style.BLUE, lw=5, marker="o", ms=16, zorder=3)
    missed = [d for d, p in zip(dates, points, strict=True) if not _answered(p)]
    for d in missed:
        ax.axvline(d, color=style.VERMILLION, lw=2, ls=(0, (4, 4)), zorder=2)
    if missed:
        ax.scatter(missed, [1.5] * len(missed), marker="X", s=26**2, color=style.VERMILLION, zorder=4)

    for level, name in enumerate(list(level_labels or [])[:4]):
        style.text(ax, 0.99, level * 5 + 5.2, style.short(name, 28), transform=ax.get_yaxis_transform(),
                   fontsize=style.LEVEL_PX, color=style.GREY, ha="right", va="top", zorder=1.5)
    ax.set_ylim(0.5, 20.5)
    ax.set_yticks([1, 5, 10, 15, 20])
    span = (dates[-1] - dates[0]) or 1
    ax.set_xlim(dates[0] - span * 0.06 - 1, dates[-1] + span * 0.06 + 1)
    ax.set_ylabel("place on the scale", fontsize=style.SMALL_PX, family=style.FONT_FAMILY)
    for a in (ax, bars):
        a.tick_params(labelsize=style.SMALL_PX, length=6, width=1.5)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    ax.tick_params(labelbottom=False)

    counts = [0 if p.missed else p.answered for p in points]
    width = max(0.6, min(span / max(1, len(points)) * 0.6, 7))
    bars.bar(dates, counts, width=width, color=style.GREY, zorder=2)
    bars.set_ylim(0, max(counts + [1]) * 1.35)
    bars.set_yticks([0, max(counts + [1])])
    bars.set_ylabel("answered", fontsize=style.SMALL_PX, family=style.FONT_FAMILY)
    if len(points) <= 4 or span < 14:
        # Few points: label each one; the automatic locator cannot pick a sensible interval for a day or two.
        bars.set_xticks(dates, [f"{p.on.day} {p.on:%b}" for p in points])
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=5)
        bars.xaxis.set_major_locator(locator)
        bars.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    if len(points) <= 12:
        for d, c, p in zip(dates, counts, points, strict=True):
            style.text(bars, d, c, "missed" if p.missed else str(c), fontsize=style.SMALL_PX - 4, ha="center",
                       va="bottom", color=style.VERMILLION if p.missed else style.INK)

    handles = [Line2D([], [], color=style.BLUE, lw=5, marker="o", ms=14, label="middle answer"),
               Patch(color=style.SKY, alpha=0.45, label="lowest to highest")]
    if missed:
        handles.append(Line2D([], [], marker="X", ls="", ms=20, color=style.VERMILLION, label="missed"))
    fig.legend(handles=handles, loc="upper left", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.03, 0.91), prop={"family": style.FONT_FAMILY, "size": style.SMALL_PX},
               columnspacing=1.2, handletextpad=0.4)
    return style.to_chart(fig, "responsiveness_trend", _caption(points, name))


def _caption(points: list[CheckInPoint], name: str) -> str:
    answered = [p for p in points if _answered(p)]
    last, first = answered[-1], answered[0]
    lines = [(
        f"{name} over time: {len(points)} check-ins from {nice_date(points[0].on)} to "
        f"{nice_date(points[-1].on)} on the 20-place scale.")]
    lines.append(f"Latest answered, {nice_date(last.on)}: middle answer {_num(last.median)}"
                 + (f", answers from {last.low} to {last.high}" if last.low is not None and last.high is not None
                    else "")
                 + f", {last.answered} answered.")
    if len(answered) > 1:
        change = last.median - first.median
        how = "held" if change == 0 else f"moved {'up' if change > 0 else 'down'} {_num(abs(change))}"
        lines.append(f"First, {nice_date(first.on)}: middle answer {_num(first.median)}, "
                     f"{first.answered} answered. Since then it has {how}.")
    missed = [p for p in points if not _answered(p)]
    if missed:
        lines.append(f"Missed check-ins ({len(missed)}): " + ", ".join(nice_date(p.on) for p in missed) + ".")
    lines.append("Each: " + "; ".join(
        f"{nice_date(p.on)} " + (f"{_num(p.median)} ({p.answered} answered)" if _answered(p) else "missed")
        for p in points) + ".")
    return "\n".join(lines)
