"""Charts in words: what the bot says around charts, reports and exports (HTML; user strings escaped
here), what the results call things, and every word drawn on or under a chart picture (plain text).

Imported by the chart renderers in their worker processes: keep it free of anything heavier than the
standard library.
"""

from __future__ import annotations

from datetime import date
from html import escape

from conversations.texts import scale

GROUP_ONLY = "Charts belong to a team: use /chart, /report or /export in your team's group."
NOT_SET_UP = "This group isn't set up yet. An admin can start with /setup."
NOT_JOINED = "Charts are for the team's members. Tap /join first, then /chart again."
NOTHING_YET = (
    "📊 No charts yet: no round has closed, no check-in has been answered and no action has been agreed. "
    "Start a round with /assess; the charts appear here when it closes."
)
MENU = "📊 <b>Which chart?</b>"
MENU_LATEST = "Profile and spread show the round closed {date}."
MENU_NO_ROUND = "Profile and spread appear when the first round closes."
MENU_ONE_ROUND = "How far we've travelled appears once a second round has closed."
MENU_NO_CHECKINS = "Check-in trends appear after the first check-in closes."
PROFILE_BUTTON = "Where we are now"
SPREAD_BUTTON = "How far apart we are"
DISTANCE_BUTTON = "How far we've travelled"
ACTIONS_BUTTON = "Our actions"
RELATIONSHIPS_BUTTON = "🤝 Relationships thread"


def trend_button(element: str) -> str:
    return f"{element[:40]} over time"


def round_button(closed_on: str, round_id: int, ticked: bool = False) -> str:
    return f"{closed_on} · round {round_id}" + (" ✓" if ticked else "")


def last_two_button(before: str, after: str) -> str:
    return f"The last two ({before} → {after})"


# Under a chart in the group: its figures in words, sent to whoever taps (privately when possible).
DETAILS_BUTTON = "📝 In words"
DETAILS_SENT_PRIVATELY = "I've sent you the figures in words, in our private chat."
DETAILS_LIMIT = 4000  # a message holds 4096 characters; a longer one is cut at a line's end
MORE_IN_THE_REPORT = "… the rest is in the report (/report)."


def details_message(team: str, details: str) -> str:
    """A chart's figures in words as a message (plain text): whose chart, then every figure, cut at a
    line's end if too long for one message."""
    text = f"📝 {team}\n{details}"
    if len(text) <= DETAILS_LIMIT:
        return text
    cut = text[:DETAILS_LIMIT].rsplit("\n", 1)[0]
    return f"{cut}\n{MORE_IN_THE_REPORT}"


PICK_FROM = "📏 <b>How far we've travelled</b>\nCompare from which round? (The last two are ticked.)"
PICK_TO = "📏 <b>How far we've travelled</b>\nFrom the round closed {date}, to which round?"
DRAWING = "Drawing it…"
# The same chart pressed for again while it is drawn, or just after it was posted (one at a time per team).
ON_ITS_WAY = "That chart is on its way — give it a moment."
JUST_POSTED = "That chart was posted just now: it's just above."
MAKING = "Making it…"
NEED_TWO_ROUNDS = "How far we've travelled needs two closed rounds. It appears after the next round closes."

ONLY_LEADS = "Only a group admin or the team's facilitator can do that."
AS_YOURSELF = "Write it as yourself rather than as the group, so I can send the files to you privately."
NO_ROUND_FOR_REPORT = "No round has closed yet, so there's no report to make. It can be made once a round closes."
OPEN_PRIVATE_FIRST = (
    "I send reports and exports privately, and I can't write to you yet. Tap /join here, open the chat "
    "with me from the button, then try again."
)
BUTTON_EXPIRED = "That button doesn't work any more. Use /chart again."
WRONG_CHAT = "That button belongs to another team's chat."
ROUND_GONE = "That round isn't there any more. Use /chart again."
FAILED = "Sorry, I couldn't make that just now. Please try again in a minute."

EARLIER_REPORTS = "Reports of earlier rounds:"


def report_sent(name: str, date: str, anonymous: bool, parts: int) -> str:
    files = "the report" if parts == 1 else f"the report in {parts} parts"
    note = " Answers were anonymous, so it holds no names." if anonymous else ""
    return f"📄 I've sent {escape(name)} {files} of the round closed {escape(date)}, privately.{note}"


def export_sent(name: str) -> str:
    return (f"🗂 I've sent {escape(name)} the team's ratings, check-ins and actions as spreadsheet files, "
            "privately. Anonymous answers stay anonymous in them.")


def report_caption(team: str, date: str, part: int, parts: int) -> str:
    which = f" (part {part} of {parts})" if parts > 1 else ""
    return f"PIE self-assessment report: {team}, round closed {date}{which}."


EXPORT_CAPTIONS = {
    "ratings.csv": "Every rating, one row per answer (anonymous rounds show 'anonymous').",
    "checkins.csv": "Check-ins: date, how many answered, how many in each level, and the middle view.",
    "actions.csv": "Actions: what, who, by when, status, when done or why dropped.",
}


# ---------------------------------------------------------------- what the results call things

# Elements a team has since hidden or that its framework no longer knows.
OTHER_THEME = "No longer in our framework"
NO_THEME = "Whole round"
# What a file without words shows as, so a photo of the noticeboard still counts as evidence.
FILE_WORDS = {"photo": "(a photo)", "voice": "(a voice note)", "document": "(a document)"}


def held_back(count: int) -> str:
    return f"({count} note{'s' if count != 1 else ''} given privately, kept within the team)"


# ---------------------------------------------------------------- dates on charts, reports and buttons


def nice_date(day: date | None) -> str:
    if day is None:
        return "still open"
    return f"{day.day} {day:%b %Y}"


def round_name(closed_on: date | None) -> str:
    return "the open round" if closed_on is None else f"the round closed {nice_date(closed_on)}"


def day_and_month(day: date) -> str:
    """A check-in's date under the trend, when there are few of them."""
    return f"{day.day} {day:%b}"


# ---------------------------------------------------------------- on every chart

# The scale's level names when a framework has none of its own.
DEFAULT_LEVEL_LABELS = ("Level 1", "Level 2", "Level 3", "Level 4")


def level_fallback(level: int) -> str:
    return f"Level {level}"


OUR_OWN_SUFFIX = " (our own)"
TEAM_VIEW = "team view"
NOT_RATED = "not rated"
# Fewer answers than this keep an element's beads hidden, so no one's answer can be picked out.
TOO_FEW = "fewer than 3 answers — not shown"
TOO_FEW_LONG = "fewer than 3 answers — not shown, to keep answers anonymous"


def not_rated(names: list[str]) -> str:
    return "Not rated: " + ", ".join(names) + "."


def biggest_move(name: str, how: str, before: str, after: str) -> str:
    """`how` is the move in words (scale.move), `before` and `after` places in words."""
    return f"Biggest move: {name}, {how} (from {before} to {after})."




# ---------------------------------------------------------------- the team profile

NO_ELEMENTS_FOR_PROFILE = "This round has no elements yet, so there is no team profile to show."
NO_TEAM_VIEW_FOR_PROFILE = (
    "The team has not agreed a view on any element yet. The profile appears once the team "
    "places its first bead."
)
PROFILE_TITLE = "Where our team is now"
TEAM_VIEW_NOW = "team view now"
LAST_ROUND = "last round"
OUR_OWN = "our own"


def profile_subtitle(team: str, round_name: str) -> str:
    return f"{team} · {round_name}"


def profile_intro(team: str, round_name: str) -> str:
    return (f"Where {team or 'our team'} is now, {round_name}: each element's team view, said as its level "
            "and where in that level.")


def profile_short(team: str, day: str, rated: int, elements: int, moves: str | None) -> str:
    """The album's caption: one or two lines. `moves` is since_last_round's words, if there was a round before."""
    first = f"Where {team or 'our team'} is now, {day}: {rated} of {elements} elements with a team view."
    return first + (f"\n{moves}" if moves else "")


def profile_short_one(element: str, view: str | None, how: str | None) -> str:
    """The album's caption for a round on one element: its team view in words, and how it moved."""
    where = view if view is not None else NOT_RATED
    return f"{element}: {where}." + (f"\nSince last round: {how}." if how else "")


def furthest_and_earliest(top: str, top_place: str, low: str, low_place: str) -> str:
    if top == low:
        return f"Team view: {top_place}."
    return f"Furthest along: {top} ({top_place}). Earliest: {low} ({low_place})."


def since_last_round(up: int, down: int, held: int) -> str:
    return f"Since last round: {up} moved up, {down} moved down, {held} held steady."


def own_elements(count: int) -> str:
    return f"{count} of the elements are our own, written in by the team."


def each_view(views: list[tuple[str, str | None]]) -> str:
    """Every element's team view in words, in the details' closing line."""
    return "Each: " + "; ".join(f"{name}: {view if view else NOT_RATED}" for name, view in views) + "."


# ---------------------------------------------------------------- distance travelled

NO_ELEMENTS_FOR_DISTANCE = "There are no elements in either round yet, so there is no distance to show."
NO_DISTANCE_YET = (
    "No element has a team view in both rounds yet, so there is no distance travelled to show. "
    "It appears after the team has rated the same element twice."
)
DISTANCE_TITLE = "How far we have travelled"
NOT_RATED_BOTH = "not rated both times"
MOVED_UP_KEY = "moved up"
MOVED_DOWN_KEY = "moved down"
HELD_KEY = "held steady"


def distance_subtitle(before: str, after: str) -> str:
    return f"Team view, {before} to {after}"


def distance_intro(before: str, after: str, up: int, down: int, held: int, missing: int) -> str:
    return (f"How far we have travelled: team view from {before} to "
            f"{after}. {up} moved up, {down} moved down, {held} held steady, "
            f"{missing} not rated both times.")


def distance_short(before: str, up: int, down: int, held: int, missing: int) -> str:
    """The album's caption: how many moved which way since the round compared with."""
    parts = [f"{up} moved up", f"{down} moved down", f"{held} held steady"]
    if missing:
        parts.append(f"{missing} not rated both times")
    return f"How far we have travelled since {before}: " + ", ".join(parts) + "."


def distance_short_one(element: str, before: str, how: str | None) -> str:
    return f"{element} since {before}: {how if how else NOT_RATED_BOTH}."


def moved_up(moves: list[tuple[str, str]]) -> str:
    """(element, the move in words)."""
    return "Moved up: " + "; ".join(f"{name}, {how}" for name, how in moves) + "."


def moved_down(moves: list[tuple[str, str]]) -> str:
    return "Moved down: " + "; ".join(f"{name}, {how}" for name, how in moves) + "."


def held(names: list[str]) -> str:
    return "Held steady: " + ", ".join(names) + "."


def not_rated_both(names: list[str]) -> str:
    return "Not rated both times: " + ", ".join(names) + "."


# ---------------------------------------------------------------- the spread


def spread_too_few(least: int) -> str:
    return (f"Fewer than {least} people answered each element, so the spread is "
            "not shown, to keep answers anonymous.")


NO_BEADS_FOR_SPREAD = "Nobody has placed a bead in this round yet, so there is no spread to show."
SPREAD_TITLE = "How far apart our views are"
ONE_ANSWER = "one answer"


def spread_subtitle(round_name: str) -> str:
    return f"Most different first · {round_name}"


def spread_intro(round_name: str, answered: int) -> str:
    return (f"How far apart our views are, {round_name}: each answer is a bead on the "
            f"scale, most different views first. {answered} people answered.")


def spread_short(day: str, answered: int, differ_most: str | None) -> str:
    """The album's caption: who answered, and where views differed most (if they did)."""
    first = f"How far apart our views were, {day}: {answered} people answered."
    return first + (f"\nFurthest apart on {differ_most}." if differ_most else "")


def spread_short_one(element: str, answers: int, where: str) -> str:
    """`where` is scale.span's words: 'from … to …' or 'all at …'."""
    return f"{element}: {answers} answers, {where}."


def levels_apart(levels: int) -> str:
    """How many levels a set of views covers."""
    return "within one level" if levels <= 1 else f"across {_LEVELS_SPANNED.get(levels, f'{levels} levels')}"


_LEVELS_SPANNED = {2: "two levels", 3: "three levels", 4: "all four levels"}


def too_few_for(names: list[str]) -> str:
    return f"{TOO_FEW_LONG[0].upper()}{TOO_FEW_LONG[1:]}: " + ", ".join(names) + "."


def spread_line(name: str, answers: int, where: str, apart: str, middle: str, team_view: str | None) -> str:
    """`where` is scale.span's words, `apart` levels_apart's, `middle` and `team_view` places in words."""
    view = f"; team view {team_view}" if team_view is not None else "; no team view yet"
    if where.startswith("all at"):
        return f"{name}: {answers} answers, {where}{view}."
    return f"{name}: {answers} answers {where} ({apart}), middle {middle}{view}."


# ---------------------------------------------------------------- own views beside the team view


def levels_too_few(least: int) -> str:
    return (f"Fewer than {least} people answered each element and there is no team "
            "view yet, so there is nothing to show side by side.")


NO_BEADS_FOR_LEVELS = "Nobody has placed a bead in this round yet, so there is nothing to show side by side."
LEVELS_TITLE = "Our own views and our team view"
ONE_PERSONS_VIEW = "one person's view"
SERVICE_USERS = "service users"
DIFFER_MOST = "differ most"


def levels_subtitle(round_name: str) -> str:
    return f"Differ most highlighted · {round_name}"


def levels_intro(round_name: str, answered: int) -> str:
    return (f"Our own views and our team view, {round_name}: each person's view (no names) "
            f"beside the view the team agreed. {answered} people answered.")


def how_far_from_team_view(places: float) -> str:
    """How far own views sit from the team view on average, in words (five places make a level)."""
    if places < 1.5:
        return "close to the team view"
    if places < 4:
        return "a little way from the team view"
    if places < 7.5:
        return "about a level from the team view"
    return "more than a level from the team view"


def levels_differ_most(elements: list[tuple[str, str]]) -> str:
    """(element name, how_far_from_team_view's words) of the elements whose own views differ most."""
    return "Differ most: " + "; ".join(f"{name} (own views {apart}, on average)" for name, apart in elements) + "."


def levels_short(day: str, differ_most: str | None) -> str:
    return f"Our own views and our team view, {day}." + (f"\nThey differ most on {differ_most}." if differ_most else "")


def levels_line(name: str, own: tuple[int, str, str] | None, team_view: str | None,
                service_users: tuple[int, str] | None) -> str:
    """`own`: (how many, scale.span's words, middle in words) if shown; `service_users`: (people, middle)."""
    view = f"team view {team_view}" if team_view is not None else "no team view yet"
    ours = (f"{own[0]} own views {scale.with_middle(own[1], own[2])}" if own is not None
            else "fewer than 3 own views, not shown")
    theirs = f"; service users: {service_users[0]} people, middle {service_users[1]}" if service_users else ""
    return f"{name}: {ours}; {view}{theirs}."


# ---------------------------------------------------------------- check-ins over time

THIS_ELEMENT = "this element"
ANSWERED = "answered"
MISSED = "missed"
NAMED_A_LEVEL = "named a level (how many beside it)"
CHOSE_A_PLACE = "chose a place"
MIDDLE_PLACE = "middle, when all chose a place"
TOO_FEW_TO_SHOW = "too few to show where, without giving people away"


def level_words(labels: list[str], level: int) -> str:
    """A level by the team's name for it (plain text, for pictures, PDFs and CSV files)."""
    return labels[level - 1] if 1 <= level <= len(labels) else level_fallback(level)


def place_words(labels: list[str], index: int) -> str:
    """A place the one way piebot says it, 'Getting there — near the top', in plain text."""
    named = list(labels) + [level_fallback(n) for n in range(len(labels) + 1, 5)]
    return scale.place_plain(scale.named_levels(named), index)


def span_words(labels: list[str], low: int, high: int) -> str:
    named = list(labels) + [level_fallback(n) for n in range(len(labels) + 1, 5)]
    return scale.span(scale.named_levels(named), low, high, plain=True)


def middle_words(labels: list[str], middle_place: int | None, middle_level: int | None) -> str:
    """The middle view: a place when every answer was one, else the level (a level never becomes a place)."""
    if middle_place is not None:
        return place_words(labels, middle_place)
    return level_words(labels, middle_level) if middle_level is not None else ""


def no_trend(element: str) -> str:
    return (f"No check-in answers on {element} yet, so there is no trend to show. "
            "It appears after the first check-in.")


def trend_title(element: str) -> str:
    return f"{element} over time"


def trend_subtitle(first: str, last: str) -> str:
    return f"Check-ins, {first} to {last}"


def trend_intro(element: str, checkins: int, first: str, last: str) -> str:
    return f"{element} over time: {checkins} check-in{'s' if checkins != 1 else ''} from {first} to {last}."


def trend_short(element: str, checkins: int, day: str, answered: int, middle: str | None) -> str:
    """The picture's caption: how many check-ins, and the latest one in a line."""
    head = f"{element} over time: {checkins} check-in{'s' if checkins != 1 else ''}."
    latest = f"Latest, {day}: {answered} answered" + (f", middle view {middle}." if middle else ".")
    return f"{head}\n{latest}"


def in_levels(counts: list[tuple[int, str]]) -> str:
    """(how many, level name) pairs: '5 in Getting there, 2 in Well on the way'."""
    return ", ".join(f"{count} in {level}" for count, level in counts)


def trend_latest(day: str, answered: int, levels: str, middle: str | None) -> str:
    """`middle` is None when too few answered to show a middle without giving people away."""
    said = f"Latest, {day}: {answered} answered — {levels}."
    return said + (f" Middle view: {middle}." if middle else "")


def trend_since(day: str, how: str) -> str:
    return f"Since {day}: {how}."


def missed_checkins(days: list[str]) -> str:
    return f"Missed check-ins ({len(days)}): " + ", ".join(days) + "."


def each_checkin(points: list[tuple[str, str | None, int]]) -> str:
    """(day, middle view in words or None when missed, how many answered) of every check-in."""
    return "Each: " + "; ".join(
        f"{day} " + ((f"{middle} " if middle else "") + f"({answered} answered)" if middle is not None else MISSED)
        for day, middle, answered in points) + "."
