"""Our actions as a table a tired person reads on a phone: what, who, by when, and where it stands.

Overdue first (on a warm band), then open ones by date, then done ones with the day they were done,
then dropped ones. The picture is 1080 px wide and only as tall as its rows (at most 1350): two actions
make a short strip, not a tall blank page. When the rows do not fit, the text shrinks to one line each,
then the last rows give way to a line saying how many more there are; the caption lists them all.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from conversations.actions import list_key
from conversations.texts import action_table as texts

from . import style
from .data import ActionRow, Chart, NothingToChart
from .layout import drawing_plane

WIDTH = style.WIDTH_PX
LEFT, RIGHT = 40, WIDTH - 40
COLUMNS = {"what": LEFT + 16, "who": 540, "due": 698, "status": 838}
# Bold words run wider than style.wrap's average glyph: leave them room before the next column.
WHAT_WIDTH = (COLUMNS["who"] - COLUMNS["what"] - 20) * 0.88
WHO_WIDTH = COLUMNS["due"] - COLUMNS["who"] - 14
TOP = 176  # the table's first row, under the title, the subtitle and the column heads
BOTTOM = 36
MIN_HEIGHT = 300  # a strip much flatter than this looks like a banner, not a chart
# (font px, lines of "what", row height px): full first, then one line, then tighter.
ROW_STEPS = ((28, 2, None), (28, 1, 64), (26, 1, 56), (24, 1, 50))
# Okabe-Ito colours: the pill's fill and its words.
PILLS = {
    "overdue": (style.VERMILLION, "white"),
    "open": ("#D6ECFA", style.INK),
    "still_on": ("#FBE7B5", style.INK),
    "done": (style.GREEN, "white"),
    "dropped": ("#E4E4E4", style.GREY),
}
OVERDUE_BAND = "#FCEBE2"
BAND = "#F5F5F5"


def in_order(actions: list[ActionRow]) -> list[ActionRow]:
    """Overdue (longest first), open and still on by date, done (latest first), dropped: the rule of
    conversations.actions, on rows whose status already says "overdue"."""
    return sorted(actions, key=lambda a: list_key("open" if a.status == "overdue" else a.status, a.due, a.done_on,
                                                  a.status == "overdue"))


def action_details(actions: list[ActionRow]) -> str:
    """Every action in words, without drawing the table (for the "details" button)."""
    if not actions:
        raise NothingToChart(texts.NO_ACTIONS)
    return _caption(in_order(actions))


def action_table(actions: list[ActionRow]) -> Chart:
    if not actions:
        raise NothingToChart(texts.NO_ACTIONS)
    rows = in_order(actions)
    font, lines, heights = _fit(rows)
    shown = len(heights)
    height = max(MIN_HEIGHT, round(TOP + sum(heights) + (56 if shown < len(rows) else 0) + BOTTOM))
    fig = Figure(figsize=(WIDTH / style.DPI, height / style.DPI), dpi=style.DPI, facecolor="white")
    # A plain drawing plane, pixels from the top left, not an Axes: an Axes (its ticks, spines and the
    # limits every patch updates) cost more than the table itself. The plane places itself on a page
    # HEIGHT_PX tall, so it is given the bottom `height` pixels of one: this figure's whole height.
    ax = drawing_plane(fig, style.HEIGHT_PX - height, style.HEIGHT_PX, 0, 1, xlim=(0, WIDTH), ylim=(height, 0))

    counts = {s: sum(1 for a in rows if a.status == s) for s in texts.STATUS_ORDER}
    style.text(ax, LEFT, 24, style.wrap(texts.ACTIONS_TITLE, WIDTH - 2 * LEFT, style.TITLE_PX, 1),
               fontsize=style.TITLE_PX, fontweight="bold", va="top")
    subtitle = texts.actions_subtitle(counts)
    sub_px = next((px for px in (style.SUBTITLE_PX, 28, 26, 24)
                   if style.text_width(style.clean(subtitle), px) <= WIDTH - 2 * LEFT), None)
    style.text(ax, LEFT, 80, style.clean(subtitle) if sub_px else style.wrap(subtitle, WIDTH - 2 * LEFT, 24, 1),
               fontsize=sub_px or 24, color=style.GREY, va="top")
    for x, word in zip(COLUMNS.values(), texts.ACTION_COLUMNS, strict=True):
        style.text(ax, x, TOP - 14, word, fontsize=22, fontweight="bold", color=style.GREY, va="bottom")
    ax.plot([LEFT, RIGHT], [TOP - 6, TOP - 6], color=style.THREAD, lw=1.5)

    y = TOP
    for i, (action, row_height) in enumerate(zip(rows, heights, strict=False)):
        _row(ax, action, y, row_height, font, lines, striped=i % 2 == 1)
        y += row_height
    if shown < len(rows):
        style.text(ax, COLUMNS["what"], y + 28, style.wrap(texts.more_actions(len(rows) - shown),
                                                          RIGHT - COLUMNS["what"], 24, 1),
                   fontsize=24, color=style.GREY, va="center", style="italic")
    counts = {s: sum(1 for a in rows if a.status == s) for s in texts.STATUS_ORDER}
    return style.to_chart(fig, "actions", texts.actions_short(len(rows), counts), _caption(rows))


def _what(action: ActionRow, font: float, lines: int) -> str:
    return style.wrap(action.text, WHAT_WIDTH, font, lines)


def _fit(rows: list[ActionRow]) -> tuple[float, int, list[float]]:
    """The font, lines of "what" and the height of each row shown, so the picture stays within 1350 px."""
    room = style.HEIGHT_PX - TOP - BOTTOM
    for font, lines, fixed in ROW_STEPS:
        heights = [fixed or _natural(max(_what(a, font, lines).count("\n"),
                                         style.wrap(_who(a), WHO_WIDTH, font - 2, lines).count("\n")) + 1, font)
                   for a in rows]
        if sum(heights) <= room:
            return font, lines, heights
    font, lines, fixed = ROW_STEPS[-1]
    fits = int((room - 56) // fixed)
    return font, lines, [fixed] * fits


def _natural(lines: int, font: float) -> float:
    return lines * font * 1.25 + 34


def _row(ax, action: ActionRow, top: float, height: float, font: float, lines: int, striped: bool) -> None:
    overdue = action.status == "overdue"
    if overdue or striped:
        ax.add_patch(Rectangle((LEFT, top), RIGHT - LEFT, height, facecolor=OVERDUE_BAND if overdue else BAND,
                               edgecolor="none", zorder=0))
    middle = top + height / 2
    settled = action.status in ("done", "dropped")
    ink = style.GREY if action.status == "dropped" else style.INK
    style.text(ax, COLUMNS["what"], middle, _what(action, font, lines), fontsize=font, fontweight="bold",
               color=ink, va="center", linespacing=1.25)
    who = _who(action)
    small = font - 2
    # A name cut on one line keeps its letters ("Dee Okonk…"), not just its first word.
    shown = style.wrap(who, WHO_WIDTH, small, lines) if lines > 1 else _one_line(who, WHO_WIDTH, small)
    style.text(ax, COLUMNS["who"], middle, shown, fontsize=small, color=ink, va="center", linespacing=1.2)
    due = texts.day_and_month(action.due) if action.due else texts.NO_DATE_YET
    style.text(ax, COLUMNS["due"], middle, due, fontsize=small,
               color=style.VERMILLION if overdue else (style.GREY if settled else ink),
               fontweight="bold" if overdue else "normal", va="center")
    _pill(ax, action, middle, small)


def _one_line(words: str, width: float, font: float) -> str:
    """The words cut to fit `width` as they will be drawn, ending with an ellipsis if cut."""
    words = style.clean(words)
    if style.text_width(words, font) <= width:
        return words
    while words and style.text_width(words + "…", font) > width:
        words = words[:-1]
    return words.rstrip() + "…"


def _who(action: ActionRow) -> str:
    if action.owner_hidden:
        return texts.OWNER_NOT_SHOWN
    return action.owner or texts.NO_OWNER_YET


def _pill(ax, action: ActionRow, middle: float, font: float) -> None:
    label = texts.done_label(action.done_on) if action.status == "done" else texts.STATUS_LABELS.get(
        action.status, texts.STATUS_LABELS["open"])
    face, ink = PILLS.get(action.status, PILLS["open"])
    size = font - 4
    width = min(RIGHT - COLUMNS["status"], style.text_width(label, size, bold=True) + 28)
    pill_height = size * 1.7
    ax.add_patch(FancyBboxPatch((COLUMNS["status"], middle - pill_height / 2), width, pill_height,
                                boxstyle=f"round,pad=0,rounding_size={pill_height / 2:.1f}",
                                facecolor=face, edgecolor="none", zorder=2))
    style.text(ax, COLUMNS["status"] + width / 2, middle, label, fontsize=size, fontweight="bold", color=ink,
               ha="center", va="center")


def _caption(rows: list[ActionRow]) -> str:
    counts = {s: sum(1 for a in rows if a.status == s) for s in texts.STATUS_ORDER}
    lines = [texts.actions_caption_head(len(rows), counts)]
    for status in texts.STATUS_ORDER:
        items = [texts.action_in_caption(style.short(a.text, 60), style.short(_who(a), 24),
                                         a.due, a.done_on if status == "done" else None,
                                         style.short(a.reason, 40) if status == "dropped" and a.reason else None)
                 for a in rows if a.status == status]
        if items:
            lines.append(texts.actions_caption_group(status, items))
    return "\n".join(lines)
