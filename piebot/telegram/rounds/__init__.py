"""Pizazz rounds: a team takes elements of the framework through the stages, live in the group or
each person in their own time in a private chat.

    /assess ─► wizard (scope · live/own time · named/anonymous · order) ─► round opens
    live:     card per element:  rating ──Share──► revealed ──team view──► stages ──► closed ─► next card
                                  (members tap the grid;   (facilitator)   (ForceReply questions:
                                   "undo" takes a bead back)                evidence, hinders, helps, actions)
    own time: status message in the group; each person's walk in private:
              rate ─► evidence ─► hinders ─► helps ─► action idea ─► next element … ─► done
              deadline or /close ─► team-view cards for the facilitator
    either ─► summary in the group (distance travelled, actions, review date) ─► on_round_closed hooks
    review reminder ─► [🔁 Start the review round] (facilitator or admin) ─► a live round on the elements
              looked at last time or with actions open; each opens with the review, then the rating

Modules: assess (the wizard, /facilitator, /status, /next /back /skip /pause /resume /close, /withdraw,
and register), card (the live card and its editor), live (presses on the card), answers (replies to the
stage questions and private messages), teamview (team views after an own-time round), summary (the
end of a round), review (the review reminder's button, which opens the review round). The own-time
round: walk (what people do in their walk, and register), walk_steps (what they see of it), walk_status
(the group's status message), walk_rounds (opening, closing, deadlines and nudges), walk_teamviews (the
team views after it), walk_messages (what they share).

Handlers registered (assess.register and walk.register): commands /assess /facilitator /status
/withdraw /next /back /skip /pause /resume /close; buttons "as" (wizard), "fa" (facilitator), "rt"
(rating), "lvn" (a level's name in a grid), "fc" (facilitator's moves), "tv" (team view), "ev" (withdraw an
answer), "rv" (review date), "rvo" (the review reminder's button), "wk" (walk), "wv" (team views after a
walk); replies to stage questions; private messages of a walk.
"""
