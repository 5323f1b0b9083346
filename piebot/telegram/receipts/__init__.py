"""Quiet receipts: an answer replied in the group gets the bot's reaction on the reply (no new message
in the group) and a short private note to its author with buttons: mark it about relationships, give it
new words, remove it. A facilitator reaches the same buttons for every item of the round with /items.

    named reply in the group ─► ✍ on the reply ─► private note: what was kept, under which stage
        [🤝 About relationships] ◄──► [🤝 Not about relationships]   (joins or leaves the thread)
        [✏️ Edit] ─► ForceReply "the new words for…" ─► reply in private ─► Changed; the card refreshes
        [🗑 Remove] ─► Removed; the note loses its buttons; the card refreshes
    named review answer (a look back, not evidence) ─► ✍ and a note with [✏️ Edit] [🗑 Remove] only
    anonymous reply ─► ✍ and a note that carries none of it: [🗑 Remove] takes it back through the ballot
        box while the element is open (the rounds' "ev" button, as /withdraw does)
    /items (facilitator, group) ─► the round's items in private, numbered, each with the buttons above;
        an anonymous round's: those the ballot box let in, no names, [🤝 About relationships] alone
    who may press: the item's author or a facilitator; edit and remove refused once the results have
        left the team (a report, a peer review, a network overview)

Modules: buttons (the note's buttons, the "new words" replies, /items, and register).
The rows are in piebot.storage.receipts; the note is queued with the answer by rounds.answers.

Handlers registered (buttons.register): command /items; buttons "rc" (mark "rel" / unmark "unrel",
"edit", remove "del"); private replies giving an item new words.
"""
