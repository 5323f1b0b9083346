"""Peer review, the last Pizazz stage: a trusted colleague from another team reads the round, without
anyone's name, and sends comments back to the team.

    facilitator: /peerreview (group) ─► link to the private chat ─► one-time code (only its hash is kept)
    reviewer: /review CODE or the link (private) ─► the round, names left out ─► comments (reply)
    group ◄─ the reviewer's comments

Module: commands. Handlers registered: commands /peerreview /review; deep link "p" (the
facilitator fetches a code); replies with comments.
"""
