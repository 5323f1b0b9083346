"""What piebot says about organisations and local networks: creating one, inviting teams, joining,
sharing choices, leaving, and the lead's overview (in messages, and drawn on its charts).

Imported by the chart renderers in their worker processes: keep it free of anything heavier than the
standard library.
"""

from __future__ import annotations

from html import escape

from conversations.texts.scale import with_middle

PRIVATE_ONLY = "Networks are looked after in a private chat with me. Open it and send /network there."
GROUP_ONLY = "Send that in your team's group chat, where your admins can accept it."

NO_NETWORKS = (
    "<b>Networks</b> let a lead — a manager, a lead agency or a commissioner — look across several teams "
    "that use the same framework: their team views side by side, the distance each has travelled, and the "
    "gaps and barriers no single service controls.\n\n"
    "Teams only appear once their admins accept, and they choose whether to show their name.\n\n"
    "To start one, send e.g.\n<code>/network new Riverside Homeless Network</code>"
)

NAME_NEEDED = "Please add a name, e.g. <code>/network new Riverside Homeless Network</code>"


def led(networks: list[tuple[str, int]]) -> str:
    lines = ["<b>Your networks</b>"]
    for name, count in networks:
        lines.append(f"• <b>{escape(name)}</b> — {count} {'team' if count == 1 else 'teams'}")
    lines.append("\nTap <b>Overview</b> for the charts and a PDF, or <b>Invite a team</b> for a new invitation. "
                 "To start another network: <code>/network new Name</code>")
    return "\n".join(lines)


def created(name: str) -> str:
    return (f"✅ <b>{escape(name)}</b> is set up, and you are its lead. Only you can see its overview.\n"
            "Next, invite teams: I'll give you an invitation for each.")


# Said in the overview and with every invitation: why a team under an alias does not show up at once.
ANONYMOUS_WAIT = (
    "{n} more joined under an alias. Teams under an alias appear in threes, so nobody can tell which "
    "new one is which: they show once three are waiting."
)
ANONYMOUS_TOGETHER_NOTE = (
    "A team may join under an alias; such teams appear in your overview in threes, so nobody can tell "
    "which new one is which."
)


def invitation(name: str, code: str, link: str | None = None) -> str:
    """`link` opens Telegram's group picker and brings the invitation to the chosen group (t.me/…?startgroup=…)."""
    tap = (
        "Forward this to an admin of the team's group chat. They tap this link, pick their team's group, and "
        f"confirm there:\n{escape(link)}\n\nOr they send this in their group:\n"
    ) if link else "Forward this to an admin of the team's group chat. They send this in their group:\n"
    return (
        f"✉️ <b>Invitation to {escape(name)}</b> — for one team.\n\n"
        f"{tap}<code>/acceptnetwork {escape(code)}</code>\n\n"
        "It works once, for one team, so a forwarded copy can't bring in anyone else. For the next team, tap "
        "<b>Invite a team</b> again. The team chooses whether you see its name.\n" + ANONYMOUS_TOGETHER_NOTE
    )


NOT_LEAD = "That network isn't yours to look at."


def overview_button(network: str) -> str:
    return f"📊 Overview · {network[:28]}"


def invite_button(network: str) -> str:
    return f"✉️ Invite a team · {network[:28]}"


PUTTING_TOGETHER = "Putting the overview together…"
BUTTON_GONE = "That button doesn't work any more."


def overview_pdf_caption(network: str) -> str:
    return f"The overview of <b>{escape(network)}</b> as a PDF."


BAD_CODE = ("That invitation code doesn't look right. Ask the network lead to send a new one, and paste it "
            "whole: <code>/acceptnetwork CODE</code>")
CODE_NEEDED = "Add the invitation code the network lead sent you: <code>/acceptnetwork CODE</code>"
NOT_SET_UP = "Set the team up first with /setup, then accept the invitation."
ONLY_ADMIN_ACCEPTS = "Only a group admin can accept an invitation. Ask one of your admins."
ONLY_ADMIN_CHOOSES = "Only a group admin can choose."
ONLY_ADMIN_SHARES = "Only a group admin can change what the team shares."
ONLY_ADMIN_LEAVES = "Only a group admin can take the team out of a network."
SHOW_NAME = "Show our name"
HIDE_NAME = "Hide our name"
STAY_ANONYMOUS = "Stay anonymous"
DONE = "Done"
CHANGED = "Changed"
LEFT = "Left"


def already_in(network: str) -> str:
    return f"This team is already in <b>{escape(network)}</b>. See /networks."


def name_button(anonymous: bool) -> str:
    return SHOW_NAME if anonymous else HIDE_NAME


def service_users_button(shared: bool) -> str:
    return ("Stop sharing" if shared else "Share") + " service users' views"


def written_answers_button(shared: bool) -> str:
    return ("Stop sharing" if shared else "Share") + " what we wrote gets in the way"


def private_answers_button(shared: bool) -> str:
    return ("Stop sharing" if shared else "Share") + " private answers"


def leave_button(network: str) -> str:
    return f"Leave {network[:40]}"



def accept_question(network: str, team: str) -> str:
    return (
        f"🤝 <b>{escape(network)}</b> invites <b>{escape(team)}</b> to share its PIE self-assessments.\n\n"
        "<b>The network lead will see:</b> your team views and how far they have moved, everyone's own views "
        "without names (only where 3 or more answered), your Responsiveness check-ins, and open actions that "
        "depend on others.\n"
        "<b>Only if you switch it on</b> (off to start with; a button after joining, or /networks): what your "
        "team wrote about what gets in the way, in its own words.\n"
        "<b>Never:</b> anyone's name, private answers (unless you choose to share them), your own written-in "
        "elements, or your service users' views (unless you choose).\n\n"
        "How should your team appear to the network?"
    )


def joined(network: str, label: str, anonymous: bool) -> str:
    how = (f"as <b>{escape(label)}</b>, without your name" if anonymous
           else f"under your name, <b>{escape(label)}</b>")
    return (f"✅ You're in <b>{escape(network)}</b>, shown {how}. "
            "Leave at any time with /leavenetwork: your data leaves its overview at once.")


def sharing(network: str, label: str, anonymous: bool, service_users: bool, evidence: bool,
            written: bool = False) -> str:
    def state(on: bool) -> str:
        return "shared" if on else "not shared"

    return (
        f"<b>{escape(network)}</b> — you appear as <b>{escape(label)}</b>"
        f"{' (anonymous)' if anonymous else ''}.\n"
        f"Service users' views: {state(service_users)} (shown only while your team also has their permission, "
        "see /serviceusers).\n"
        f"What your team wrote gets in the way, in its own words: {state(written)}.\n"
        f"Answers given privately: {state(evidence)}"
        f"{' (only with the written answers above)' if evidence and not written else ''}.\n"
        "An admin can change these with the buttons."
    )


NO_MEMBERSHIPS = "This team isn't in any network. A network lead can send you an invitation."
LEAVE_WHICH = "Which network should this team leave? Its data leaves that network's overview at once."


def left(network: str) -> str:
    return (f"This team has left <b>{escape(network)}</b>. Its lead no longer sees anything of yours; "
            "everything stays here with you.")


ONLY_STARTER = "Only the admin who sent /acceptnetwork can choose. They can send it again."

# Refusals from piebot.storage.networks, shown as they are (plain text, in an alert or as a reply).
NETWORK_GONE = "That network doesn't exist any more."
INVITATION_SPENT = "That invitation has been used already. Ask the network lead for a new one."
NOT_IN_NETWORK = "This team isn't in that network any more."


def name_limits(limit: int) -> str:
    return f"Please give the network a name of 1 to {limit} characters."


def already_in_alert(network: str) -> str:
    return f"This team is already in {network}."


# How the network knows a team: its name, or an alias that says nothing about the order of joining.
UNNAMED_TEAM = "A team"


def alias(letters: str) -> str:
    return f"Team {letters}"


# What an action that depends on others is about, when it names no canonical element.
OWN_ELEMENT = "one of the team's own elements"
WHOLE_SERVICE = "the whole service"



def overview_intro(network: str, teams: list[str], anonymous: int, other: list[str], own: int,
                   waiting: int = 0) -> str:
    names = ", ".join(escape(t) for t in teams) or "none yet"
    lines = [f"📊 <b>{escape(network)}</b> — overview of {len(teams)} {'team' if len(teams) == 1 else 'teams'}: {names}."]
    if anonymous:
        lines.append(f"{anonymous} chose to appear under an alias.")
    if waiting:
        lines.append(ANONYMOUS_WAIT.format(n=waiting))
    lines.append("Teams are listed by name, never by score; a team's first round is its starting point.")
    if other:
        lines.append("Left out of comparisons, being on another template: " + ", ".join(escape(t) for t in other) + ".")
    if own:
        lines.append("Elements teams wrote in themselves are their own and left out of comparisons.")
    return "\n".join(lines)


def gaps(hinders: list[tuple[str, str, str]], actions: list[tuple[str, str, str]]) -> str:
    """(team, element name, text) of what gets in the way and of actions that depend on others."""
    lines = ["<b>Gaps and barriers no single service controls</b>"]
    if hinders:
        lines.append("\n<b>What gets in the way</b>")
        lines += [f"• {escape(team)} · <i>{escape(element)}</i>: {escape(text)}" for team, element, text in hinders]
    if actions:
        lines.append("\n<b>Actions that depend on others</b>")
        lines += [f"• {escape(team)} · <i>{escape(element)}</i>: {escape(text)}" for team, element, text in actions]
    if not hinders and not actions:
        lines.append("Nothing recorded yet.")
    text = "\n".join(lines)
    if len(text) > 3900:
        text = text[:3800].rsplit("\n", 1)[0] + "\n… the rest is in the PDF."
    return text


# ---------------------------------------------------------------- the overview's charts (plain text)


def chart_subtitle(network: str, teams: int, made_on: str) -> str:
    return f"{network} · {teams} teams · {made_on}"


def chart_other_templates(teams: list[str]) -> str:
    return "Left out of comparisons, being on another template: " + ", ".join(teams) + "."


def chart_own_elements(teams: int) -> str:
    return (f"Elements teams wrote in themselves are their own and left out of comparisons "
            f"({teams} {'team has' if teams == 1 else 'teams have'} some).")


ONE_TEAMS_VIEW = "one team's view"
NO_TEAM_VIEW_YET = "no team view yet"
NO_COMPARABLE_TEAM = ("No team in this network has a comparable assessment yet. Teams appear here once they "
                      "accept your invitation and close a round.")
NOTHING_TO_COMPARE = "None of the teams has closed a round with a team view yet, so there is nothing to compare."

VIEWS_TITLE = "Our teams side by side"
SPREAD = "spread"


def views_intro(network: str, teams: int) -> str:
    return (f"Our teams side by side, {network}: each team's latest agreed view of each "
            f"element, {teams} teams, listed by name, not by score.")


def views_short(network: str, teams: int, elements: int) -> str:
    """The picture's caption: what it shows, in a line."""
    return (f"Our teams side by side, {network}: {teams} {'team' if teams == 1 else 'teams'}, "
            f"{elements} {'element' if elements == 1 else 'elements'} with a team view.")


def team_and_view(team: str, place: str) -> str:
    """A team and its view, the view in words ('Getting there — halfway')."""
    return f"{team}: {place}"


def views_line(element: str, teams: int, where: str, middle: str, each: list[str]) -> str:
    """One element's team views in the details: `where` is scale.span's words, `middle` a place in words,
    `each` names every team with its view."""
    if not teams:
        return f"{element}: no team view yet."
    if teams == 1:
        return f"{element}: 1 team ({'; '.join(each)})."
    return f"{element}: {teams} teams, {with_middle(where, middle)} ({'; '.join(each)})."


DISTANCE_TITLE = "Distance travelled"
FIRST_VIEW = "first view — a starting point"
MOVED_UP_LEGEND = "elements moved up"
MOVED_DOWN_LEGEND = "moved down"
HELD_LEGEND = "held"


def distance_subtitle(subtitle: str) -> str:
    # The facts first: if the line is cut to fit the picture, the qualifier goes, not the date.
    return subtitle + " · since each team's last view"


def up_and_held(up: int, held: int) -> str:
    return f"{up} up, {held} held"


def down(count: int) -> str:
    return f"{count} down"


def distance_words(team: str, rated: int, starting: bool, compared: int, up: int, held: int, down: int) -> str:
    """How far one team has moved, in words: never a score."""
    if rated == 0:
        return f"{team}: no team view yet."
    if starting:
        return f"{team}: first view of {rated} {'element' if rated == 1 else 'elements'} — a starting point."
    return (f"{team}: {compared} {'element' if compared == 1 else 'elements'} rated again — "
            f"{up} moved up, {held} held steady, {down} moved down.")


def distance_short(teams: int, compared: int) -> str:
    """The picture's caption: how many teams have a distance yet."""
    return (f"Distance travelled since each team's previous view: {compared} of {teams} "
            f"{'team' if teams == 1 else 'teams'} rated elements again. Not a ranking.")


DISTANCE_INTRO = ("Distance travelled since each team's previous view, element by element. Teams are listed by "
                  "name; a team's first round is its starting point, not a score.")

INDIVIDUAL_HIDDEN = ("Fewer than 3 people answered in each team's latest round, so individual views are "
                     "not shown, to keep answers anonymous.")
LEVELS_TITLE = "Individual and team views"
ONE_PERSONS_VIEW = "one person's view"
A_TEAMS_VIEW = "a team's agreed view"
DIFFER_MOST = "differ most"


def levels_subtitle(subtitle: str) -> str:
    return subtitle + " · all teams"


LEVELS_INTRO = ("Individual and team views across all teams: each person's own view (no names) beside each "
                "team's agreed view. Where they differ is a good question to talk about, not a fault.")
SOME_HIDDEN = ("Some teams had fewer than 3 answers on an element; those individual views are not shown, "
               "to keep answers anonymous.")


def differ_most(elements: list[str]) -> str:
    return "Differ most: " + "; ".join(elements) + "."


def level_words(element: str, people: int, where: str, middle: str, teams_where: str, team_middle: str) -> str:
    """`where` and `teams_where` are scale.span's words; the middles are places in words."""
    return f"{element}: {people} people {with_middle(where, middle)}; teams {with_middle(teams_where, team_middle)}"


def levels_short(differ_most: str | None) -> str:
    return ("Each person's own view beside each team's agreed view, across all teams."
            + (f"\nThey differ most on {differ_most}." if differ_most else ""))


NO_CHECKINS_ANSWERED = "No team has answered a check-in on Responsiveness yet, so there are no trends to show."
CHECKINS_TITLE = "Responsiveness check-ins"
LATEST_CHECKIN = "latest check-in"
EARLIER_ONES = "earlier ones"
MIDDLE_LEVEL = "middle is a level"


def checkins_subtitle(subtitle: str) -> str:
    return subtitle + " · latest check-ins"


def no_checkin_yet(team: str) -> str:
    return f"{team}: no answered check-in yet."


def checkin_words(team: str, middle: str, day: str, answered: int, since: str = "") -> str:
    """The team's latest answered check-in, its middle a place in words; `since` (from checkins_since)
    when it has more than one."""
    return f"{team}: latest middle {middle} on {day} ({answered} answered){since}."


def checkin_level_words(team: str, level: str, day: str, answered: int, since: str = "") -> str:
    """The latest check-in when some named a level only: its middle is a level, never a place."""
    return f"{team}: latest middle {level} (a level) on {day} ({answered} answered){since}."


_LEVELS_MOVED = {1: "a level", 2: "two levels", 3: "three levels"}


def checkins_since_in_levels(levels: int, first_day: str, points: int) -> str:
    how = "held at the same level" if levels == 0 else (
        f"{'up' if levels > 0 else 'down'} {_LEVELS_MOVED.get(abs(levels), f'{abs(levels)} levels')}")
    return f"; {how} since {first_day} over {points} check-ins"


def checkins_since(how: str, first_day: str, points: int) -> str:
    """`how` is the move in words (scale.move: 'up a level', 'a little further along', 'held steady')."""
    return f"; {how} since {first_day} over {points} check-ins"


CHECKINS_INTRO = "Responsiveness check-ins: the middle answer of each team's latest check-ins."


def checkins_short(teams: int) -> str:
    return (f"Responsiveness check-ins: the middle answer of the latest check-ins of {teams} "
            f"{'team' if teams == 1 else 'teams'}.")
