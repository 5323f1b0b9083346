"""The words in the PDF reports: a team's round report (/report) and a network's overview (/network).

Plain text (the PDF draws it as it is). Imported by the report makers in their worker processes: keep it
free of anything heavier than the standard library.
"""

from __future__ import annotations

NOTHING_RECORDED = "Nothing recorded."
OUR_OWN_SUFFIX = " (our own)"
SCALE_LEVELS = "Scale: 20 places, 4 levels — {labels}."


def page_footer(footer: str, page: int) -> str:
    return f"{footer} · page {page}"


def theme_line(theme: str) -> str:
    return "Theme: " + theme


# ---------------------------------------------------------------- a team's round report


def part_label(part: int, parts: int) -> str:
    return f"part {part} of {parts}"


def round_footer(team: str, round_id: int, part: str | None) -> str:
    return f"{team} · round {round_id}" + (f" · {part}" if part else "")


def round_report_title(team: str) -> str:
    """The PDF's own title, shown by a PDF reader."""
    return f"PIE self-assessment: {team}"


REPORT_HEADING = "PIE self-assessment report"


def cover_lines(team: str, round_id: int, closed_on: str, elements: int, rated: int, answered: int,
                anonymous: bool, level_labels: list[str]) -> list[str]:
    return [
        f"Team: {team}",
        f"Round {round_id}, closed {closed_on}",
        f"Elements: {elements} ({rated} with a team view)",
        f"Answered: {answered} {'person' if answered == 1 else 'people'}",
        "Answers were anonymous: no names appear in this report." if anonymous
        else "Answers were named.",
        SCALE_LEVELS.format(labels=", ".join(level_labels)),
    ]


NOT_PASS_OR_FAIL = ("Distance travelled, not pass or fail: what matters is how far the team has come and "
                    "what it does next.")
OTHER_ACTIONS = "Other actions"
PEER_HEADING = "Peer reviewer's comments"
PEER_SAID = "What our peer reviewer said"
NO_PEER_COMMENTS = "No peer review comments yet."
PROFILE_HEADING = "Where our team is now"
SPREAD_HEADING = "How far apart our views are"

TEAM_VIEW_NOT_RATED = "Team view: not rated"


def team_view_line(view: int, place: str) -> str:
    return f"Team view: {view} of 20 — {place}"


def last_round_line(previous: int, change: int) -> str:
    moved = "held" if change == 0 else f"moved {'up' if change > 0 else 'down'} {abs(change)}"
    return f"Last round: {previous} ({moved})."


def individual_answers(count: int, low: int, high: int, middle: float) -> str:
    return f"Individual answers: {count}, from {low} to {high}, middle {middle:g}."


def individual_answers_hidden(too_few: str) -> str:
    return f"Individual answers: {too_few}."


EVIDENCE = "What is actually happening (evidence)"
HINDERS = "What gets in the way"
HELPS = "What we have going for us"
NOTHING_SAID = "Evidence, what gets in the way, what we have going for us: nothing recorded."
WHAT_WE_WILL_DO = "What we will do"


def theme_actions(theme: str) -> str:
    return f"Actions for the whole theme: {theme}"


NO_ACTIONS = "No actions agreed yet."
OWNER_NOT_DECIDED = "not decided"
OWNER_HIDDEN = "not shown (anonymous round)"
NO_DUE_DATE = "no date set"


def action_details(who: str, due: str, status: str, measure: str | None) -> list[str]:
    """Who, by when, status, and how we'll know: the first three share a line, the last has its own."""
    return [f"Who: {who}", f"By: {due}", f"Status: {status}", f"How we'll know: {measure or 'not decided yet'}"]


# ---------------------------------------------------------------- a network's overview

NETWORK_HEADINGS = {
    "network_views": "Our teams side by side",
    "network_distance": "Distance travelled",
    "network_levels": "Individual and team views",
    "network_checkins": "Responsiveness check-ins",
}


def overview_footer(network: str, made_on: str) -> str:
    return f"{network} · overview {made_on}"


def overview_title(network: str) -> str:
    """The PDF's own title, shown by a PDF reader."""
    return f"PIE network overview: {network}"


OVERVIEW_HEADING = "PIE network overview"


def overview_cover_lines(made_on: str, teams: list[str], anonymous: int, level_labels: list[str],
                         other_templates: list[str], with_own: int, service_user_teams: int) -> list[str]:
    lines = [
        f"Made on {made_on}.",
        f"Teams compared: {len(teams)} — " + (", ".join(teams) or "none yet") + ".",
        f"Of these, {anonymous} chose to appear under an alias." if anonymous
        else "All teams appear under their own name.",
        "Teams are listed by name, never by score. A team's first round is its starting point.",
        SCALE_LEVELS.format(labels=", ".join(level_labels)),
    ]
    if other_templates:
        lines.append("Left out of comparisons, being on another template: " + ", ".join(other_templates) + ".")
    if with_own:
        lines.append("Elements that teams wrote in themselves (such as Relationships) are their own and are left "
                     f"out of comparisons ({with_own} {'team has' if with_own == 1 else 'teams have'} some).")
    if service_user_teams:
        lines.append(f"Service users' views are included for {service_user_teams} "
                     f"{'team' if service_user_teams == 1 else 'teams'}, with their permission.")
    return lines


NOT_LEAGUE_TABLES = ("Distance travelled, not league tables: what matters is how far each team has come and what "
                     "it does next.")
DISTANCE = "Distance travelled"
NO_TEAM_VIEWS = "No team views yet."
CHECKINS = "Responsiveness check-ins"
NO_CHECKINS = "No check-ins on Responsiveness yet."
SYSTEMS_HEADING = "Gaps and barriers no single service controls"
SYSTEMS_INTRO = ("What teams said gets in the way, and the actions they cannot finish alone. Pathways and sector "
                 "engagement come first.")
DEPEND_ON_OTHERS = "Actions that depend on others"
ELSEWHERE = "Elsewhere"


def team_views_range(teams: int, low: int, high: int, middle: str) -> str:
    return f"Team views: {teams} teams from {low} to {high}, middle {middle}."


def by_team(team: str, text: str) -> str:
    return f"{team}: {text}"


def by_team_on(team: str, element: str, text: str) -> str:
    return f"{team} ({element}): {text}"


def due_by(day: str) -> str:
    return f" (by {day})"


ELEMENT_BY_ELEMENT = "Element by element"
NO_TEAM_VIEW = "No team view yet."


def team_view_of(team: str, value: int, previous: int | None) -> str:
    return f"{team} {value}" + (f" (was {previous})" if previous is not None else " (first view)")


def team_views(each: list[str]) -> str:
    return f"Team views: {'; '.join(each)}."


def spread_of_views(spread: int, middle: str) -> str:
    return f"Spread {spread} places, middle {middle}."


def individual_views(people: int, low: int, high: int, middle: str) -> str:
    return f"Individual views: {people} people from {low} to {high}, middle {middle}."


def service_users_line(team: str, people: int, middle: str) -> str:
    return f"Service users ({team}, with permission): {people} people, middle {middle}."


NO_NAMES = "No member's name appears in this report."
