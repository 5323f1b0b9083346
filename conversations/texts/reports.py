"""The words in the PDF reports: a team's round report (/report) and a network's overview (/network).

Plain text (the PDF draws it as it is). Imported by the report makers in their worker processes: keep it
free of anything heavier than the standard library and the scale's words (conversations/texts/scale.py).
"""

from __future__ import annotations

from conversations.texts import scale

NOTHING_RECORDED = "Nothing recorded."
OUR_OWN_SUFFIX = " (our own)"
SCALE_LEVELS = ("Scale: four levels — {labels}. A place on it is said as its level and where in that level, "
                "from the start to near the top.")


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
        f"Team: {team} · Round {round_id}, closed {closed_on}",
        f"Elements: {elements} ({rated} with a team view) · Answered: {answered} "
        f"{'person' if answered == 1 else 'people'}",
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


# ---- places on the scale, in the one way piebot says them (conversations/texts/scale.py)


def place_words(labels: list[str], index: int) -> str:
    """'Getting there — near the top'."""
    return scale.place_plain(scale.named_levels(labels), index)


def span_words(labels: list[str], low: int, high: int) -> str:
    """'from Getting there — early on to Well on the way — halfway', or 'all at …'."""
    return scale.span(scale.named_levels(labels), low, high, plain=True)


def move_words(labels: list[str], before: int | None, after: int | None) -> str:
    """'up a level', 'a little further along', 'held steady', 'first time'."""
    return scale.move(scale.named_levels(labels), before, after)


# ---- page one: the summary

SUMMARY_WHERE = "Where we are"
SUMMARY_COLUMNS = ("Element", "Team view", "Since last time")
NO_VIEW_THIS_TIME = "no team view this time"
SUMMARY_ACTIONS = "Our actions"
SUMMARY_RELATIONSHIPS = "Relationships thread"
FIRST_ROUND = "This is the team's first round on these elements: the next one will show what moved."


def compared_with(closed_on: str) -> str:
    return f"Since last time: compared with the round closed {closed_on}."


def moves_in_words(up: int, back: int, held: int) -> str:
    parts = []
    if up:
        parts.append(f"{up} moved up")
    if back:
        parts.append(f"{back} moved back")
    if held:
        parts.append(f"{held} held steady")
    return ("What moved: " + ", ".join(parts) + ".") if parts else ""


def actions_counts(total: int, done: int, still_open: int, overdue: int, dropped: int) -> str:
    if not total:
        return "No actions agreed yet."
    late = f" ({overdue} past {'their' if overdue > 1 else 'its'} date)" if overdue else ""
    parts = [f"{done} done", f"{still_open} still open{late}"]
    if dropped:
        parts.append(f"{dropped} dropped")
    return f"{total} action{'s' if total != 1 else ''}: " + ", ".join(parts) + "."


def actions_done_brief(items: list[str], more: int) -> str:
    return "Done: " + "; ".join(items) + (f"; and {more} more" if more else "") + "."


def actions_open_brief(items: list[str], more: int) -> str:
    return "Still open: " + "; ".join(items) + (f"; and {more} more" if more else "") + "."


def action_brief(what: str, who: str | None, when: str) -> str:
    return f"{what} ({who + ', ' if who else ''}{when})"


def done_when(day: str) -> str:
    return f"done {day}"


def due_when(day: str, overdue: bool) -> str:
    return f"was due {day}" if overdue else f"by {day}"


def relationships_brief(items: int, elements: list[str]) -> str:
    if not items:
        return "Nothing was marked as about relationships in this round."
    return (f"{items} item{'s' if items != 1 else ''} about relationships, in {len(elements)} "
            f"element{'s' if len(elements) != 1 else ''}: " + ", ".join(elements) + ".")


NOW = "now"


def relationships_over_rounds(counts: list[tuple[str, int]]) -> str:
    """(the round's closing day, or "now", how many items), oldest first."""
    return "Round by round: " + " · ".join(f"{day}: {n}" for day, n in counts) + "."


# ---- page two: the action table

ACTION_TABLE_HEADING = "Our actions"
ACTION_TABLE_INTRO = ("Agreed in this round first, then those from earlier that are still open or were settled since. "
                      "Past their date first in each.")
ACTION_TABLE_COLUMNS = ("What", "Who", "By when", "Status", "Done on")
FROM_EARLIER = "From earlier rounds and check-ins"
AGREED_NOW = "Agreed in this round"
NO_ACTIONS = "No actions agreed yet."
OWNER_NOT_DECIDED = "not decided"
OWNER_HIDDEN = "not shown (anonymous round)"
NO_DUE_DATE = "no date set"
STATUS_WORDS = {"overdue": "Past its date", "open": "Open", "still_on": "Still on", "done": "Done",
                "dropped": "Dropped"}


def status_cell(status: str, reason: str | None) -> str:
    word = STATUS_WORDS.get(status, STATUS_WORDS["open"])
    return f"{word}: {reason}" if status == "dropped" and reason else word


def what_cell(what: str, measure: str | None) -> str:
    return f"{what}\nWe'll know it worked when: {measure}" if measure else what


# ---- the elements

ELEMENTS_HEADING = "Element by element"
ELEMENTS_INTRO = "The team view, what was said at each stage, and what we will do."


def nothing_recorded_for(names: list[str]) -> str:
    """Said once, for every element where nobody wrote anything."""
    return f"{NOTHING_RECORDED[:-1]} for: " + ", ".join(names) + "."


TEAM_VIEW_NOT_RATED = "Team view: not agreed this time."


def team_view_line(place: str, moved: str | None) -> str:
    return f"Team view: {place}." + (f" Since last time: {moved}." if moved else "")


def individual_answers(count: int, low: str, high: str) -> str:
    if low == high:
        return f"Individual answers: {count}, all at {low}."
    return f"Individual answers: {count}, from {low} to {high}."


def individual_answers_hidden(too_few: str) -> str:
    return f"Individual answers: {too_few}."


LOOKED_BACK = "Looking back: what changed since last time"
EVIDENCE = "What is actually happening (evidence)"
HINDERS = "What gets in the way"
HELPS = "What we have going for us"
WHAT_WE_WILL_DO = "What we will do"


def theme_actions(theme: str) -> str:
    return f"Actions for the whole theme: {theme}"


def action_in_element(what: str, who: str, due: str | None, status: str) -> str:
    return f"{what} — {who}, {'by ' + due if due else NO_DUE_DATE}. {status}."


# ---- the relationships thread

RELATIONSHIPS_HEADING = "Relationships thread"
RELATIONSHIPS_INTRO = ("Relationships run through every element. These are the things we said about them, gathered "
                       "from all the elements of this round. No names.")
RELATIONSHIPS_NONE = ("Nothing was marked as about relationships in this round. Any evidence, anything in the way or "
                      "anything that helps can be marked, in any element.")
THREAD_STAGE_WORDS = {"evidence": "What happens", "hindering": "Gets in the way", "helping": "Helps"}


def thread_item(stage: str, text: str) -> str:
    return f"{THREAD_STAGE_WORDS.get(stage, stage)}: {text}"


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


def team_views_range(teams: int, where: str, middle: str) -> str:
    """`where` is scale.span's words, `middle` a place in words."""
    return f"Team views: {teams} teams, {scale.with_middle(where, middle)}."


def by_team(team: str, text: str) -> str:
    return f"{team}: {text}"


def by_team_on(team: str, element: str, text: str) -> str:
    return f"{team} ({element}): {text}"


def due_by(day: str) -> str:
    return f" (by {day})"


ELEMENT_BY_ELEMENT = "Element by element"
NO_TEAM_VIEW = "No team view yet."


def team_view_of(team: str, place: str, moved: str | None) -> str:
    """A team's view in words, and how it moved since the time before (None: its first view)."""
    return f"{team}: {place}" + (f" ({moved})" if moved is not None else " (first view)")


def team_views(each: list[str]) -> str:
    return f"Team views: {'; '.join(each)}."


def spread_of_views(where: str, middle: str) -> str:
    return f"Team views {scale.with_middle(where, middle)}."


def individual_views(people: int, where: str, middle: str) -> str:
    return f"Individual views: {people} people {scale.with_middle(where, middle)}."


def service_users_line(team: str, people: int, middle: str) -> str:
    return f"Service users ({team}, with permission): {people} people, middle {middle}."


NO_NAMES = "No member's name appears in this report."
