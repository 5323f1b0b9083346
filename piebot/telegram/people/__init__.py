"""People and their team: arriving in a group, /setup, joining, leaving, and everyone's rights over
their data.

    bot added to a group ─► welcome ─► /setup by an admin (name · framework · time zone · written-in)
    /join ─► signed deep link ─► private chat opened ─► member (can now be asked privately)
    left the group / removed ─► member inactive; a group that became a supergroup keeps its data
    /mydata · /forgetme (private) ─► what we keep, erase my named answers
    /retention · /deleteteam (admins) ─► how long answers are kept; delete everything

Modules: onboarding (welcome, /setup, /join, /start, /help, unknown commands), membership (leaving,
migration, member checks behind join links), privacy (/mydata, /forgetme, /retention, /deleteteam and
the daily purge).

Handlers registered: commands /setup /join /start /help /mydata /forgetme /retention /deleteteam;
buttons "su" (setup), "fm" (forget me), "kp" (retention), "dt" (delete team); chat-member and
service-message updates; the fallback for unknown commands.
"""
