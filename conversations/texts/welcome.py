"""What piebot says when it arrives, sets a team up and lets people join: the greeting, the set-up steps,
/help, and the refusals of commands used in the wrong place (texts/onboarding.py has the set-up buttons)."""

from __future__ import annotations

from html import escape

GREETING = (
    "👋 Hello, I'm <b>piebot</b>. I help this team look at how you work together, using "
    "the <b>PIEs 2.0</b> framework: you each rate an element, share what is really happening, "
    "agree a team view and plan small actions.\n\n"
    "<b>What I can see here:</b> only commands, replies to my messages and button presses "
    "(Telegram's privacy mode). I don't read your other chat.\n"
    "<b>What I keep:</b> your ratings and answers, for this team only. Anonymous answers are "
    "stored with no link to who gave them.\n\n"
    "An admin, please tap /setup to begin."
)

CHANNEL = "I work in a team's group chat, not in channels, so I'll leave this one. Add me to your team's group instead."

NOT_ADMIN = "Only a group admin can do that. Ask one of your admins."
GROUP_ONLY = "That works in your team's group chat. Add me to the group and use it there."
NOT_SET_UP = "This team isn't set up yet. An admin can tap /setup."


def unknown_command(command: str) -> str:
    return f"I don't know {escape(command)}. Tap /help to see what I can do."


SETUP_NAME = "<b>Set-up · 1 of 4</b>\nWhat should I call this team?"
SETUP_FRAMEWORK = (
    "<b>Set-up · 2 of 4</b>\nWhich version of the framework?\n"
    "• <b>All 15 elements</b> — the full PIEs 2.0 (recommended)\n"
    "• <b>Short form</b> — the 5 themes; you can drill into any theme later\n"
    "• <b>Coffee break</b> — one quick look at the service as a whole"
)
SETUP_TIMEZONE = "<b>Set-up · 3 of 4</b>\nWhich time zone is the team in? (for check-ins and reminders)"
SETUP_TIMEZONE_TYPE = "Reply to this message with your time zone, like <code>Europe/Dublin</code>."
SETUP_WRITE_IN = (
    "<b>Set-up · 4 of 4</b>\nDo you want to add a theme of your own?\n"
    "Many teams add <b>Relationships</b> — with staff, family, peers, neighbours and pets. (Work with other "
    "agencies already has its home in Sector engagement and in Pathways.) "
    "Written-in themes are marked as your own and kept out of comparisons with other teams."
)
SETUP_NAME_TYPE = "Reply to this message with the team's name."
BAD_TIMEZONE = "I don't know that time zone. Try a name like <code>Europe/London</code>, or pick a button."
BAD_NAME = "Please send a name of 1 to 64 characters."


def setup_done(name: str, framework_name: str, timezone: str, written_in: list[str]) -> str:
    own = ", ".join(escape(t) for t in written_in) or "none"
    return (
        f"✅ <b>{escape(name)}</b> is set up.\n"
        f"Framework: {escape(framework_name)}\nTime zone: {escape(timezone)}\nOur own themes: {own}\n\n"
        "Everyone: tap /join so I can count you in and send you private questions."
    )


def joined(name: str, team: str, new: bool) -> str:
    first = "welcome to" if new else "you're already in"
    return (
        f"{escape(name)}, {first} <b>{escape(team)}</b>. "
        "Tap the button to open our private chat — that's where private questions and reminders go."
    )


OPEN_PRIVATE = "Open my private chat"


def private_opened(team: str) -> str:
    return (
        f"🔒 You're connected to <b>{escape(team)}</b>. Private questions and reminders will come here.\n"
        "What you write here is only shared the way your team's round says (named or anonymous)."
    )


BAD_LINK = "That link doesn't look right. Ask for a new one with /join in your team's group."
NOT_YOUR_LINK = "That link was made for someone else. Tap /join in your team's group to get your own."

PRIVATE_START = (
    "👋 Hello, I'm <b>piebot</b>. I work in your team's group chat: ask an admin to add me, then tap "
    "/join there. Tap /help to see what I can do."
)

HELP_GROUP = (
    "<b>piebot</b> — PIEs 2.0 reflective self-assessment for your team.\n\n"
    "<b>Everyone</b>\n/join — count me in and open the private chat\n/status — where the current round stands\n"
    "/chart — see the team's charts\n/actions — our open actions: done, a new date, or dropped\n"
    "/withdraw — take back your own answer\n/away — no reminders until a date\n"
    "/help — this message\n\n"
    "<b>Running a round</b>\n/assess — start a round\n/next /back /skip — move through it\n"
    "/pause /resume /close — pause, carry on, or finish\n/peerreview — a code for a trusted colleague\n\n"
    "<b>Admins</b>\n/setup — name, framework, time zone\n/customise — level names, elements, own themes\n"
    "/facilitator — name a facilitator\n"
    "/schedule — check-ins and reminders\n/support — support contacts\n/report — PDF of a round\n"
    "/export — CSV files\n/serviceusers — a round with the people we serve\n"
    "/acceptnetwork /networks /leavenetwork — your organisation or network\n"
    "/retention — how long answers are kept\n/deleteteam — delete all of the team's data"
)

HELP_PRIVATE = (
    "<b>piebot</b> — here you answer privately and get reminders.\n\n"
    "/mydata — everything I keep about you\n/forgetme — erase your named answers\n"
    "/away — no reminders until a date\n/actions — the actions you own\n/review — redeem a peer-review code\n"
    "/network — for managers: look across teams\n/help — this message"
)
