"""Organisations and local networks: a lead looks across member teams without shaming any of them.

    lead: /network new NAME (private) ─► network card ─► invitation (single-use, signed): a link and a code
    team admin: taps t.me/<bot>?startgroup=CODE ─► picks the group ─► /start CODE arrives there ─┐
                or /acceptnetwork CODE in the group ───────────────────────────────────────────┴─►
                a group admin confirms: join by name or anonymously ─► sharing toggles
    lead: /network ─► overview (charts and a PDF) of the teams' latest views, canonical elements only
    team admin: /networks (what we share) · /leavenetwork

Module: commands. Handlers registered: commands /network /acceptnetwork /networks /leavenetwork, and the
group /start of an invitation link (through people.onboarding's GROUP_DEEP_LINKS, letter "n");
buttons "nw" (lead's card), "nwa" (accepting), "nws" (sharing), "nwl" (leaving).
"""
