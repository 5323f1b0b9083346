"""Several workers share a live card's edit pacing: two processes' card editors, each refreshing the same
card as presses reach it, edit it no faster together than one would alone, and the last press shows."""

from __future__ import annotations

import asyncio

from bench.common import seed_live_rounds
from piebot.storage import live as live_rows
from piebot.storage.db import Database, session_scope
from piebot.telegram.app import build_application
from piebot.telegram.rounds.card import CardEditor
from tests.conftest import make_settings

INTERVAL = 1.0


async def test_two_workers_edit_one_card_no_faster_than_one_would(api, postgres_url):
    [(group, people, _)] = seed_live_rounds(api, postgres_url, groups=1, per_group=6)
    db = Database(postgres_url)
    workers = [build_application(make_settings(api, postgres_url), db) for _ in range(2)]
    try:
        for app in workers:
            await app.initialize()
        [card] = await workers[0].bot_data["runtime"].read(live_rows.cards_to_post)
        posted = await workers[0].bot.send_message(group.id, "the card")
        with session_scope(db) as s:
            live_rows.keep_card_message(s, card.card_id, posted.message_id)
        editors = [CardEditor(interval=INTERVAL) for _ in workers]
        # Six presses, a third of a second apart, reaching the two workers in turn.
        for n, user in enumerate(people):
            with session_scope(db) as s:
                live_rows.place_bead(s, card.card_id, group.id, user.id, "P2.3")
            app, editor = workers[n % 2], editors[n % 2]
            await editor.refresh(app, card.card_id)
            await asyncio.sleep(INTERVAL / 3)
        for editor in editors:
            await editor.settle()
        edits = sorted(c.at for c in api.calls
                       if c.method == "editMessageText" and int(c.params["message_id"]) == posted.message_id)
        assert len(edits) >= 2
        assert all(b - a >= INTERVAL - 0.05 for a, b in zip(edits, edits[1:], strict=False)), edits
        assert "6 of 6 have rated" in api.last(group).text
    finally:
        for app in workers:
            await app.shutdown()
        db.dispose()
