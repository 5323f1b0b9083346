"""Action plan progress: open, done and overdue actions per theme."""

from __future__ import annotations

from conversations.texts import charts as texts

from . import style
from .data import ActionRow, Chart, NothingToChart
from .layout import drawing_plane

# Hatching repeats the colour meaning for anyone who cannot tell the colours apart.
STATUSES = tuple((status, texts.STATUS_WORDS[status], colour, hatch) for status, colour, hatch in (
    ("done", style.GREEN, ""), ("open", style.SKY, ""), ("overdue", style.VERMILLION, "//")))
MAX_THEMES = 12
HEIGHT_LEGEND_PX = 156  # the legend's middle, from the top, under the title


def actions_by_theme(actions: list[ActionRow]) -> Chart:
    if not actions:
        raise NothingToChart(texts.NO_ACTIONS)
    counts: dict[str, dict[str, int]] = {}
    for action in actions:
        status = action.status if action.status in ("open", "done", "overdue") else "open"
        counts.setdefault(action.theme_name, {"done": 0, "open": 0, "overdue": 0})[status] += 1
    themes = list(counts)
    if len(themes) > MAX_THEMES:
        # Keep the busiest themes readable; the rest are summed into one bar.
        themes.sort(key=lambda t: -sum(counts[t].values()))
        rest = themes[MAX_THEMES - 1:]
        merged = {s: sum(counts[t][s] for t in rest) for s in ("done", "open", "overdue")}
        themes = themes[: MAX_THEMES - 1] + [texts.other_themes(len(rest))]
        counts[themes[-1]] = merged

    fig = style.new_figure()
    total = len(actions)
    style.title(fig, texts.ACTIONS_TITLE, texts.actions_agreed(total))
    top, bottom = 0.86, 0.09
    n = len(themes)
    widest = max(sum(c.values()) for c in counts.values())
    # Rows run downwards: row 0 at the top.
    ax = drawing_plane(fig, (1 - top) * style.HEIGHT_PX, (1 - bottom) * style.HEIGHT_PX, 0.05, 0.95,
                       xlim=(0, widest * 1.15), ylim=(max(n, 5) - 0.4, -0.75))
    label_font = style.LABEL_PX if n <= 7 else max(style.MIN_LABEL_PX, style.LABEL_PX - (n - 7) * 2)
    bar_h = 0.42
    for i, theme in enumerate(themes):
        style.text(ax, 0, i - bar_h / 2 - 0.08, style.wrap(theme, style.WIDTH_PX * 0.9, label_font, 1),
                   fontsize=label_font, fontweight="bold", va="bottom", ha="left")
    left = [0] * n
    for status, _label, colour, hatch in STATUSES:
        widths = [counts[t][status] for t in themes]
        ax.barh(list(range(n)), widths, left=left, height=bar_h, color=colour, hatch=hatch or None,
                edgecolor="white", linewidth=2)
        for i, (x0, w) in enumerate(zip(left, widths, strict=True)):
            if w and w / (widest * 1.15) * style.WIDTH_PX * 0.9 > label_font * 1.3:
                style.text(ax, x0 + w / 2, i, str(w), fontsize=label_font, ha="center", va="center",
                           color="white" if status != "open" else style.INK, fontweight="bold",
                           bbox={"facecolor": colour, "edgecolor": "none", "pad": 1} if hatch else None)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for i, total in enumerate(left):
        style.text(ax, total + widest * 0.015, i, str(total), fontsize=label_font, ha="left", va="center",
                   color=style.GREY)
    style.legend_row(fig, [({"marker": "s", "size": 32, "face": c, "edge": "white", "hatch": h or None}, lab)
                           for _, lab, c, h in STATUSES], HEIGHT_LEGEND_PX, left_px=0.05 * style.WIDTH_PX)
    return style.to_chart(fig, "actions_by_theme", _caption(actions, counts, themes))


def _caption(actions: list[ActionRow], counts, themes) -> str:
    done = sum(c["done"] for t, c in counts.items() if t in themes)
    open_ = sum(c["open"] for t, c in counts.items() if t in themes)
    overdue = sum(c["overdue"] for t, c in counts.items() if t in themes)
    lines = [texts.actions_intro(len(actions), done, open_, overdue)]
    for theme in themes:
        lines.append(texts.actions_of_theme(style.short(theme), counts[theme]))
    return "\n".join(lines)
