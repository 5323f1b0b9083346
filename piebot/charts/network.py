"""The network overview as pictures: many teams side by side, in the same 1080 x 1350 style as the rest.

No league tables: teams are always listed by name or alias, never by score, and a team with one round
so far is shown as a starting point, not a distance. Anonymous teams appear only under their alias.
"""

from __future__ import annotations

import statistics
from collections import Counter

from matplotlib.lines import Line2D

from . import style
from .data import Chart, ElementResult, NothingToChart
from .layout import draw_labels, drawing_axes, fit_rows, nice_date, theme_groups
from .network_data import ElementRow, NetworkOverview, TeamCheckIns, TeamDistance
from .spread import _num

TOP_PX = 215
BOTTOM_PX = 1250
LABEL_FRACTION = 0.44
# Up to this many teams each gets its own colour and shape, named in the legend; beyond it they are
# plain dots, and the caption and PDF carry each team's figures.
MARKED_TEAMS = 6
TEAM_COLOURS = (style.BLUE, style.ORANGE, style.GREEN, style.VERMILLION, style.PURPLE, style.SKY)
TEAM_MARKERS = ("o", "s", "D", "^", "v", "P")


def _as_result(row: ElementRow) -> ElementResult:
    # The row layout is shared with the team charts, which lay out ElementResults.
    return ElementResult(row.element_id, row.element_name, row.theme_name, False, [], None)


def _rows_layout(fig, rows: list[ElementRow], label_fraction: float = LABEL_FRACTION):
    by_id = {r.element_id: r for r in rows}
    layout = fit_rows(theme_groups([_as_result(r) for r in rows]), BOTTOM_PX - TOP_PX,
                      style.WIDTH_PX * (label_fraction - 0.085))
    ax = drawing_axes(fig, TOP_PX, BOTTOM_PX, label_fraction)
    style.draw_level_bands(ax, None, None, 0)
    element_rows = [(r, by_id[r.element.element_id]) for r in layout.rows if r.kind == "element"]
    return layout, ax, element_rows


def _level_names(fig, overview: NetworkOverview, label_fraction: float = LABEL_FRACTION) -> None:
    ax = drawing_axes(fig, TOP_PX - 70, TOP_PX, label_fraction)
    band_px = style.WIDTH_PX * (0.965 - label_fraction) / 4
    style.draw_level_bands(ax, overview.level_labels, -66, band_px)


def _team_style(overview: NetworkOverview) -> dict[str, tuple[str, str]]:
    if len(overview.teams) > MARKED_TEAMS:
        return {}
    return {team: (TEAM_COLOURS[i], TEAM_MARKERS[i]) for i, team in enumerate(overview.teams)}


def _team_legend(fig, overview: NetworkOverview, extra: list[Line2D] | None = None) -> None:
    marks = _team_style(overview)
    handles = [Line2D([], [], marker=m, ls="", ms=20, color=c, label=style.short(team, 18))
               for team, (c, m) in marks.items()]
    if not marks:
        handles = [Line2D([], [], marker="o", ls="", ms=18, color=style.BLUE, label="one team's view")]
    handles += extra or []
    fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)), frameon=False,
               bbox_to_anchor=(0.5, 0.0), prop={"family": style.FONT_FAMILY, "size": style.SMALL_PX - 2},
               columnspacing=1.2, handletextpad=0.3)


def _subtitle(overview: NetworkOverview) -> str:
    return f"{style.short(overview.network_name, 34)} · {len(overview.teams)} teams · {nice_date(overview.made_on)}"


def _excluded_lines(overview: NetworkOverview) -> list[str]:
    lines = []
    if overview.other_templates:
        lines.append("Left out of comparisons, being on another template: "
                     + ", ".join(style.short(t, 30) for t in overview.other_templates) + ".")
    if overview.with_own_elements:
        lines.append(f"Elements teams wrote in themselves are their own and left out of comparisons "
                     f"({overview.with_own_elements} {'team has' if overview.with_own_elements == 1 else 'teams have'}"
                     " some).")
    return lines


# ---- team views side by side ---------------------------------------------------------------------------

def network_views(overview: NetworkOverview) -> Chart:
    """Each team's latest team view of each element, side by side on the thread, with their spread."""
    if not overview.rated_elements:
        raise NothingToChart(_nothing_yet(overview))
    fig = style.new_figure()
    style.title(fig, "Our teams side by side", _subtitle(overview))
    _level_names(fig, overview)
    layout, ax, rows = _rows_layout(fig, overview.elements)
    draw_labels(fig, ax, layout)
    marks = _team_style(overview)
    bead = min(26.0, max(12.0, layout.font_px * 0.8))
    for row, element in rows:
        style.thread(ax, row.middle)
        if not element.views:
            style.text(ax, 10.5, row.middle, "no team view yet", fontsize=layout.font_px * 0.8, style="italic",
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
    _team_legend(fig, overview, [Line2D([], [], color=style.SKY, lw=10, alpha=0.6, label="spread")])
    return style.to_chart(fig, "network_views", _views_caption(overview))


def _views_caption(overview: NetworkOverview) -> str:
    lines = [(f"Our teams side by side, {overview.network_name}: each team's latest agreed view of each "
              f"element on the 20-place scale, {len(overview.teams)} teams, listed by name, not by score.")]
    lines += _excluded_lines(overview)
    for e in overview.elements:
        if not e.views:
            lines.append(f"{style.short(e.element_name)}: no team view yet.")
            continue
        each = ", ".join(f"{style.short(v.team, 24)} {v.value}" for v in e.views)
        if len(e.views) == 1:
            lines.append(f"{style.short(e.element_name)}: 1 team ({each}).")
        else:
            lines.append(f"{style.short(e.element_name)}: {len(e.views)} teams from {min(e.values)} to "
                         f"{max(e.values)} (spread {e.spread}), middle {_num(e.middle)} ({each}).")
    return "\n".join(lines)


def _nothing_yet(overview: NetworkOverview) -> str:
    if not overview.teams:
        return ("No team in this network has a comparable assessment yet. Teams appear here once they "
                "accept your invitation and close a round.")
    return "None of the teams has closed a round with a team view yet, so there is nothing to compare."


# ---- distance travelled per team -----------------------------------------------------------------------

def network_distance(overview: NetworkOverview) -> Chart:
    """Per team, how many elements moved up, held or moved down since the time before. Not a ranking."""
    if not overview.distances or all(d.rated == 0 for d in overview.distances):
        raise NothingToChart(_nothing_yet(overview))
    teams = overview.distances
    fig = style.new_figure()
    style.title(fig, "Distance travelled", "Since each team's previous view · " + _subtitle(overview))
    reach = max([4] + [d.compared for d in teams])
    left = 0.36
    ax = drawing_axes(fig, 190, 1230, left, xlim=(-reach * 1.25, reach * 1.25))
    height = 1040 / max(len(teams), 1)
    font = max(16.0, min(style.LABEL_PX, height * 0.32))
    ax.axvline(0, color=style.THREAD, lw=2, zorder=1)
    for i, d in enumerate(teams):
        y = -(i + 0.5) * height
        ax.text(-reach * 1.25 - reach * 0.05, y, style.short(d.team, 22), fontsize=font, ha="right", va="center",
                family=style.FONT_FAMILY, color=style.INK, parse_math=False, clip_on=False)
        bar = min(height * 0.45, 60)
        if d.starting:
            words = "first view — a starting point" if d.rated else "no team view yet"
            style.text(ax, 0, y, words, fontsize=font * 0.85, style="italic", color=style.GREY, ha="center",
                       va="center", bbox={"facecolor": "white", "edgecolor": "none", "pad": 2})
            continue
        ax.barh([y], [d.up], height=bar, color=style.BLUE, zorder=2, left=0)
        ax.barh([y], [-d.down], height=bar, color=style.ORANGE, zorder=2, left=0)
        if d.held:
            ax.plot([0], [y], marker="o", ms=bar * 0.5, color=style.GREY, zorder=3)
        style.text(ax, max(d.up, 0) + reach * 0.05, y + bar * 0.05, f"{d.up} up, {d.held} held",
                   fontsize=font * 0.8, ha="left", va="center")
        if d.down:
            style.text(ax, -d.down - reach * 0.05, y, f"{d.down} down", fontsize=font * 0.8, ha="right",
                       va="center")
    handles = [Line2D([], [], color=style.BLUE, lw=14, label="elements moved up"),
               Line2D([], [], color=style.ORANGE, lw=14, label="moved down"),
               Line2D([], [], marker="o", ls="", ms=14, color=style.GREY, label="held")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, 0.0),
               prop={"family": style.FONT_FAMILY, "size": style.SMALL_PX - 2})
    return style.to_chart(fig, "network_distance", _distance_caption(overview))


def distance_words(d: TeamDistance) -> str:
    if d.rated == 0:
        return f"{d.team}: no team view yet."
    if d.starting:
        return f"{d.team}: first view of {d.rated} {'element' if d.rated == 1 else 'elements'} — a starting point."
    places = f"{'+' if d.places > 0 else '−' if d.places < 0 else ''}{abs(d.places)}"
    return (f"{d.team}: {d.compared} {'element' if d.compared == 1 else 'elements'} rated again — "
            f"{d.up} moved up, {d.held} held, {d.down} moved down ({places} places in all).")


def _distance_caption(overview: NetworkOverview) -> str:
    lines = ["Distance travelled since each team's previous view, element by element. Teams are listed by "
             "name; a team's first round is its starting point, not a score."]
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
        raise NothingToChart("Fewer than 3 people answered in each team's latest round, so individual views are "
                             "not shown, to keep answers anonymous." if hidden else _nothing_yet(overview))
    most = sorted((e for e in rows_with if differs(e) > 0), key=lambda e: (-differs(e), e.element_name))[:3]
    fig = style.new_figure()
    style.title(fig, "Individual and team views", "All teams · " + _subtitle(overview))
    _level_names(fig, overview)
    layout, ax, rows = _rows_layout(fig, overview.elements)
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
    handles = [Line2D([], [], marker="o", ls="", ms=18, color=style.SKY, mec=style.BLUE, label="one person's view"),
               Line2D([], [], marker="^", ls="", ms=18, color=style.INK, label="a team's agreed view"),
               Line2D([], [], color=style.YELLOW, lw=14, alpha=0.6, label="differ most")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, 0.0),
               prop={"family": style.FONT_FAMILY, "size": style.SMALL_PX - 2}, columnspacing=1.2)
    return style.to_chart(fig, "network_levels", _levels_caption(overview, most))


def _levels_caption(overview: NetworkOverview, most: list[ElementRow]) -> str:
    lines = ["Individual and team views across all teams: each person's own view (no names) beside each "
             "team's agreed view. Where they differ is a good question to talk about, not a fault."]
    if most:
        lines.append("Differ most: " + "; ".join(_level_words(e) for e in most) + ".")
    hidden = sorted({v.team for e in overview.elements for v in e.views if v.individual_hidden}, key=str.casefold)
    if hidden:
        lines.append("Some teams had fewer than 3 answers on an element; those individual views are not shown, "
                     "to keep answers anonymous.")
    for e in overview.elements:
        if e.individual and e.element_id not in {m.element_id for m in most}:
            lines.append(_level_words(e) + ".")
    return "\n".join(lines)


def _level_words(e: ElementRow) -> str:
    ind = e.individual
    return (f"{style.short(e.element_name)}: {len(ind)} people from {min(ind)} to {max(ind)}, middle "
            f"{_num(statistics.median(ind))}; teams from {min(e.values)} to {max(e.values)}, middle {_num(e.middle)}")


# ---- responsiveness check-ins per team ----------------------------------------------------------------

def network_checkins(overview: NetworkOverview) -> Chart:
    """Per team, the middle answer of its latest check-ins on Responsiveness: older ones faint, the latest solid."""
    teams = [t for t in overview.checkins if t.answered_points]
    if not teams:
        raise NothingToChart("No team has answered a check-in on Responsiveness yet, so there are no trends to show.")
    fig = style.new_figure()
    style.title(fig, "Responsiveness check-ins", "Latest check-ins per team · " + _subtitle(overview))
    left = 0.36
    _level_names(fig, overview, left)
    ax = drawing_axes(fig, TOP_PX, BOTTOM_PX, left)
    style.draw_level_bands(ax, None, None, 0)
    height = (BOTTOM_PX - TOP_PX) / len(teams)
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
            ax.scatter([p.middle], [y], s=(bead * 0.8) ** 2, color=style.SKY, alpha=0.3 + 0.5 * (k + 1) / len(points),
                       zorder=3, linewidths=0)
        if older and older[0].middle != latest.middle:
            ax.annotate("", xy=(latest.middle, y), xytext=(older[0].middle, y),
                        arrowprops={"arrowstyle": "-|>", "color": style.GREY, "lw": 2, "mutation_scale": 18,
                                    "shrinkA": 0, "shrinkB": bead * 0.45}, zorder=2)
        ax.scatter([latest.middle], [y], s=bead**2, color=style.BLUE, edgecolors="white", linewidths=1.5, zorder=4)
    style.place_ticks(ax, ys)
    handles = [Line2D([], [], marker="o", ls="", ms=18, color=style.BLUE, label="latest check-in"),
               Line2D([], [], marker="o", ls="", ms=16, color=style.SKY, alpha=0.6, label="earlier ones")]
    fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, 0.0),
               prop={"family": style.FONT_FAMILY, "size": style.SMALL_PX - 2})
    return style.to_chart(fig, "network_checkins", _checkins_caption(overview))


def checkin_words(team: TeamCheckIns) -> str:
    points = team.answered_points
    if not points:
        return f"{team.team}: no answered check-in yet."
    latest, first = points[-1], points[0]
    words = (f"{team.team}: latest middle {_num(latest.middle)} on {nice_date(latest.on)} "
             f"({latest.answered} answered)")
    if len(points) > 1:
        change = latest.middle - first.middle
        how = "held" if change == 0 else f"{'up' if change > 0 else 'down'} {_num(abs(change))}"
        words += f"; {how} since {nice_date(first.on)} over {len(points)} check-ins"
    return words + "."


def _checkins_caption(overview: NetworkOverview) -> str:
    lines = ["Responsiveness check-ins: the middle answer of each team's latest check-ins on the 20-place scale."]
    lines += [checkin_words(t) for t in overview.checkins]
    return "\n".join(lines)


OVERVIEW_CHARTS = (network_views, network_distance, network_levels, network_checkins)
