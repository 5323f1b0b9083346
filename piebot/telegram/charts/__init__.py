"""Charts, reports and exports for a team.

    /chart (any member, group) ─► menu ─► profile · spread · trend · distance · actions (photo + caption)
    round closed / check-in closed ─► charts posted to the group (on_round_closed, on_checkin_closed)
    /report, /export (admins, facilitator) ─► PDF / CSV files in the requester's private chat

Modules: commands (/chart and its buttons), pictures (drawing and posting charts, the after-closing
hooks), files (/report and /export). Handlers registered (commands.register): commands /chart /report
/export; buttons "ch" (chart menu), "rp" (report of a round).
"""
