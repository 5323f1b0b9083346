"""Check-ins on responsiveness and the team's rhythm: scheduled pulses, reminders and /schedule.

    schedule slot ─► check-in posted in the group: a button per level (a tap names the level only),
                     the questions, "I'd like some support", "Answer privately", "Close now"
                 ─► nudges in private for those who have not answered (quiet hours respected); the private
                     card goes on from a level to a place in it
                 ─► window closes, or a facilitator presses "Close now" (once, whoever is first)
                 ─► summary (levels counted as levels, places as places) and the trend chart in the group
    written answers: ForceReply in the group, or privately when the check-in is anonymous
    "I'd like some support" ─► private reply: team contacts, the country's listening line and emergency
                     numbers ─► [Let the facilitator know] [No thanks]
    /schedule (admin) ─► day ─► time ─► Save: a weekly check-in   (what quiet hours will do, said first)
                     └─ "More options" ─► wizard (how often · day · time · window · quiet hours · element ·
                        named or anonymous · review date · reminders) ─► Save checks the whole rule
    reminders: reassess a week before and on the review date; actions before they fall due

Modules: answers (presses, written answers, /away, the scheduler's start and stop), closing ("Close now"),
posts (check-in messages as Bot API calls, used by piebot.scheduling), schedule (/schedule and its
wizard's presses and typed replies), wizard (the wizard's draft and cards), support (the support
button's reply and choice, /support).
Their rows are in piebot.storage: checkins (answers, support), schedules (rules, slots, firings),
closings (summaries, closing early), reminders (nudges, review and action reminders, /away).

Handlers registered (answers.register): commands /away /schedule /support; buttons "ci" (check-in),
"sc" (schedule wizard), "sp" (the support choice); replies to check-in questions, to the wizard's
prompts and to the support-contacts prompt.
"""
