"""Row layout shared by the per-element charts: a label column on the left, a drawing column on the right.

Rows are measured in pixels (the drawing axes use pixels on y), so a row that needs two lines of text or
a tall stack of beads simply gets taller; when the page runs out the font shrinks before names are cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import FancyArrowPatch, Polygon, Rectangle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, IdentityTransform, blended_transform_factory

from conversations.texts import charts as texts

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
    suffix = texts.OUR_OWN_SUFFIX if element.written_in and not theme_is_own else ""
    return style.clean(element.element_name) + suffix


def fit_rows(groups: list[tuple[str, list[ElementResult]]], avail_px: float, label_width_px: float,
             min_element_px: float = 0.0, with_themes: bool = True) -> Layout:
    best: tuple[list[Row], float] | None = None
    fitting: tuple[list[Row], float] | None = None
    for font, max_lines in FIT_STEPS:
        rows = _rows(groups, font, max_lines, label_width_px, min_element_px, with_themes)
        fits = sum(r.height for r in rows) <= avail_px
        # Cut names must still tell the elements apart ("Relationships with…" four times would not),
        # so a smaller font is worth it when it shows the words that differ.
        if fits and _distinct(rows):
            return Layout(_stack(rows), font)
        if fits and fitting is None:
            fitting = (rows, font)
        best = (rows, font)
    if fitting is not None:
        return Layout(_stack(fitting[0]), fitting[1])
    assert best is not None
    rows, font = best
    # Too many rows even at the smallest font: squeeze evenly; the caption and PDF carry the names.
    scale = avail_px / max(1.0, sum(r.height for r in rows))
    for r in rows:
        r.height *= scale
    return Layout(_stack(rows), font)


def used_bottom(layout: Layout, top_px: float, bottom_px: float, margin_px: float = 24) -> float:
    """Where the drawing can end: at its last row, or at `bottom_px` if the rows fill the page."""
    used = sum(r.height for r in layout.rows)
    return min(bottom_px, top_px + used + margin_px)


def layout_key(layout: Layout) -> tuple:
    """Everything about the rows that shows in a chart's background: for reusing it (style.page)."""
    return (layout.font_px, tuple((r.kind, r.label, round(r.top, 2), round(r.height, 2), r.own)
                                  for r in layout.rows))


def _distinct(rows: list[Row]) -> bool:
    elements = [r for r in rows if r.kind == "element"]
    names = {r.element.element_name for r in elements}
    return len({r.label for r in elements}) >= len(names)


def _rows(groups, font: float, max_lines: int, label_width_px: float, min_element_px: float,
          with_themes: bool) -> list[Row]:
    rows: list[Row] = []
    for theme, elements in groups:
        own = all(e.written_in for e in elements)
        if with_themes:
            name = style.clean(theme) + (texts.OUR_OWN_SUFFIX if own else "")
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


class Plane:
    """A drawing area like `drawing_axes`, without an Axes: its marks are the figure's own artists.

    An Axes costs ~8 ms to build (axis, ticks, spines nobody sees) and more to draw; the row charts
    only need a data-to-pixel transform. It offers the few Axes methods those charts use, with the
    same meaning, so the style helpers work on either.
    """

    def __init__(self, fig: Figure, top_px: float, bottom_px: float, left: float, right: float = 0.965,
                 xlim: tuple[float, float] = (0.5, 20.5), ylim: tuple[float, float] | None = None) -> None:
        self.figure = fig
        height = bottom_px - top_px
        x0, x1 = xlim
        # By default data y is in pixels, from -height (bottom) to 0 (top); ylim[0] is always the bottom.
        y0, y1 = ylim if ylim is not None else (-height, 0.0)
        left_px, width_px = left * style.WIDTH_PX, (right - left) * style.WIDTH_PX
        # Display pixels have their origin at the bottom left of the page.
        self.transData = (Affine2D().translate(-x0, -y0).scale(width_px / (x1 - x0), height / (y1 - y0))
                          .translate(left_px, style.HEIGHT_PX - bottom_px))
        self.xlim = xlim
        self.ylim = (y0, y1)

    def _add(self, artist, zorder: float | None = None):
        if zorder is not None:
            artist.set_zorder(zorder)
        self.figure.add_artist(artist)
        return artist

    def add_patch(self, patch, zorder: float | None = None):
        patch.set_transform(self.transData)
        return self._add(patch, zorder)

    def add_collection(self, collection, zorder: float | None = None):
        collection.set_transform(self.transData)
        return self._add(collection, zorder)

    def plot(self, xs, ys, *, zorder: float = 2, **kw) -> Line2D:
        return self._add(Line2D(xs, ys, transform=self.transData, **kw), zorder)

    def axvline(self, x: float, *, zorder: float = 2, **kw) -> Line2D:
        return self.plot([x, x], list(self.ylim), zorder=zorder, **kw)

    def axvspan(self, x0: float, x1: float, ymin: float = 0, ymax: float = 1, *, zorder: float = 1, **kw):
        low, high = self.ylim
        y0, y1 = low + (high - low) * ymin, low + (high - low) * ymax
        return self._add(Rectangle((x0, y0), x1 - x0, y1 - y0, transform=self.transData, **kw), zorder)

    def barh(self, ys, widths, *, height: float, left=0, zorder: float = 2, **kw) -> None:
        lefts = left if isinstance(left, (list, tuple)) else [left] * len(ys)
        if "color" in kw:  # as in Axes.barh: the colour fills the bar, with no outline
            kw["facecolor"] = kw.pop("color")
        kw.setdefault("linewidth", 0)
        for y, width, x in zip(ys, widths, lefts, strict=True):
            self._add(Rectangle((x, y - height / 2), width, height, transform=self.transData, **kw), zorder)

    def axhspan(self, y0: float, y1: float, *, zorder: float = 0, **kw):
        (x0, x1) = self.xlim
        return self._add(Rectangle((x0, y0), x1 - x0, y1 - y0, transform=self.transData, **kw), zorder)

    def polygon(self, points, *, zorder: float = 1, **kw):
        return self._add(Polygon(points, closed=True, transform=self.transData, **kw), zorder)

    def barh_up(self, xs, heights, *, width: float, color, zorder: float = 2) -> None:
        """Upright bars centred on xs, from 0 (Axes.bar), filled with `color` and no outline; one collection
        for them all (one artist per bar cost more than drawing them)."""
        half = width / 2
        boxes = [[(x - half, 0), (x + half, 0), (x + half, height), (x - half, height)]
                 for x, height in zip(xs, heights, strict=True) if height]
        if boxes:
            self.add_collection(PolyCollection(boxes, facecolors=color, edgecolors="none", linewidths=0), zorder)

    def scatter(self, xs, ys, *, s, marker: str = "o", color=None, facecolors=None, edgecolors="face",
                linewidths=None, zorder: float = 1):
        face = facecolors if facecolors is not None else color
        edge = face if edgecolors == "face" else edgecolors
        if np.ndim(s) == 0 and _marker(marker)[1] and isinstance(face, str) and isinstance(edge, str):
            # Same size and colours for all: a marker line, which Agg draws once and stamps at every
            # point, where a collection draws each one afresh (300 beads: ~4 ms against ~0.5 ms).
            return self._add(Line2D(np.asarray(xs, float), np.asarray(ys, float), linestyle="none",
                                    marker=marker, markersize=float(s) ** 0.5, markerfacecolor=face,
                                    markeredgecolor=edge,
                                    markeredgewidth=linewidths if linewidths is not None else 1.0,
                                    transform=self.transData), zorder)
        path, filled = _marker(marker)
        offsets = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
        sizes = np.broadcast_to(np.asarray(s, float), (len(offsets),))
        if not filled:
            face, edgecolors = "none", face
        collection = PathCollection([path], sizes=sizes, offsets=offsets, offset_transform=self.transData,
                                    facecolors=face, edgecolors=face if edgecolors == "face" else edgecolors,
                                    linewidths=linewidths if linewidths is not None else 1.0)
        collection.set_transform(IdentityTransform())
        return self._add(collection, zorder)

    def text(self, x: float, y: float, s: str, **kw):
        kw.setdefault("transform", self.transData)
        return self.figure.text(x, y, s, **kw)

    def arrow(self, start: tuple[float, float], end: tuple[float, float], *, zorder: float = 2, **kw):
        return self._add(FancyArrowPatch(start, end, transform=self.transData, **kw), zorder)


@lru_cache(maxsize=32)
def _marker(marker: str) -> tuple[Path, bool]:
    style_ = MarkerStyle(marker)
    return style_.get_path().transformed(style_.get_transform()), style_.is_filled()


def drawing_plane(fig: Figure, top_px: float, bottom_px: float, left: float, right: float = 0.965,
                  xlim: tuple[float, float] = (0.5, 20.5), ylim: tuple[float, float] | None = None) -> Plane:
    return Plane(fig, top_px, bottom_px, left, right, xlim, ylim)


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
