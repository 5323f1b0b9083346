"""Quiet receipts: an answer replied in the group gets the bot's reaction on the reply (no new message
in the group) and a short private note to its author with buttons: mark it about relationships, give it
new words, remove it. A facilitator reaches the same buttons for every item of the round with /items.

Modules: buttons (the note's buttons, the "new words" replies, /items, and register).
"""
