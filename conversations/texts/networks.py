"""What piebot says about organisations and local networks: creating one, inviting teams, joining,
sharing choices, leaving, and the lead's overview (in messages, and drawn on its charts).

Imported by the chart renderers in their worker processes: keep it free of anything heavier than the
standard library.
"""

from __future__ import annotations

from html import escape

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


def invitation(name: str, code: str) -> str:
    return (
        f"✉️ <b>Invitation to {escape(name)}</b> — for one team.\n\n"
        "Forward this to an admin of the team's group chat. They send this in their group:\n"
        f"<code>/acceptnetwork {escape(code)}</code>\n\n"
        "It works once, for one team, so a forwarded copy can't bring in anyone else. For the next team, tap "
        "<b>Invite a team</b> again. The team chooses whether you see its name."
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


def private_answers_button(shared: bool) -> str:
    return ("Stop sharing" if shared else "Share") + " private answers"


def leave_button(network: str) -> str:
    return f"Leave {network[:40]}"



def accept_question(network: str, team: str) -> str:
    return (
        f"🤝 <b>{escape(network)}</b> invites <b>{escape(team)}</b> to share its PIE self-assessments.\n\n"
        "<b>The network lead will see:</b> your team views and how far they have moved, everyone's own views "
        "without names (only where 3 or more answered), your Responsiveness check-ins, what you said gets in "
        "the way, and open actions that depend on others.\n"
        "<b>Never:</b> anyone's name, private answers (unless you choose to share them), your own written-in "
        "elements, or your service users' views (unless you choose).\n\n"
        "How should your team appear to the network?"
    )


def joined(network: str, label: str, anonymous: bool) -> str:
    how = (f"as <b>{escape(label)}</b>, without your name" if anonymous
           else f"under your name, <b>{escape(label)}</b>")
    return (f"✅ You're in <b>{escape(network)}</b>, shown {how}. "
            "Leave at any time with /leavenetwork: your data leaves its overview at once.")


def sharing(network: str, label: str, anonymous: bool, service_users: bool, evidence: bool) -> str:
    def state(on: bool) -> str:
        return "shared" if on else "not shared"

    return (
        f"<b>{escape(network)}</b> — you appear as <b>{escape(label)}</b>"
        f"{' (anonymous)' if anonymous else ''}.\n"
        f"Service users' views: {state(service_users)} (shown only while your team also has their permission, "
        "see /serviceusers).\n"
        f"Answers given privately: {state(evidence)}.\n"
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



def overview_intro(network: str, teams: list[str], anonymous: int, other: list[str], own: int) -> str:
    names = ", ".join(escape(t) for t in teams) or "none yet"
    lines = [f"📊 <b>{escape(network)}</b> — overview of {len(teams)} {'team' if len(teams) == 1 else 'teams'}: {names}."]
    if anonymous:
        lines.append(f"{anonymous} chose to appear under an alias.")
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
