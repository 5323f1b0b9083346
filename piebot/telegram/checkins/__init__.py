"""Check-ins on responsiveness and the team's rhythm: scheduled pulses, reminders and /schedule.

    schedule slot ─► check-in posted in the group (a bead per level, "I'd like some support")
                 ─► nudges in private for those who have not answered (quiet hours respected)
                 ─► window closes ─► summary (and the trend chart) in the group
    written answers: ForceReply in the group, or privately when the check-in is anonymous
    /schedule ─► wizard (what · how often · day · time · window · quiet hours) ─► Save checks the whole rule
    reminders: reassess a week before and on the review date; actions before they fall due

Modules: answers (presses, written answers, the support button, /away, the scheduler's start and stop),
posts (check-in messages as Bot API calls, used by piebot.scheduling), schedule (/schedule and its
wizard's presses and typed replies), wizard (the wizard's draft and cards), support (/support).
Their rows are in piebot.storage: checkins (answers, support), schedules (rules, slots, firings),
closings (summaries), reminders (nudges, review and action reminders, /away).

Handlers registered (answers.register): commands /away /schedule /support; buttons "ci" (check-in),
"sc" (schedule wizard); replies to check-in questions and to the support-contacts prompt.
"""
