"""Charts, reports and exports for a team.

    /chart (any member, group) ─► menu ─► profile · spread · trend · distance · actions
                                          (photo + a line or two + "In words" ─► its figures, privately)
    round closed ─► one album of charts under the summary (on_round_closed)
    check-in closed ─► at most one picture, its trend, under the summary (on_checkin_closed)
    /report, /export (admins, facilitator) ─► PDF / CSV files in the requester's private chat

Modules: commands (/chart and its buttons), pictures (drawing and posting charts, the after-closing
hooks), details (a chart's figures in words), files (/report and /export). Handlers registered
(commands.register): commands /chart /report /export; buttons "ch" (chart menu), "cd" (a chart's
figures in words), "rp" (report of a round).
"""
