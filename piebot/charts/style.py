"""Shared look of every chart: page size, palette, fonts and safe text.

The figure is 15 x 18.75 in at 72 dpi, so one point is one pixel: font sizes below read directly as
pixels on the 1080 x 1350 picture Telegram shows full width on a phone.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from PIL import Image

from .data import SCALE_PLACES, Chart

WIDTH_PX = 1080
HEIGHT_PX = 1350
DPI = 72

TITLE_PX = 44
SUBTITLE_PX = 30
LABEL_PX = 30
SMALL_PX = 28
LEVEL_PX = 23  # level names sit four abreast over the thread, so they get three short lines
MIN_LABEL_PX = 20
CAPTION_LIMIT = 1024

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
INK = "#1A1A1A"
GREY = "#6B6B6B"
THREAD = "#9A9A9A"
BAND_A = "#F2F2F2"
BAND_B = "#FFFFFF"

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_PATH = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD_PATH = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT_FAMILY = "DejaVu Sans"

# zlib level 1: ~40% faster than the default 6 for a picture that is sent once, for ~10% more bytes.
PNG_COMPRESS_LEVEL = 1

try:  # optional: bidi reordering for renderers without libraqm; matplotlib >= 3.11 shapes RTL itself
    from bidi.algorithm import get_display as _bidi_display
except ImportError:  # pragma: no cover - depends on the environment
    _bidi_display = None


@lru_cache(maxsize=1)
def _supported_codepoints() -> frozenset[int]:
    charmap = FT2Font(str(FONT_PATH)).get_charmap()
    return frozenset(charmap) | frozenset(" \n")


# matplotlib 3.11 lays text out with libraqm (bidi + Arabic shaping); older versions need python-bidi.
_MPL_SHAPES_TEXT = tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) >= (3, 11)


def _needs_own_layout() -> bool:
    return _bidi_display is not None and not _MPL_SHAPES_TEXT


def clean(text: str | None) -> str:
    """Text safe to draw: glyphs DejaVu Sans lacks (most emoji) are dropped so they never show as boxes.

    Joiners and variation selectors go too, since they only make sense next to the dropped emoji.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    ok = _supported_codepoints()
    kept = "".join(
        ch
        for ch in text
        if ord(ch) in ok and unicodedata.category(ch) not in ("Cf", "Cc", "Co", "Cs")
    )
    kept = " ".join(kept.split())
    if _needs_own_layout():  # pragma: no cover
        kept = _bidi_display(kept)
    return kept


def wrap(text: str, width_px: float, font_px: float, max_lines: int = 2) -> str:
    """Wrap to the width by an average glyph width, ending with an ellipsis if it had to cut."""
    chars = max(4, int(width_px / (font_px * 0.56)))
    lines = textwrap.wrap(clean(text), chars, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = (last[: chars - 1].rstrip() + "…") if len(last) >= chars else last + "…"
    return "\n".join(lines)


def short(text: str, limit: int = 40) -> str:
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def new_figure() -> Figure:
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    return fig


def title(fig: Figure, main: str, sub: str | None = None) -> None:
    fig.text(0.04, 0.975, wrap(main, WIDTH_PX * 0.92, TITLE_PX, 1), fontsize=TITLE_PX, fontweight="bold",
             color=INK, va="top", ha="left", parse_math=False, family=FONT_FAMILY)
    if sub:
        fig.text(0.04, 0.975 - 58 / HEIGHT_PX, wrap(sub, WIDTH_PX * 0.92, SUBTITLE_PX, 1),
                 fontsize=SUBTITLE_PX, color=GREY, va="top", ha="left", parse_math=False, family=FONT_FAMILY)


def text(target: Figure | Axes, x: float, y: float, s: str, **kw) -> None:
    """Every user-supplied string goes through here so '$' never starts mathtext."""
    kw.setdefault("family", FONT_FAMILY)
    kw.setdefault("color", INK)
    target.text(x, y, s, parse_math=False, **kw)


def bare(ax: Axes) -> None:
    ax.set_axis_off()


def draw_level_bands(ax: Axes, labels: list[str] | None, label_y: float | None, band_width_px: float,
                     font_px: float = LEVEL_PX) -> None:
    """Four shaded level bands behind the 20 places, labelled with the team's own level names."""
    for level in range(4):
        left = level * 5 + 0.5
        ax.axvspan(left, left + 5, ymin=0, ymax=1, facecolor=BAND_A if level % 2 == 0 else BAND_B,
                   edgecolor="none", zorder=0)
        if labels is not None and label_y is not None:
            name = labels[level] if level < len(labels) else f"Level {level + 1}"
            text(ax, left + 2.5, label_y, wrap(name, band_width_px, font_px, 3), fontsize=font_px,
                 ha="center", va="bottom", color=GREY, linespacing=1.0)


def thread(ax: Axes, y: float) -> None:
    ax.plot([0.7, SCALE_PLACES + 0.3], [y, y], color=THREAD, lw=2, zorder=1, solid_capstyle="round")


def place_ticks(ax: Axes, ys: list[float]) -> None:
    """The 20 places as small dots on every thread, drawn as one artist for speed."""
    xs = [x for _ in ys for x in range(1, SCALE_PLACES + 1)]
    yy = [y for y in ys for _ in range(SCALE_PLACES)]
    ax.scatter(xs, yy, s=10, color=THREAD, zorder=1, linewidths=0)


def png_bytes(fig: Figure) -> bytes:
    """Draw with Agg and encode as an opaque RGB PNG (the benchmark floor uses this too).

    Dropping the alpha channel the white page never needs makes encoding ~20% cheaper than savefig's RGBA.
    """
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3]
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def to_chart(fig: Figure, kind: str, caption: str) -> Chart:
    return Chart(kind=kind, png=png_bytes(fig), caption=fit_caption(caption), width_px=WIDTH_PX,
                 height_px=HEIGHT_PX)


def fit_caption(caption: str) -> str:
    """Telegram rejects captions over 1024 characters; cut at a sentence boundary when possible."""
    caption = caption.strip()
    if len(caption) <= CAPTION_LIMIT:
        return caption
    cut = caption[: CAPTION_LIMIT - 1]
    stop = max(cut.rfind(". "), cut.rfind("\n"))
    if stop > CAPTION_LIMIT // 2:
        cut = cut[: stop + 1]
    return cut.rstrip() + "…"
