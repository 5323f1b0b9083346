"""Organisations and local networks: a lead looks across member teams without shaming any of them.

    lead: /network new NAME (private) ─► network card ─► invitation (single-use, signed)
    team admin: /acceptnetwork CODE (group) ─► join by name or anonymously ─► sharing toggles
    lead: /network ─► overview (charts and a PDF) of the teams' latest views, canonical elements only
    team admin: /networks (what we share) · /leavenetwork

Module: commands. Handlers registered: commands /network /acceptnetwork /networks /leavenetwork;
buttons "nw" (lead's card), "nwa" (accepting), "nws" (sharing), "nwl" (leaving).
"""
