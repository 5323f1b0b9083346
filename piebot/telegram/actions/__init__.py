"""Actions followed to done: who does what by when, until it is done, kept on with a new date, or dropped.

    agreed in a round or a check-in ─► open
    open / still on ──Done ✅──────────────────────► done (its date kept) ──↩️ Undo──► open
                    ──Still on─► [in a week · in two weeks · in a month · another date… (reply)]
                                                    ─► still on, with the new date
                    ──Drop it──► "why?" (reply) ──► dropped, with the reason
    every change ─► the history (what, when, by whom)

    where the buttons are                  who may press them
    private reminder (before the date,     the owner
      on the day, the day after it)
    /actions in private (my own)           the owner
    /actions in the group (overdue first)  the owner, the facilitator, a group admin
    another feature's card (origin "e")    as in its chat; the card is left alone and
                                           its on_action_changed hook is told

Modules: commands (/actions, the presses, the replies with a date or a reason, and register), views (the
lists, the card, the one-tap dates and the button data), reminders (the private reminder the scheduler
sends). Rows and rules: piebot.storage.actions, conversations.actions.

Handlers registered (commands.register): command /actions; buttons "ac" (``v1:ac:<action>:<verb>.<origin>``);
replies to the new-date and reason prompts.
"""
