"""A parallel round for the people a team serves, entered by a scribe in a private chat, in street
language (the pies2-street variant).

    admin/facilitator: /serviceusers (group) ─► signed link to the private chat
    scribe (private): pick an element ─► each person's view, one after another ─► done
    /serviceusers permission ─► shown beside the staff view only with the team's permission

Module: scribe. Handlers registered: command /serviceusers; buttons "sv" (team or element), "svr"
(a person's view, the flow of the round); deep link "v"; replies with words.
"""
