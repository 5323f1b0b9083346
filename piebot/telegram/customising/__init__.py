"""Customising the team's framework in the chat, without a YAML file: an admin's draft, seen before it is saved.

    /customise (admin, group) ─► menu ─┬─ 🏷 Level names ─► [Rename n] ─► reply: name (and what it means)
                                       │                    [Back to the usual names]
                                       ├─ 👁 Hide or show ─► [✓ element] / [🚫 element] toggles
                                       ├─ ➕ Write in a theme ─► name: [Relationships (ready-made)] or typed
                                       │      ─► one line about it: [Use: suggested] or typed
                                       │      ─► elements: [Just one: the theme's name] or typed
                                       │           ─► questions: [Use the usual] or typed (2 to 4)
                                       │      ─► [➕ Another element] [✓ Add the theme] [✗ Drop it]
                                       ├─ 🔎 See it, then save ─► preview ─► [Save ✓] (written to the team)
                                       └─ Cancel (nothing changes)

Every change goes through conversations.customising and framework.Customisation: one that can't be used
gets a kind message and leaves the draft as it was. The draft lives in the admin's Dialog row
(piebot.storage.customising), so it survives a restart and other admins' presses can't change it.
Renamed labels reach every card, summary, chart, report and spreadsheet because they all read the
team's framework; written-in elements stay marked as the team's own, out of network comparisons.

Modules: cards (each screen's words and buttons), commands (the command, presses and typed replies).
Handlers registered (commands.register): command /customise; buttons "cu" (ref = team id); replies to
its prompts.
"""
