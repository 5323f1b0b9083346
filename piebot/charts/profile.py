"""Team profile (every element's team view on its thread) and distance travelled between two rounds."""

from __future__ import annotations

from conversations.texts import charts as texts
from conversations.texts.charts import nice_date, round_name

from . import style
from .data import Chart, ElementResult, NothingToChart, RoundResult
from .layout import Layout, Row, draw_labels, drawing_plane, fit_rows, layout_key, theme_groups, used_bottom

LABEL_FRACTION = 0.49  # the label column ends here; the thread fills the rest
TOP_PX = 215  # title, subtitle and level names above
BOTTOM_PX = 1270  # legend below
LEGEND_PX = 1302  # the legend's middle, from the top


def _previous_views(current: RoundResult, previous: RoundResult | None) -> dict[str, int | None]:
    if previous is not None:
        return {e.element_id: e.team_view for e in previous.elements}
    return {e.element_id: e.previous_team_view for e in current.elements}


def team_profile(current: RoundResult, previous: RoundResult | None = None) -> Chart:
    """Team view of every element as a bead on the 20-place thread, with last round's view as a hollow bead."""
    before = _previous_views(current, previous)
    if not current.elements:
        raise NothingToChart(texts.NO_ELEMENTS_FOR_PROFILE)
    if all(e.team_view is None for e in current.elements) and all(v is None for v in before.values()):
        raise NothingToChart(texts.NO_TEAM_VIEW_FOR_PROFILE)

    label_width = style.WIDTH_PX * (LABEL_FRACTION - 0.085)
    layout = fit_rows(theme_groups(current.elements), BOTTOM_PX - TOP_PX, label_width)
    with_previous = any(v is not None for v in before.values())
    with_own = any(e.written_in for e in current.elements)
    fig = style.page(("team_profile", layout_key(layout), tuple(current.level_labels), with_previous, with_own))
    # A round on a few elements ends where its rows end, with the legend under them, not a page below.
    bottom = used_bottom(layout, TOP_PX, BOTTOM_PX)
    ax = drawing_plane(fig, TOP_PX, bottom, LABEL_FRACTION)
    if style.drawing_background(fig):
        band_px = style.WIDTH_PX * (0.965 - LABEL_FRACTION) / 4
        style.draw_level_bands(ax, current.level_labels, 8, band_px)
        draw_labels(fig, ax, layout)
        middles = [r.middle for r in layout.rows if r.kind == "element"]
        style.threads(ax, middles)
        style.place_ticks(ax, middles)
        _legend(fig, with_previous, with_own, bottom + LEGEND_PX - BOTTOM_PX)
        style.background_done(fig)
    style.title(fig, texts.PROFILE_TITLE,
                texts.profile_subtitle(style.short(current.team_name, 30), round_name(current.closed_on)))
    _draw_profile_rows(ax, layout, before)
    return style.to_chart(fig, "team_profile", _profile_caption(current, before))


def _draw_profile_rows(ax, layout: Layout, before: dict[str, int | None]) -> None:
    element_rows = [r for r in layout.rows if r.kind == "element"]
    bead = min(30.0, max(14.0, layout.font_px * 0.95))
    ours = [(r.element.team_view, r.middle) for r in element_rows if r.element.team_view and not r.own]
    own = [(r.element.team_view, r.middle) for r in element_rows if r.element.team_view and r.own]
    past = [(before.get(r.element.element_id), r.middle) for r in element_rows
            if before.get(r.element.element_id)]
    if past:
        ax.scatter(*zip(*past, strict=True), s=bead**2, facecolors="white", edgecolors=style.GREY,
                   linewidths=3, zorder=3)
    if ours:
        ax.scatter(*zip(*ours, strict=True), s=bead**2, color=style.BLUE, edgecolors="white", linewidths=1.5,
                   zorder=4)
    if own:
        ax.scatter(*zip(*own, strict=True), s=(bead * 1.1) ** 2, marker="D", color=style.VERMILLION,
                   edgecolors="white", linewidths=1.5, zorder=4)
    for r in element_rows:
        now, then = r.element.team_view, before.get(r.element.element_id)
        if now is None:
            # Keep the words clear of last round's hollow bead.
            x = 15.5 if then is not None and then <= 10 else 5.5
            style.text(ax, x, r.middle, texts.NOT_RATED, fontsize=layout.font_px * 0.85, style="italic",
                       color=style.GREY, ha="center", va="center",
                       bbox={"facecolor": "white", "edgecolor": "none", "pad": 2})
        elif then is not None and abs(now - then) >= 1:
            # Stop short of both beads so the arrow reads as the distance travelled, not as clutter.
            gap = 0.45
            sign = 1 if now > then else -1
            ax.arrow((then + sign * gap, r.middle), (now - sign * gap, r.middle), arrowstyle="-|>",
                     color=style.GREY, lw=2.5, mutation_scale=22, shrinkA=0, shrinkB=0, zorder=2)


def _legend(fig, with_previous: bool, with_own: bool, y_px: float) -> None:
    entries = [({"face": style.BLUE}, texts.TEAM_VIEW_NOW)]
    if with_previous:
        entries.append(({"face": "white", "edge": style.GREY, "width": 3}, texts.LAST_ROUND))
    if with_own:
        entries.append(({"marker": "D", "size": 20, "face": style.VERMILLION}, texts.OUR_OWN))
    style.legend_row(fig, entries, y_px)


def _profile_caption(current: RoundResult, before: dict[str, int | None]) -> str:
    lines = [texts.profile_intro(style.clean(current.team_name), round_name(current.closed_on))]
    rated = [e for e in current.elements if e.team_view is not None]
    unrated = [e for e in current.elements if e.team_view is None]
    if rated:
        top = max(rated, key=lambda e: e.team_view)
        low = min(rated, key=lambda e: e.team_view)
        lines.append(texts.furthest_and_earliest(_name(top), top.team_view, current.label_for(top.team_view),
                                                 _name(low), low.team_view))
    moves = [(e, e.team_view - before[e.element_id]) for e in rated if before.get(e.element_id) is not None]
    if moves:
        up = sum(1 for _, d in moves if d > 0)
        down = sum(1 for _, d in moves if d < 0)
        held = sum(1 for _, d in moves if d == 0)
        lines.append(texts.since_last_round(up, down, held))
        big, d = max(moves, key=lambda m: (abs(m[1]), m[1]))
        if d:
            lines.append(texts.biggest_move(_name(big), d, before[big.element_id], big.team_view))
    if unrated:
        lines.append(texts.not_rated([_name(e) for e in unrated]))
    own = [e for e in current.elements if e.written_in]
    if own:
        lines.append(texts.own_elements(len(own)))
    lines.append(texts.each_view([(_name(e), e.team_view) for e in current.elements]))
    return "\n".join(lines)


def _name(element: ElementResult) -> str:
    return style.short(element.element_name, 40)


# ---- distance travelled ---------------------------------------------------------------------------------

def distance_travelled(before: RoundResult, after: RoundResult) -> Chart:
    """Change of team view per element between two rounds, as bars either side of 'held'."""
    then = {e.element_id: e.team_view for e in before.elements}
    elements = list(after.elements) + [e for e in before.elements
                                       if e.element_id not in {a.element_id for a in after.elements}]
    if not elements:
        raise NothingToChart(texts.NO_ELEMENTS_FOR_DISTANCE)
    changes = {e.element_id: _change(then.get(e.element_id), _now(e, after)) for e in elements}
    if all(c is None for c in changes.values()):
        raise NothingToChart(texts.NO_DISTANCE_YET)

    left = 0.49
    top, bottom = 150, 1290
    layout = fit_rows(theme_groups(elements), bottom - top, style.WIDTH_PX * (left - 0.085))
    reach = max([5] + [abs(c) for c in changes.values() if c is not None])
    fig = style.page(("distance_travelled", layout_key(layout)))
    # Room beside the longest bar for its words, "+12  (4→16)", inside the picture.
    ax = drawing_plane(fig, top, used_bottom(layout, top, bottom), left, xlim=(-reach * 2.4, reach * 2.4))
    if style.drawing_background(fig):
        draw_labels(fig, ax, layout)
        ax.axvline(0, color=style.THREAD, lw=2, zorder=1)
        style.background_done(fig)
    style.title(fig, texts.DISTANCE_TITLE, texts.distance_subtitle(nice_date(before.closed_on), nice_date(after.closed_on)))
    _draw_change_rows(ax, layout, changes, then, after, reach)
    return style.to_chart(fig, "distance_travelled", _distance_caption(before, after, elements, changes, then))


def _now(element: ElementResult, after: RoundResult) -> int | None:
    return next((e.team_view for e in after.elements if e.element_id == element.element_id), None)


def _change(old: int | None, new: int | None) -> int | None:
    return None if old is None or new is None else new - old


def _draw_change_rows(ax, layout: Layout, changes, then, after: RoundResult, reach: int) -> None:
    rows: list[Row] = [r for r in layout.rows if r.kind == "element"]
    height = min(r.height for r in rows) * 0.55
    font = layout.font_px * 0.85
    ups = [(r.middle, changes[r.element.element_id]) for r in rows if (changes[r.element.element_id] or 0) > 0]
    downs = [(r.middle, changes[r.element.element_id]) for r in rows if (changes[r.element.element_id] or 0) < 0]
    if ups:
        ax.barh([y for y, _ in ups], [c for _, c in ups], height=height, color=style.BLUE, zorder=2)
    if downs:
        ax.barh([y for y, _ in downs], [c for _, c in downs], height=height, color=style.ORANGE, zorder=2)
    for r in rows:
        change = changes[r.element.element_id]
        old, new = then.get(r.element.element_id), _now(r.element, after)
        if change is None:
            style.text(ax, 0.3, r.middle, texts.NOT_RATED_BOTH, fontsize=font, style="italic", color=style.GREY,
                       va="center", ha="left")
        elif change == 0:
            ax.plot([0], [r.middle], marker="o", ms=height * 0.6, color=style.GREY, zorder=3)
            style.text(ax, reach * 0.22, r.middle, texts.held_at(new), fontsize=font, va="center", ha="left",
                       color=style.INK)
        else:
            words = f"{'+' if change > 0 else '−'}{abs(change)}  ({old}→{new})"
            x = change + (0.25 if change > 0 else -0.25)
            style.text(ax, x, r.middle, words, fontsize=font, va="center",
                       ha="left" if change > 0 else "right", color=style.INK)


def _distance_caption(before, after, elements, changes, then) -> str:
    known = [(e, changes[e.element_id]) for e in elements if changes[e.element_id] is not None]
    up = [(e, c) for e, c in known if c > 0]
    down = [(e, c) for e, c in known if c < 0]
    held = [e for e, c in known if c == 0]
    missing = [e for e in elements if changes[e.element_id] is None]
    lines = [texts.distance_intro(nice_date(before.closed_on), nice_date(after.closed_on), len(up), len(down),
                                  len(held), len(missing))]
    if known:
        big, c = max(known, key=lambda k: (abs(k[1]), k[1]))
        if c:
            lines.append(texts.biggest_move(_name(big), c, then[big.element_id], then[big.element_id] + c))
    if up:
        lines.append(texts.moved_up([(_name(e), c) for e, c in up]))
    if down:
        lines.append(texts.moved_down([(_name(e), c) for e, c in down]))
    if held:
        lines.append(texts.held([_name(e) for e in held]))
    if missing:
        lines.append(texts.not_rated_both([_name(e) for e in missing]))
    return "\n".join(lines)
