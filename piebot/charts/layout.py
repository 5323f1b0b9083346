"""Row layout shared by the per-element charts: a label column on the left, a drawing column on the right.

Rows are measured in pixels (the drawing axes use pixels on y), so a row that needs two lines of text or
a tall stack of beads simply gets taller; when the page runs out the font shrinks before names are cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from . import style
from .data import ElementResult

LABEL_LEFT = 0.04  # figure fraction where labels start
# (font px, max lines) in order of preference: whole names at full size first, then one line (cut with
# an ellipsis) before going below 28 px, then smaller; the caption and PDF always carry the full names.
FIT_STEPS = ((30, 2), (28, 2), (30, 1), (28, 1), (26, 2), (26, 1), (24, 1), (22, 1), (20, 1), (18, 1))


@dataclass
class Row:
    kind: str  # "theme" or "element"
    label: str
    height: float
    top: float = 0.0  # pixels below the top of the drawing area (negative y in data units)
    element: ElementResult | None = None
    own: bool = False

    @property
    def middle(self) -> float:
        return -(self.top + self.height / 2)


@dataclass
class Layout:
    rows: list[Row]
    font_px: float


def theme_groups(elements: Iterable[ElementResult]) -> list[tuple[str, list[ElementResult]]]:
    """Elements grouped by theme, themes in the order they first appear (the framework's order)."""
    groups: dict[str, list[ElementResult]] = {}
    for element in elements:
        groups.setdefault(element.theme_name, []).append(element)
    return list(groups.items())


def element_label(element: ElementResult, theme_is_own: bool) -> str:
    # The theme header already says "(our own)" when the whole theme is written in.
    suffix = " (our own)" if element.written_in and not theme_is_own else ""
    return style.clean(element.element_name) + suffix


def fit_rows(groups: list[tuple[str, list[ElementResult]]], avail_px: float, label_width_px: float,
             min_element_px: float = 0.0, with_themes: bool = True) -> Layout:
    best: tuple[list[Row], float] | None = None
    for font, max_lines in FIT_STEPS:
        rows = _rows(groups, font, max_lines, label_width_px, min_element_px, with_themes)
        if sum(r.height for r in rows) <= avail_px:
            return Layout(_stack(rows), font)
        best = (rows, font)
    assert best is not None
    rows, font = best
    # Too many rows even at the smallest font: squeeze evenly; the caption and PDF carry the names.
    scale = avail_px / max(1.0, sum(r.height for r in rows))
    for r in rows:
        r.height *= scale
    return Layout(_stack(rows), font)


def _rows(groups, font: float, max_lines: int, label_width_px: float, min_element_px: float,
          with_themes: bool) -> list[Row]:
    rows: list[Row] = []
    for theme, elements in groups:
        own = all(e.written_in for e in elements)
        if with_themes:
            name = style.clean(theme) + (" (our own)" if own else "")
            rows.append(Row("theme", style.wrap(name, label_width_px * 2.1, font, 1), font * 1.4, own=own))
        for element in elements:
            label = style.wrap(element_label(element, own and with_themes), label_width_px, font, max_lines)
            lines = label.count("\n") + 1
            height = max(min_element_px, lines * font * 1.08 + font * 0.42)
            rows.append(Row("element", label, height, element=element, own=element.written_in))
    return rows


def _stack(rows: list[Row]) -> list[Row]:
    top = 0.0
    for r in rows:
        r.top = top
        top += r.height
    return rows


def drawing_axes(fig: Figure, top_px: float, bottom_px: float, left: float, right: float = 0.965,
                 xlim: tuple[float, float] = (0.5, 20.5)) -> Axes:
    """Axes whose y unit is one pixel, from top_px down to bottom_px measured from the top of the page."""
    height = bottom_px - top_px
    ax = fig.add_axes((left, 1 - bottom_px / style.HEIGHT_PX, right - left, height / style.HEIGHT_PX))
    ax.set_xlim(*xlim)
    ax.set_ylim(-height, 0)
    style.bare(ax)
    return ax


def draw_labels(fig: Figure, ax: Axes, layout: Layout, own_colour: str = style.VERMILLION,
                anchor: Callable[[Row], float] | None = None) -> None:
    """Theme and element names in the left column, level with `anchor(row)` (default: the row's middle)."""
    to_fig = blended_transform_factory(fig.transFigure, ax.transData)
    for row in layout.rows:
        y = anchor(row) if anchor is not None else row.middle
        if row.kind == "theme":
            style.text(ax, LABEL_LEFT, y, row.label, transform=to_fig, fontsize=layout.font_px,
                       fontweight="bold", va="center", ha="left",
                       color=own_colour if row.own else style.INK, clip_on=False)
        else:
            indent = 0.015 if any(r.kind == "theme" for r in layout.rows) else 0
            style.text(ax, LABEL_LEFT + indent, y, row.label, transform=to_fig,
                       fontsize=layout.font_px, va="center", ha="left", linespacing=1.0, clip_on=False,
                       style="italic" if row.own else "normal",
                       color=own_colour if row.own else style.INK)


def nice_date(day: date | None) -> str:
    if day is None:
        return "still open"
    return f"{day.day} {day:%b %Y}"


def round_name(closed_on: date | None) -> str:
    return "the open round" if closed_on is None else f"the round closed {nice_date(closed_on)}"
