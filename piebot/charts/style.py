"""Shared look of every chart: page size, palette, fonts and safe text.

The figure is 15 x 18.75 in at 72 dpi, so one point is one pixel: font sizes below read directly as
pixels on the 1080 x 1350 picture Telegram shows full width on a phone.

A chart is laid out from the top of that page; one with few rows says where its drawing ends
(`to_chart(..., height_px=...)`) and the picture is cut there, so one element is a short strip, not a
tall page that is mostly blank. Nothing else changes: the same coordinates, the same cached backgrounds.
"""

from __future__ import annotations

import struct
import textwrap
import unicodedata
import zlib
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.transforms import IdentityTransform
from PIL import Image, ImageDraw, ImageFont, features

from conversations.texts import charts as texts

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
# The shortest picture: flatter than this, a chart reads as a banner (and Telegram shows it very small).
MIN_HEIGHT_PX = 360

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

# zlib level 1: much faster than the default 6 for a picture that is sent once, for ~10% more bytes.
PNG_COMPRESS_LEVEL = 1

try:  # optional: bidi reordering for renderers without libraqm; matplotlib >= 3.11 shapes RTL itself
    from bidi.algorithm import get_display as _bidi_display
except ImportError:  # pragma: no cover - depends on the environment
    _bidi_display = None


@lru_cache(maxsize=1)
def _supported_codepoints() -> frozenset[int]:
    charmap = FT2Font(str(FONT_PATH)).get_charmap()
    return frozenset(charmap) | frozenset(" \n")


# Pillow draws the words when it has libraqm too (bidi and Arabic shaping); otherwise matplotlib does.
_PILLOW_SHAPES_TEXT = bool(features.check("raqm"))

# matplotlib 3.11 lays text out with libraqm (bidi + Arabic shaping); older versions need python-bidi.
_MPL_SHAPES_TEXT = tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) >= (3, 11)


def _needs_own_layout() -> bool:
    return _bidi_display is not None and not _MPL_SHAPES_TEXT


@lru_cache(maxsize=4096)
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


@lru_cache(maxsize=4096)
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
    text(fig, 0.04, 0.975, wrap(main, WIDTH_PX * 0.92, TITLE_PX, 1), fontsize=TITLE_PX, fontweight="bold",
         va="top", ha="left")
    if sub:
        text(fig, 0.04, 0.975 - 58 / HEIGHT_PX, wrap(sub, WIDTH_PX * 0.92, SUBTITLE_PX, 1),
             fontsize=SUBTITLE_PX, color=GREY, va="top", ha="left")


def text(target: Figure | Axes, x: float, y: float, s: str, **kw) -> None:
    """Every chart string goes through here, so '$' never starts mathtext.

    With Pillow's libraqm (bidi and shaping, as matplotlib 3.11 has) the words are drawn by Pillow
    onto the finished picture in `png_bytes`: matplotlib lays text out glyph by glyph in Python, about
    1.6 ms a label, Pillow a whole line in C. They are drawn above every other artist.
    """
    if _PILLOW_SHAPES_TEXT:
        figure = target if isinstance(target, Figure) else target.figure
        transform = kw.pop("transform", None) or (
            target.transFigure if isinstance(target, Figure) else target.transData)
        texts = figure.__dict__.setdefault("_piebot_texts", [])
        texts.append(_Words(x, y, str(s), transform, kw))
        return
    kw.setdefault("family", FONT_FAMILY)
    kw.setdefault("color", INK)
    target.text(x, y, s, parse_math=False, **kw)


def text_width(s: str, font_px: float, bold: bool = False) -> float:
    """How wide a line of words is drawn, in pixels."""
    return _pil_font(bold, False, float(font_px)).getlength(s)


class _Words:
    """A string to draw with Pillow once the figure's transforms are final."""

    __slots__ = ("kw", "s", "transform", "x", "y")

    def __init__(self, x: float, y: float, s: str, transform, kw: dict) -> None:
        self.x, self.y, self.s, self.transform, self.kw = x, y, s, transform, kw


# DejaVu Sans: a line box runs 0.76 em above the baseline and 0.24 em below, as matplotlib lays it out.
_ASCENT_EM = 0.76
_FONT_FILES = {
    (False, False): FONT_PATH,
    (True, False): FONT_BOLD_PATH,
    (False, True): FONT_DIR / "DejaVuSans-Oblique.ttf",
    (True, True): FONT_DIR / "DejaVuSans-BoldOblique.ttf",
}


@lru_cache(maxsize=64)
def _pil_font(bold: bool, italic: bool, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FONT_FILES[(bold, italic)]), size=size, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(maxsize=256)
def _rgb(colour) -> tuple[int, int, int]:
    r, g, b, _ = to_rgba(colour)
    return round(r * 255), round(g * 255), round(b * 255)


@lru_cache(maxsize=2048)
def _word_mask(line: str, bold: bool, italic: bool, size: float, anchor: str) -> tuple[Image.Image, int, int]:
    """A line of words as a coverage mask, and where its top left sits from the anchor point.

    Kept because the same words come back render after render (names, numbers, level labels).
    """
    font = _pil_font(bold, italic, size)
    left, top, right, bottom = font.getbbox(line, anchor=anchor)
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), line, font=font, fill=255, anchor=anchor)
    return mask, left, top


def _draw_upright(image: Image.Image, line: str, font, fill, px: float, py: float, size: float) -> None:
    """One line turned a quarter left (an axis title), centred on (px, py)."""
    width = int(font.getlength(line)) + 2
    mask = Image.new("L", (width, int(size * 1.2) + 2), 0)
    ImageDraw.Draw(mask).text((0, _ASCENT_EM * size), line, font=font, fill=255, anchor="ls")
    mask = mask.rotate(90, expand=True)
    image.paste(Image.new("RGB", mask.size, fill), (round(px - mask.width / 2), round(py - mask.height / 2)), mask)


def _draw_words(image: Image.Image, texts: list[_Words]) -> None:
    draw = ImageDraw.Draw(image)
    height = image.height
    for words in texts:
        kw = words.kw
        if not words.s or kw.get("visible", True) is False:
            continue
        size = float(kw.get("fontsize", kw.get("size", 12)))
        bold = str(kw.get("fontweight", kw.get("weight", "normal"))) in ("bold", "heavy", "semibold", "700")
        italic = kw.get("style", kw.get("fontstyle", "normal")) in ("italic", "oblique")
        font = _pil_font(bold, italic, size)
        lines = words.s.split("\n")
        step = size * float(kw.get("linespacing", 1.2))
        box = (len(lines) - 1) * step + size
        px, py = words.transform.transform((words.x, words.y))
        py = height - py
        va = kw.get("va", kw.get("verticalalignment", "baseline"))
        if va == "top":
            top = py
        elif va == "bottom":
            top = py - box
        elif va in ("center", "center_baseline"):
            top = py - box / 2
        else:  # baseline: the first line sits on y
            top = py - _ASCENT_EM * size
        ha = kw.get("ha", kw.get("horizontalalignment", "left"))
        anchor = {"left": "ls", "center": "ms", "right": "rs"}.get(ha, "ls")
        bbox = kw.get("bbox")
        if bbox:
            pad = float(bbox.get("pad", 4))
            width = max(font.getlength(line) for line in lines)
            left = {"left": px, "center": px - width / 2, "right": px - width}.get(ha, px)
            face = bbox.get("facecolor", "white")
            if face not in (None, "none"):
                draw.rectangle((left - pad, top - pad, left + width + pad, top + box + pad), fill=_rgb(face))
        fill = _rgb(kw.get("color", kw.get("c", INK)))
        if kw.get("rotation") in (90, "vertical"):
            _draw_upright(image, lines[0], font, fill, px, py, size)
            continue
        for i, line in enumerate(lines):
            if line:
                mask, left, up = _word_mask(line, bold, italic, size, anchor)
                image.paste(fill, (round(px + left), round(top + _ASCENT_EM * size + i * step + up)), mask)


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
            name = labels[level] if level < len(labels) else texts.level_fallback(level + 1)
            text(ax, left + 2.5, label_y, wrap(name, band_width_px, font_px, 3), fontsize=font_px,
                 ha="center", va="bottom", color=GREY, linespacing=1.0)


def thread(ax: Axes, y: float) -> None:
    ax.plot([0.7, SCALE_PLACES + 0.3], [y, y], color=THREAD, lw=2, zorder=1, solid_capstyle="round")


def threads(ax, ys: list[float]) -> None:
    """Every row's thread as one artist: one draw call instead of one Line2D each."""
    if ys:
        ax.add_collection(LineCollection([[(0.7, y), (SCALE_PLACES + 0.3, y)] for y in ys], colors=THREAD,
                                         linewidths=2, capstyle="round", zorder=1))


def legend_row(fig: Figure, entries: list[tuple[dict, str]], y_px: float, font_px: float = SMALL_PX,
               gap_px: float | None = None, left_px: float | None = None) -> None:
    """A one-line legend centred near the bottom: (marker, label) pairs, `y_px` from the top of the page.

    Drawn as one marker collection and plain words rather than a matplotlib Legend, which lays out and
    draws its own text (a few ms each time).
    Marker dicts: marker, size (px across), face, edge, width (edge line width), hatch.
    """
    gap = gap_px if gap_px is not None else font_px * 1.5
    font = _pil_font(False, False, float(font_px))
    widths = [entry.get("size", 22) + font_px * 0.6 + font.getlength(label) for entry, label in entries]
    x = left_px if left_px is not None else (WIDTH_PX - sum(widths) - gap * (len(entries) - 1)) / 2
    y = HEIGHT_PX - y_px
    for (entry, label), width in zip(entries, widths, strict=True):
        size = entry.get("size", 22)
        if entry.get("line"):
            fig.add_artist(Line2D([x, x + size], [y, y], color=entry["line"], lw=entry.get("lw", 2),
                                  transform=IdentityTransform(), zorder=4, solid_capstyle="butt"))
            entry = {"face": entry["line"], **entry, "size": entry.get("marker_size", size)}
            inner = entry["size"]
        else:
            inner = size
        marker = MarkerStyle(entry.get("marker", "o"))
        path = marker.get_path().transformed(marker.get_transform())
        mark = PathCollection([path], sizes=[inner**2], offsets=[(x + size / 2, y)], alpha=entry.get("alpha"),
                              offset_transform=IdentityTransform(), facecolors=entry.get("face", BLUE),
                              edgecolors=entry.get("edge", entry.get("face", BLUE)),
                              linewidths=entry.get("width", 0), zorder=5)
        if entry.get("hatch"):
            mark.set_hatch(entry["hatch"])
        mark.set_transform(IdentityTransform())
        fig.add_artist(mark)
        text(fig, (x + size + font_px * 0.6) / WIDTH_PX, y / HEIGHT_PX, label, fontsize=font_px, va="center",
             ha="left")
        x += width + gap


def place_ticks(ax: Axes, ys: list[float]) -> None:
    """The 20 places as small dots on every thread, drawn as one artist for speed."""
    xs = [x for _ in ys for x in range(1, SCALE_PLACES + 1)]
    yy = [y for y in ys for _ in range(SCALE_PLACES)]
    ax.scatter(xs, yy, s=10, color=THREAD, zorder=1, linewidths=0)


# ---- the unchanging part of a page, drawn once -----------------------------------------------------
#
# A chart's background (level bands, threads, names, legend) depends only on the team's elements and
# level names, so each render process keeps the last few as finished pixels and draws only the marks
# that carry data on top. About 6 MB each (1080 x 1350 RGBA); a render process keeps BACKGROUNDS.
BACKGROUNDS = 4
_backgrounds: OrderedDict[tuple, np.ndarray] = OrderedDict()


def page(key: tuple) -> Figure:
    """A new figure for a chart whose background is fully described by `key`.

    Draw the background only if `drawing_background(fig)`, then call `background_done(fig)`; everything
    added after that is drawn fresh each time.
    """
    fig = new_figure()
    if not _PILLOW_SHAPES_TEXT:  # matplotlib's own text would sit in the figure, outside the marks
        return fig
    fig.__dict__["_piebot_key"] = key
    cached = _backgrounds.get(key)
    if cached is not None:
        _backgrounds.move_to_end(key)
    fig.__dict__["_piebot_background"] = cached
    return fig


def drawing_background(fig: Figure) -> bool:
    return fig.__dict__.get("_piebot_background") is None


def background_done(fig: Figure) -> None:
    fig.__dict__["_piebot_mark"] = (len(fig.artists), len(fig.__dict__.get("_piebot_texts", [])))


def forget_backgrounds() -> None:
    _backgrounds.clear()


def _to_rgb(canvas: FigureCanvasAgg) -> Image.Image:
    return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
                            ).convert("RGB")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _encode(image: Image.Image) -> bytes:
    """An 8-bit RGB PNG with no row filter.

    Pillow tries every PNG row filter on every row and keeps the best; on flat-coloured charts "none"
    compresses as small or smaller, and skipping the search makes encoding about three times faster.
    """
    pixels = np.asarray(image)
    height, width, _ = pixels.shape
    rows = np.empty((height, width * 3 + 1), np.uint8)
    rows[:, 0] = 0  # filter type: none
    rows[:, 1:] = pixels.reshape(height, -1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows, PNG_COMPRESS_LEVEL)) + _png_chunk(b"IEND", b""))


def png_bytes(fig: Figure) -> bytes:
    """Draw with Agg and encode as an opaque RGB PNG (the benchmark floor uses this too).

    Dropping the alpha channel the white page never needs makes encoding ~20% cheaper than savefig's RGBA.
    Words queued by `text` are drawn onto the picture between the two.
    """
    if fig.__dict__.get("_piebot_key") is not None:
        return _png_on_background(fig)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = _to_rgb(canvas)
    texts = fig.__dict__.get("_piebot_texts")
    if texts:
        _draw_words(image, texts)
    return _encode(_cut(fig, image))


def _cut(fig: Figure, image: Image.Image) -> Image.Image:
    """The picture down to the height its chart asked for (see `to_chart`)."""
    height = fig.__dict__.get("_piebot_height")
    if height is None or height >= image.height:
        return image
    return image.crop((0, 0, image.width, height))


def _png_on_background(fig: Figure) -> bytes:
    texts = fig.__dict__.get("_piebot_texts", [])
    background = fig.__dict__.get("_piebot_background")
    n_artists, n_texts = fig.__dict__.get("_piebot_mark", (0, 0)) if background is None else (0, 0)
    marks = fig.artists[n_artists:]
    canvas = FigureCanvasAgg(fig)
    if background is None:
        for artist in marks:
            artist.set_visible(False)
        canvas.draw()
        image = _to_rgb(canvas)
        _draw_words(image, texts[:n_texts])
        background = np.asarray(image.convert("RGBA"))
        _backgrounds[fig.__dict__["_piebot_key"]] = background
        while len(_backgrounds) > BACKGROUNDS:
            _backgrounds.popitem(last=False)
        for artist in marks:
            artist.set_visible(True)
    renderer = canvas.get_renderer()
    np.asarray(renderer.buffer_rgba())[...] = background
    for artist in sorted(marks, key=lambda a: a.get_zorder()):
        artist.draw(renderer)
    image = _to_rgb(canvas)
    _draw_words(image, texts[n_texts:])
    return _encode(_cut(fig, image))


def to_chart(fig: Figure, kind: str, caption: str, details: str = "", height_px: float | None = None) -> Chart:
    """The finished chart. `caption` is the line or two under the picture; `details` every figure in words
    (the caption if none). `height_px`: where the drawing ends, from the top; the picture is cut there
    (never below MIN_HEIGHT_PX, never beyond the page)."""
    if height_px is not None:
        fig.__dict__["_piebot_height"] = max(MIN_HEIGHT_PX, min(round(height_px), round(fig.get_figheight() * DPI)))
    height = fig.__dict__.get("_piebot_height") or round(fig.get_figheight() * DPI)
    return Chart(kind=kind, png=png_bytes(fig), caption=fit_caption(caption), width_px=WIDTH_PX,
                 height_px=height, details=(details or caption).strip())


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
