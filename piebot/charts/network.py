"""The network overview as pictures: many teams side by side, in the same 1080-wide style as the rest.

No league tables: teams are always listed by name or alias, never by score, and a team with one round
so far is shown as a starting point, not a distance. Anonymous teams appear only under their alias.
Each picture is as tall as its rows (elements, or teams); its caption is a line or two, and its details
say every team's views in words, a place being its level and where in it.
"""

from __future__ import annotations

import statistics
from collections import Counter

from conversations.texts import networks as texts
from conversations.texts import scale as words
from conversations.texts.charts import DEFAULT_LEVEL_LABELS, nice_date, place_words, span_words

from . import style
from .data import Chart, ElementResult, NothingToChart
from .layout import draw_labels, drawing_axes, fit_rows, theme_groups, used_bottom
from .network_data import ElementRow, NetworkOverview, TeamCheckIns, TeamDistance

TOP_PX = 215
BOTTOM_PX = 1250
LEGEND_ROW_PX = 40  # one row of a legend under the drawing
PAGE_END_PX = 36
TEAM_ROW_PX = 110.0  # the tallest row a team gets, when there are few
LEGEND_PER_ROW = 4
LABEL_FRACTION = 0.44
# Up to this many teams each gets its own colour and shape, named in the legend; beyond it they are
# plain dots, and the caption and PDF carry each team's figures.
MARKED_TEAMS = 6
TEAM_COLOURS = (style.BLUE, style.ORANGE, style.GREEN, style.VERMILLION, style.PURPLE, style.SKY)
TEAM_MARKERS = ("o", "s", "D", "^", "v", "P")


def _as_result(row: ElementRow) -> ElementResult:
    # The row layout is shared with the team charts, which lay out ElementResults.
    return ElementResult(row.element_id, row.element_name, row.theme_name, False, [], None)


def _rows_layout(fig, rows: list[ElementRow], label_fraction: float = LABEL_FRACTION, min_row: float = 0.0):
    """The element rows, from the top; the drawing ends where they do (`bottom`)."""
    by_id = {r.element_id: r for r in rows}
    groups = theme_groups([_as_result(r) for r in rows])
    avail = BOTTOM_PX - TOP_PX
    layout = fit_rows(groups, avail, style.WIDTH_PX * (label_fraction - 0.085),
                      min_element_px=min(min_row, avail / (len(rows) + len(groups)) * 0.999))
    bottom = used_bottom(layout, TOP_PX, BOTTOM_PX)
    ax = drawing_axes(fig, TOP_PX, bottom, label_fraction)
    style.draw_level_bands(ax, None, None, 0)
    element_rows = [(r, by_id[r.element.element_id]) for r in layout.rows if r.kind == "element"]
    return layout, ax, element_rows, bottom


def _team_rows(count: int, top: float) -> tuple[float, float]:
    """(each team's row height, where the rows end) for `count` teams under `top`."""
    height = min(TEAM_ROW_PX, (BOTTOM_PX - top) / max(count, 1))
    return height, top + height * max(count, 1)


def _legend(fig, entries: list[tuple[dict, str]], top: float) -> float:
    """The legend in rows of up to four, from `top` down; returns where the picture can end."""
    y = top
    for start in range(0, len(entries), LEGEND_PER_ROW):
        y += LEGEND_ROW_PX
        style.legend_row(fig, entries[start:start + LEGEND_PER_ROW], y - LEGEND_ROW_PX / 2 + 8,
                         font_px=style.SMALL_PX - 2)
    return y + PAGE_END_PX


def _place(overview: NetworkOverview, index: int) -> str:
    return place_words(list(overview.level_labels), index)


def _span(overview: NetworkOverview, values: list[int]) -> str:
    return span_words(list(overview.level_labels), min(values), max(values))


def _level_names(fig, overview: NetworkOverview, label_fraction: float = LABEL_FRACTION) -> None:
    ax = drawing_axes(fig, TOP_PX - 70, TOP_PX, label_fraction)
    band_px = style.WIDTH_PX * (0.965 - label_fraction) / 4
    style.draw_level_bands(ax, overview.level_labels, -66, band_px)


def _team_style(overview: NetworkOverview) -> dict[str, tuple[str, str]]:
    if len(overview.teams) > MARKED_TEAMS:
        return {}
    return {team: (TEAM_COLOURS[i], TEAM_MARKERS[i]) for i, team in enumerate(overview.teams)}


def _team_entries(overview: NetworkOverview) -> list[tuple[dict, str]]:
    marks = _team_style(overview)
    entries = [({"marker": m, "face": c, "size": 20}, style.short(team, 18)) for team, (c, m) in marks.items()]
    return entries or [({"face": style.BLUE, "size": 18}, texts.ONE_TEAMS_VIEW)]


def _subtitle(overview: NetworkOverview) -> str:
    return texts.chart_subtitle(style.short(overview.network_name, 34), len(overview.teams), nice_date(overview.made_on))


def _qualified(subtitle: str, qualified: str) -> str:
    """The subtitle with its qualifier where the line has room for it, else the facts alone (never cut
    mid-word; the caption and the PDF say it in full)."""
    fits = style.wrap(qualified, style.WIDTH_PX * 0.92, style.SUBTITLE_PX, 1) == qualified
    return qualified if fits else subtitle


def _excluded_lines(overview: NetworkOverview) -> list[str]:
    lines = []
    if overview.other_templates:
        lines.append(texts.chart_other_templates([style.short(t, 30) for t in overview.other_templates]))
    if overview.with_own_elements:
        lines.append(texts.chart_own_elements(overview.with_own_elements))
    return lines


# ---- team views side by side ---------------------------------------------------------------------------

def network_views(overview: NetworkOverview) -> Chart:
    """Each team's latest team view of each element, side by side on the thread, with their spread."""
    if not overview.rated_elements:
        raise NothingToChart(_nothing_yet(overview))
    fig = style.new_figure()
    style.title(fig, texts.VIEWS_TITLE, _subtitle(overview))
    _level_names(fig, overview)
    layout, ax, rows, bottom = _rows_layout(fig, overview.elements, min_row=64.0)
    draw_labels(fig, ax, layout)
    marks = _team_style(overview)
    bead = min(26.0, max(12.0, layout.font_px * 0.8))
    for row, element in rows:
        style.thread(ax, row.middle)
        if not element.views:
            style.text(ax, 10.5, row.middle, texts.NO_TEAM_VIEW_YET, fontsize=layout.font_px * 0.8, style="italic",
                       color=style.GREY, ha="center", va="center",
                       bbox={"facecolor": "white", "edgecolor": "none", "pad": 2})
            continue
        values = element.values
        if len(values) >= 2:
            ax.plot([min(values), max(values)], [row.middle, row.middle], color=style.SKY, lw=bead * 0.55,
                    solid_capstyle="round", alpha=0.6, zorder=2)
        # Teams at the same place sit just above one another, so none hides another.
        seen: Counter[int] = Counter()
        for view in element.views:
            colour, marker = marks.get(view.team, (style.BLUE, "o"))
            y = row.middle + seen[view.value] * bead * 0.5
            seen[view.value] += 1
            ax.scatter([view.value], [y], s=bead**2, marker=marker, color=colour, edgecolors="white",
                       linewidths=1.2, zorder=3 + seen[view.value])
    style.place_ticks(ax, [r.middle for r, _ in rows])
    entries = _team_entries(overview) + [({"line": style.SKY, "lw": 10, "size": 30, "marker_size": 0,
                                           "alpha": 0.6}, texts.SPREAD)]
    end = _legend(fig, entries, bottom)
    short = texts.views_short(style.clean(overview.network_name), len(overview.teams), len(overview.rated_elements))
    return style.to_chart(fig, "network_views", short, _views_details(overview), height_px=end)


def _views_details(overview: NetworkOverview) -> str:
    lines = [texts.views_intro(overview.network_name, len(overview.teams))]
    lines += _excluded_lines(overview)
    for e in overview.elements:
        each = [texts.team_and_view(style.short(v.team, 24), _place(overview, v.value)) for v in e.views]
        where = _span(overview, e.values) if e.views else ""
        middle = _place(overview, words.middle(e.values)) if len(e.views) > 1 else ""
        lines.append(texts.views_line(style.short(e.element_name), len(e.views), where, middle, each))
    return "\n".join(lines)


def _nothing_yet(overview: NetworkOverview) -> str:
    if not overview.teams:
        return texts.NO_COMPARABLE_TEAM
    return texts.NOTHING_TO_COMPARE


# ---- distance travelled per team -----------------------------------------------------------------------

def network_distance(overview: NetworkOverview) -> Chart:
    """Per team, how many elements moved up, held or moved down since the time before. Not a ranking."""
    if not overview.distances or all(d.rated == 0 for d in overview.distances):
        raise NothingToChart(_nothing_yet(overview))
    teams = overview.distances
    fig = style.new_figure()
    style.title(fig, texts.DISTANCE_TITLE, _qualified(sub := _subtitle(overview), texts.distance_subtitle(sub)))
    reach = max([4] + [d.compared for d in teams])
    left = 0.36
    height, bottom = _team_rows(len(teams), 190)
    # More room right of "held" than left: the words beside a bar up ("13 up, 0 held") are the longer ones.
    low, high = -reach * 1.3, reach * 2.3
    ax = drawing_axes(fig, 190, bottom, left, xlim=(low, high))
    font = max(16.0, min(style.LABEL_PX, height * 0.32))
    ax.axvline(0, color=style.THREAD, lw=2, zorder=1)
    for i, d in enumerate(teams):
        y = -(i + 0.5) * height
        ax.text(low - reach * 0.05, y, style.short(d.team, 22), fontsize=font, ha="right", va="center",
                family=style.FONT_FAMILY, color=style.INK, parse_math=False, clip_on=False)
        bar = min(height * 0.45, 60)
        if d.starting:
            words = texts.FIRST_VIEW if d.rated else texts.NO_TEAM_VIEW_YET
            style.text(ax, 0, y, words, fontsize=font * 0.85, style="italic", color=style.GREY, ha="center",
                       va="center", bbox={"facecolor": "white", "edgecolor": "none", "pad": 2})
            continue
        ax.barh([y], [d.up], height=bar, color=style.BLUE, zorder=2, left=0)
        ax.barh([y], [-d.down], height=bar, color=style.ORANGE, zorder=2, left=0)
        if d.held:
            ax.plot([0], [y], marker="o", ms=bar * 0.5, color=style.GREY, zorder=3)
        style.text(ax, max(d.up, 0) + reach * 0.05, y + bar * 0.05, texts.up_and_held(d.up, d.held),
                   fontsize=font * 0.8, ha="left", va="center")
        if d.down:
            style.text(ax, -d.down - reach * 0.05, y, texts.down(d.down), fontsize=font * 0.8, ha="right",
                       va="center")
    entries = [({"marker": "s", "face": style.BLUE, "size": 22}, texts.MOVED_UP_LEGEND),
               ({"marker": "s", "face": style.ORANGE, "size": 22}, texts.MOVED_DOWN_LEGEND),
               ({"face": style.GREY, "size": 16}, texts.HELD_LEGEND)]
    end = _legend(fig, entries, bottom + 10)
    short = texts.distance_short(len(teams), sum(1 for d in teams if not d.starting))
    return style.to_chart(fig, "network_distance", short, _distance_caption(overview), height_px=end)


def distance_words(d: TeamDistance) -> str:
    return texts.distance_words(d.team, d.rated, d.starting, d.compared, d.up, d.held, d.down)


def _distance_caption(overview: NetworkOverview) -> str:
    lines = [texts.DISTANCE_INTRO]
    lines += [distance_words(d) for d in overview.distances]
    return "\n".join(lines)


# ---- individual views across all teams vs team views ---------------------------------------------------

def differs(element: ElementRow) -> float:
    """How far the individual views sit from the team views: the gap between their middles plus the
    extra reach of the individual views beyond the team views."""
    if not element.individual or not element.views:
        return 0.0
    individual, views = element.individual, element.values
    gap = abs(statistics.median(individual) - statistics.median(views))
    extra = max(0, min(views) - min(individual)) + max(0, max(individual) - max(views))
    return gap + extra / 2


def network_levels(overview: NetworkOverview) -> Chart:
    """Every member's own view (Level Two) pooled across the teams, beside the teams' agreed views."""
    rows_with = [e for e in overview.elements if e.individual]
    if not rows_with:
        hidden = any(v.individual_hidden for e in overview.elements for v in e.views)
        raise NothingToChart(texts.INDIVIDUAL_HIDDEN if hidden else _nothing_yet(overview))
    most = sorted((e for e in rows_with if differs(e) > 0), key=lambda e: (-differs(e), e.element_name))[:3]
    fig = style.new_figure()
    style.title(fig, texts.LEVELS_TITLE, _qualified(sub := _subtitle(overview), texts.levels_subtitle(sub)))
    _level_names(fig, overview)
    layout, ax, rows, bottom = _rows_layout(fig, overview.elements, min_row=96.0)
    draw_labels(fig, ax, layout)
    bead = min(20.0, max(9.0, layout.font_px * 0.6))
    highlighted = {e.element_id for e in most}
    for row, element in rows:
        base = row.middle - row.height * 0.18
        if element.element_id in highlighted:
            ax.axhspan(row.middle - row.height / 2, row.middle + row.height / 2, facecolor=style.YELLOW, alpha=0.35,
                       edgecolor="none", zorder=0.5)
        style.thread(ax, base)
        counts = Counter(element.individual)
        if counts:
            step = min(bead * 0.8, (row.height * 0.6) / max(1, max(counts.values())))
            xs = [v for v, n in counts.items() for _ in range(n)]
            ys = [base + bead * 0.5 + k * step for _v, n in counts.items() for k in range(n)]
            ax.scatter(xs, ys, s=bead**2, color=style.SKY, edgecolors=style.BLUE, linewidths=1, zorder=3)
        if element.values:
            ax.scatter(element.values, [base - bead * 0.7] * len(element.values), s=(bead * 1.1) ** 2,
                       marker="^", color=style.INK, zorder=4, linewidths=0)
    entries = [({"face": style.SKY, "edge": style.BLUE, "width": 1, "size": 18}, texts.ONE_PERSONS_VIEW),
               ({"marker": "^", "face": style.INK, "size": 18}, texts.A_TEAMS_VIEW),
               ({"marker": "s", "face": style.YELLOW, "alpha": 0.6, "size": 22}, texts.DIFFER_MOST)]
    end = _legend(fig, entries, bottom)
    short = texts.levels_short(style.short(most[0].element_name) if most else None)
    return style.to_chart(fig, "network_levels", short, _levels_caption(overview, most), height_px=end)


def _levels_caption(overview: NetworkOverview, most: list[ElementRow]) -> str:
    lines = [texts.LEVELS_INTRO]
    if most:
        lines.append(texts.differ_most([_level_words(e, overview) for e in most]))
    hidden = sorted({v.team for e in overview.elements for v in e.views if v.individual_hidden}, key=str.casefold)
    if hidden:
        lines.append(texts.SOME_HIDDEN)
    for e in overview.elements:
        if e.individual and e.element_id not in {m.element_id for m in most}:
            lines.append(_level_words(e, overview) + ".")
    return "\n".join(lines)


def _level_words(e: ElementRow, overview: NetworkOverview) -> str:
    ind = e.individual
    return texts.level_words(style.short(e.element_name), len(ind), _span(overview, ind),
                             _place(overview, words.middle(ind)), _span(overview, e.values),
                             _place(overview, words.middle(e.values)))


# ---- responsiveness check-ins per team ----------------------------------------------------------------

def network_checkins(overview: NetworkOverview) -> Chart:
    """Per team, the middle answer of its latest check-ins on Responsiveness: older ones faint, the latest solid."""
    teams = [t for t in overview.checkins if t.answered_points]
    if not teams:
        raise NothingToChart(texts.NO_CHECKINS_ANSWERED)
    fig = style.new_figure()
    style.title(fig, texts.CHECKINS_TITLE, _qualified(sub := _subtitle(overview), texts.checkins_subtitle(sub)))
    left = 0.36
    _level_names(fig, overview, left)
    height, bottom = _team_rows(len(teams), TOP_PX)
    ax = drawing_axes(fig, TOP_PX, bottom, left)
    style.draw_level_bands(ax, None, None, 0)
    font = max(16.0, min(style.LABEL_PX, height * 0.32))
    bead = min(26.0, height * 0.35)
    ys = []
    for i, team in enumerate(teams):
        y = -(i + 0.5) * height
        ys.append(y)
        style.thread(ax, y)
        ax.text(0.5 - 0.4, y, style.short(team.team, 22), fontsize=font, ha="right", va="center",
                family=style.FONT_FAMILY, color=style.INK, parse_math=False, clip_on=False)
        points = team.answered_points
        older, latest = points[:-1], points[-1]
        for k, p in enumerate(older):
            _checkin_mark(ax, p, y, bead * 0.8, style.SKY, 0.3 + 0.5 * (k + 1) / len(points), 3)
        # An arrow only from a place to a place: a level is never drawn as if it were one.
        if older and older[0].middle is not None and latest.middle is not None and older[0].middle != latest.middle:
            ax.annotate("", xy=(latest.middle, y), xytext=(older[0].middle, y),
                        arrowprops={"arrowstyle": "-|>", "color": style.GREY, "lw": 2, "mutation_scale": 18,
                                    "shrinkA": 0, "shrinkB": bead * 0.45}, zorder=2)
        _checkin_mark(ax, latest, y, bead, style.BLUE, 1.0, 4)
    style.place_ticks(ax, ys)
    entries = [({"face": style.BLUE, "size": 18}, texts.LATEST_CHECKIN),
               ({"face": style.SKY, "alpha": 0.6, "size": 16}, texts.EARLIER_ONES)]
    if any(p.middle is None for t in teams for p in t.answered_points):
        entries.append(({"line": style.BLUE, "lw": 12, "size": 30, "marker_size": 0, "alpha": 0.45},
                        texts.MIDDLE_LEVEL))
    end = _legend(fig, entries, bottom + 10)
    return style.to_chart(fig, "network_checkins", texts.checkins_short(len(teams)), _checkins_caption(overview),
                          height_px=end)


def _checkin_mark(ax, point, y: float, bead: float, colour: str, alpha: float, zorder: int) -> None:
    """A dot on the middle place, or, when some named a level only, a bar over the middle level."""
    if point.middle is not None:
        edge = {"edgecolors": "white", "linewidths": 1.5} if zorder >= 4 else {"linewidths": 0}
        ax.scatter([point.middle], [y], s=bead**2, color=colour, alpha=alpha, zorder=zorder, **edge)
        return
    level = point.middle_level
    if level is None:
        return  # fewer than three answered: nothing of it is shown
    ax.plot([(level - 1) * 5 + 0.8, level * 5 + 0.2], [y, y], color=colour, alpha=alpha * 0.45, lw=bead * 0.9,
            solid_capstyle="round", zorder=zorder)


def checkin_words(team: TeamCheckIns, level_labels: list[str] | None = None) -> str:
    points = team.answered_points
    if not points:
        return texts.no_checkin_yet(team.team)
    labels = list(level_labels or []) + list(DEFAULT_LEVEL_LABELS[len(level_labels or []):])
    latest, first = points[-1], points[0]
    since = ""
    # A middle between two places is the lower one, as everywhere (int() of a positive half rounds down).
    if len(points) > 1:
        if first.middle is not None and latest.middle is not None:
            how = words.move_in_places(int(first.middle), int(latest.middle))
            since = texts.checkins_since(how, nice_date(first.on), len(points))
        else:
            since = texts.checkins_since_in_levels(latest.middle_level - first.middle_level, nice_date(first.on),
                                                   len(points))
    if latest.middle is None:
        return texts.checkin_level_words(team.team, labels[latest.middle_level - 1], nice_date(latest.on),
                                         latest.answered, since)
    return texts.checkin_words(team.team, place_words(labels, int(latest.middle)), nice_date(latest.on),
                               latest.answered, since)


def _checkins_caption(overview: NetworkOverview) -> str:
    lines = [texts.CHECKINS_INTRO]
    lines += [checkin_words(t, overview.level_labels) for t in overview.checkins]
    return "\n".join(lines)


OVERVIEW_CHARTS = (network_views, network_distance, network_levels, network_checkins)
