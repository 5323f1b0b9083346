"""Team profile (every element's team view on its thread) and distance travelled between two rounds.

Both are as tall as their rows: a round on one element is a short strip. Their captions are a line or
two; every figure, in words (a place is its level and where in it, a move is "up a level"), is in the
chart's details.
"""

from __future__ import annotations

from matplotlib.transforms import blended_transform_factory

from conversations.texts import charts as texts
from conversations.texts.charts import nice_date, round_name
from conversations.texts.scale import move_in_places

from . import style
from .data import Chart, ElementResult, NothingToChart, RoundResult
from .layout import Layout, Row, draw_labels, drawing_plane, fit_rows, layout_key, theme_groups, used_bottom

LABEL_FRACTION = 0.49  # the label column ends here; the thread fills the rest
TOP_PX = 215  # title, subtitle and level names above
BOTTOM_PX = 1270  # legend below
LEGEND_PX = 1302  # the legend's middle, from the top
PAGE_END_PX = 48  # below the legend's middle, to the picture's edge
ROOMY_ROW_PX = 72.0  # a round on a few elements gets rows with room around their beads


def _previous_views(current: RoundResult, previous: RoundResult | None) -> dict[str, int | None]:
    if previous is not None:
        return {e.element_id: e.team_view for e in previous.elements}
    return {e.element_id: e.previous_team_view for e in current.elements}


def _views_or_nothing(current: RoundResult, previous: RoundResult | None) -> dict[str, int | None]:
    before = _previous_views(current, previous)
    if not current.elements:
        raise NothingToChart(texts.NO_ELEMENTS_FOR_PROFILE)
    if all(e.team_view is None for e in current.elements) and all(v is None for v in before.values()):
        raise NothingToChart(texts.NO_TEAM_VIEW_FOR_PROFILE)
    return before


def team_profile_details(current: RoundResult, previous: RoundResult | None = None) -> str:
    """The profile's figures in words, without drawing it (for the "details" button)."""
    return _profile_details(current, _views_or_nothing(current, previous))


def team_profile(current: RoundResult, previous: RoundResult | None = None) -> Chart:
    """Team view of every element as a bead on the thread, with last round's view as a hollow bead."""
    before = _views_or_nothing(current, previous)

    label_width = style.WIDTH_PX * (LABEL_FRACTION - 0.085)
    groups = theme_groups(current.elements)
    avail = BOTTOM_PX - TOP_PX
    roomy = min(ROOMY_ROW_PX, avail / (len(current.elements) + len(groups)) * 0.999)
    layout = fit_rows(groups, avail, label_width, min_element_px=roomy)
    with_previous = any(v is not None for v in before.values())
    with_own = any(e.written_in for e in current.elements)
    fig = style.page(("team_profile", layout_key(layout), tuple(current.level_labels), with_previous, with_own))
    # A round on a few elements ends where its rows end, with the legend under them, not a page below.
    bottom = used_bottom(layout, TOP_PX, BOTTOM_PX)
    ax = drawing_plane(fig, TOP_PX, bottom, LABEL_FRACTION)
    legend_y = bottom + LEGEND_PX - BOTTOM_PX
    if style.drawing_background(fig):
        band_px = style.WIDTH_PX * (0.965 - LABEL_FRACTION) / 4
        style.draw_level_bands(ax, current.level_labels, 8, band_px)
        draw_labels(fig, ax, layout)
        middles = [r.middle for r in layout.rows if r.kind == "element"]
        style.threads(ax, middles)
        style.place_ticks(ax, middles)
        _legend(fig, with_previous, with_own, legend_y)
        style.background_done(fig)
    style.title(fig, texts.PROFILE_TITLE,
                texts.profile_subtitle(style.short(current.team_name, 30), round_name(current.closed_on)))
    _draw_profile_rows(ax, layout, before)
    return style.to_chart(fig, "team_profile", _profile_short(current, before), _profile_details(current, before),
                          height_px=legend_y + PAGE_END_PX)


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


def _moves(current: RoundResult, before: dict[str, int | None]) -> list[tuple[ElementResult, int]]:
    return [(e, e.team_view - before[e.element_id]) for e in current.elements
            if e.team_view is not None and before.get(e.element_id) is not None]


def _since_last_round(moves: list[tuple[ElementResult, int]]) -> str:
    return texts.since_last_round(sum(1 for _, d in moves if d > 0), sum(1 for _, d in moves if d < 0),
                                  sum(1 for _, d in moves if d == 0))


def _size(old: int, change: int) -> tuple[int, int, int]:
    """How big a move reads: levels crossed first ("up a level" is bigger than "a little further along"
    even when it is fewer places), then places, then up before down."""
    levels = (old + change - 1) // 5 - (old - 1) // 5
    return abs(levels), abs(change), change


def _profile_short(current: RoundResult, before: dict[str, int | None]) -> str:
    """One or two lines under the picture; the figures are in the details."""
    if len(current.elements) == 1:
        element = current.elements[0]
        view = current.place(element.team_view) if element.team_view is not None else None
        earlier = before.get(element.element_id)
        how = move_in_places(earlier, element.team_view) if earlier is not None and view else None
        return texts.profile_short_one(_name(element), view, how)
    moves = _moves(current, before)
    rated = sum(1 for e in current.elements if e.team_view is not None)
    return texts.profile_short(style.clean(current.team_name), nice_date(current.closed_on), rated,
                               len(current.elements), _since_last_round(moves) if moves else None)


def _profile_details(current: RoundResult, before: dict[str, int | None]) -> str:
    lines = [texts.profile_intro(style.clean(current.team_name), round_name(current.closed_on))]
    rated = [e for e in current.elements if e.team_view is not None]
    unrated = [e for e in current.elements if e.team_view is None]
    if rated:
        top = max(rated, key=lambda e: e.team_view)
        low = min(rated, key=lambda e: e.team_view)
        lines.append(texts.furthest_and_earliest(_name(top), current.place(top.team_view),
                                                 _name(low), current.place(low.team_view)))
    moves = _moves(current, before)
    if moves:
        lines.append(_since_last_round(moves))
        big, d = max(moves, key=lambda m: _size(before[m[0].element_id], m[1]))
        if d:
            then = before[big.element_id]
            lines.append(texts.biggest_move(_name(big), move_in_places(then, big.team_view), current.place(then),
                                            current.place(big.team_view)))
    if unrated:
        lines.append(texts.not_rated([_name(e) for e in unrated]))
    own = [e for e in current.elements if e.written_in]
    if own:
        lines.append(texts.own_elements(len(own)))
    lines.append(texts.each_view([(_name(e), current.place(e.team_view) if e.team_view is not None else None)
                                  for e in current.elements]))
    return "\n".join(lines)


def _name(element: ElementResult) -> str:
    return style.short(element.element_name, 40)


# ---- distance travelled ---------------------------------------------------------------------------------

def _distances(before: RoundResult, after: RoundResult):
    then = {e.element_id: e.team_view for e in before.elements}
    elements = list(after.elements) + [e for e in before.elements
                                       if e.element_id not in {a.element_id for a in after.elements}]
    if not elements:
        raise NothingToChart(texts.NO_ELEMENTS_FOR_DISTANCE)
    changes = {e.element_id: _change(then.get(e.element_id), _now(e, after)) for e in elements}
    if all(c is None for c in changes.values()):
        raise NothingToChart(texts.NO_DISTANCE_YET)
    return then, elements, changes


def distance_details(before: RoundResult, after: RoundResult) -> str:
    """The distance travelled in words, without drawing it (for the "details" button)."""
    then, elements, changes = _distances(before, after)
    return _distance_details(before, after, elements, changes, then)


def distance_travelled(before: RoundResult, after: RoundResult) -> Chart:
    """Change of team view per element between two rounds: a bar either side of 'held', and the move in
    words beside it ("up a level", "a little further along")."""
    then, elements, changes = _distances(before, after)

    groups = theme_groups(elements)
    avail = DISTANCE_BOTTOM_PX - DISTANCE_TOP_PX
    roomy = min(ROOMY_ROW_PX, avail / (len(elements) + len(groups)) * 0.999)
    layout = fit_rows(groups, avail, style.WIDTH_PX * (BARS_LEFT - 0.085), min_element_px=roomy)
    reach = max([5] + [abs(c) for c in changes.values() if c is not None])
    fig = style.page(("distance_travelled", layout_key(layout)))
    bottom = used_bottom(layout, DISTANCE_TOP_PX, DISTANCE_BOTTOM_PX)
    # The bars in a column of their own; their words in the next one, where even the longest move fits.
    ax = drawing_plane(fig, DISTANCE_TOP_PX, bottom, BARS_LEFT, BARS_RIGHT, xlim=(-reach * 1.1, reach * 1.1))
    legend_y = bottom + 30
    if style.drawing_background(fig):
        draw_labels(fig, ax, layout)
        ax.axvline(0, color=style.THREAD, lw=2, zorder=1)
        style.legend_row(fig, [({"marker": "s", "face": style.BLUE, "size": 22}, texts.MOVED_UP_KEY),
                               ({"marker": "s", "face": style.ORANGE, "size": 22}, texts.MOVED_DOWN_KEY),
                               ({"face": style.GREY, "size": 16}, texts.HELD_KEY)], legend_y)
        style.background_done(fig)
    style.title(fig, texts.DISTANCE_TITLE, texts.distance_subtitle(nice_date(before.closed_on), nice_date(after.closed_on)))
    _draw_change_rows(fig, ax, layout, changes, then, after)
    return style.to_chart(fig, "distance_travelled", _distance_short(before, elements, changes, then, after),
                          _distance_details(before, after, elements, changes, then), height_px=legend_y + PAGE_END_PX)


DISTANCE_TOP_PX, DISTANCE_BOTTOM_PX = 150, 1270
BARS_LEFT, BARS_RIGHT = 0.45, 0.63  # figure fractions: names to the left, the move in words to the right
WORDS_LEFT = 0.655


def _now(element: ElementResult, after: RoundResult) -> int | None:
    return next((e.team_view for e in after.elements if e.element_id == element.element_id), None)


def _change(old: int | None, new: int | None) -> int | None:
    return None if old is None or new is None else new - old


def _draw_change_rows(fig, ax, layout: Layout, changes, then, after: RoundResult) -> None:
    rows: list[Row] = [r for r in layout.rows if r.kind == "element"]
    height = min(min(r.height for r in rows) * 0.55, 40)
    font = layout.font_px * 0.9
    ups = [(r.middle, changes[r.element.element_id]) for r in rows if (changes[r.element.element_id] or 0) > 0]
    downs = [(r.middle, changes[r.element.element_id]) for r in rows if (changes[r.element.element_id] or 0) < 0]
    if ups:
        ax.barh([y for y, _ in ups], [c for _, c in ups], height=height, color=style.BLUE, zorder=2)
    if downs:
        ax.barh([y for y, _ in downs], [c for _, c in downs], height=height, color=style.ORANGE, zorder=2)
    to_fig = blended_transform_factory(fig.transFigure, ax.transData)
    for r in rows:
        change = changes[r.element.element_id]
        old, new = then.get(r.element.element_id), _now(r.element, after)
        if change is None:
            style.text(ax, WORDS_LEFT, r.middle, texts.NOT_RATED_BOTH, transform=to_fig, fontsize=font,
                       style="italic", color=style.GREY, va="center", ha="left")
            continue
        if change == 0:
            ax.plot([0], [r.middle], marker="o", ms=height * 0.6, color=style.GREY, zorder=3)
        style.text(ax, WORDS_LEFT, r.middle, move_in_places(old, new), transform=to_fig, fontsize=font,
                   va="center", ha="left", color=style.INK)


def _distance_counts(elements, changes) -> tuple[list, list, list, list]:
    known = [(e, changes[e.element_id]) for e in elements if changes[e.element_id] is not None]
    up = [(e, c) for e, c in known if c > 0]
    down = [(e, c) for e, c in known if c < 0]
    held = [e for e, c in known if c == 0]
    missing = [e for e in elements if changes[e.element_id] is None]
    return up, down, held, missing


def _distance_short(before: RoundResult, elements, changes, then, after: RoundResult) -> str:
    if len(elements) == 1:
        element = elements[0]
        old, new = then.get(element.element_id), _now(element, after)
        how = move_in_places(old, new) if old is not None and new is not None else None
        return texts.distance_short_one(_name(element), nice_date(before.closed_on), how)
    up, down, held, missing = _distance_counts(elements, changes)
    return texts.distance_short(nice_date(before.closed_on), len(up), len(down), len(held), len(missing))


def _distance_details(before, after, elements, changes, then) -> str:
    up, down, held, missing = _distance_counts(elements, changes)
    lines = [texts.distance_intro(nice_date(before.closed_on), nice_date(after.closed_on), len(up), len(down),
                                  len(held), len(missing))]
    known = up + down + [(e, 0) for e in held]
    if known:
        big, c = max(known, key=lambda k: _size(then[k[0].element_id], k[1]))
        if c:
            old = then[big.element_id]
            lines.append(texts.biggest_move(_name(big), move_in_places(old, old + c), after.place(old),
                                            after.place(old + c)))
    if up:
        lines.append(texts.moved_up([(_name(e), _moved(e, c, then)) for e, c in up]))
    if down:
        lines.append(texts.moved_down([(_name(e), _moved(e, c, then)) for e, c in down]))
    if held:
        lines.append(texts.held([_name(e) for e in held]))
    if missing:
        lines.append(texts.not_rated_both([_name(e) for e in missing]))
    return "\n".join(lines)


def _moved(element: ElementResult, change: int, then) -> str:
    old = then[element.element_id]
    return move_in_places(old, old + change)
