"""The command menus Telegram shows beside the message box, per scope: (command, what it does)."""

PRIVATE_COMMANDS = [
    ("start", "Connect to your team"),
    ("help", "What I can do"),
    ("mydata", "Everything I keep about you"),
    ("forgetme", "Erase your named answers"),
    ("away", "No reminders until a date"),
    ("actions", "The actions I own"),
    ("review", "Redeem a peer-review code"),
    ("network", "Look across teams (leads)"),
]
GROUP_COMMANDS = [
    ("join", "Count me in"),
    ("status", "Where the round stands"),
    ("chart", "See the team's charts"),
    ("actions", "Our open actions"),
    ("withdraw", "Take back my answer"),
    ("away", "No reminders until a date"),
    ("help", "What I can do"),
]
ADMIN_COMMANDS = GROUP_COMMANDS + [
    ("setup", "Name, framework, time zone"),
    ("customise", "Our level names, elements, own themes"),
    ("assess", "Start a round"),
    ("next", "Next step of the round"),
    ("back", "Step back"),
    ("skip", "Skip this element"),
    ("pause", "Pause the round"),
    ("resume", "Carry on"),
    ("close", "Close the round"),
    ("peerreview", "A code for a peer reviewer"),
    ("facilitator", "Name a facilitator"),
    ("schedule", "Check-ins and reminders"),
    ("support", "Support contacts"),
    ("report", "PDF report of a round"),
    ("export", "CSV files"),
    ("serviceusers", "A round with the people we serve"),
    ("acceptnetwork", "Join an organisation or network"),
    ("networks", "Our networks and what we share"),
    ("leavenetwork", "Leave a network"),
    ("retention", "How long answers are kept"),
    ("deleteteam", "Delete all of the team's data"),
]
