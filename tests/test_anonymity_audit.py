"""The database as whoever holds a copy of it reads it: after an anonymous live round, an anonymous round in
people's own time, an anonymous review of the live round's element, and an anonymous check-in (written
answers and a support press too), driven through the
real bot, an audit in SQL over the catalog finds nothing that links a person to an anonymous answer. In the
live round the facilitator marks one of its items about relationships from /items before it closes.

The audit finds every table and column through information_schema (PostgreSQL) or sqlite_master, not
through the models, so a table added later is audited too. Checked: on PostgreSQL, no transaction id
(`xmin`) is shared by an anonymous answer row and any row naming a person (a member reference, a Telegram
user id, or a chat id of a private chat, which are positive); the order of anonymous rows by key, by
physical position (`ctid` / rowid) and by every timestamp does not reproduce the order of answering; no
timestamp on them is finer than their round's or check-in's opening; after the close, no prompt, walk
place, sealed ballot or owner key is left to link anyone to them.
"""

from __future__ import annotations

import itertools
import json
import logging
import math

import pytest
from sqlalchemy import text

from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.telegram.delivery import ratelimit
from piebot.telegram.rounds import walk
from tests.checkin_helpers import posts, save_rule, summaries, use_hand_clock, utc, weekly
from tests.conftest import Harness
from tests.rounds_helpers import agree_middle, next_stage, rate, reveal, start_round, summary_after, tap, wait_card
from tests.walk_helpers import answer, finish_with_skips, open_async
from tests.walk_helpers import rate as walk_rate

PEOPLE = 9
# Distinct places, rising in the order people answer, so the order of answering is in the values.
PLACES = [(1, 1), (1, 3), (1, 5), (2, 2), (2, 4), (3, 1), (3, 3), (3, 5), (4, 2)]
TUESDAY_SLOT = utc(2026, 5, 5, 13)


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


# ---------------------------------------------------------------- the three anonymous scenes


async def live_round(api, team) -> None:
    group, ada = team.group, team.admin
    card = await start_round(api, team, anonymous=True)
    for user, (level, position) in zip(team.everyone, PLACES, strict=True):
        await rate(api, user, card, level, position)
    await wait_card(api, card, f"{PEOPLE} of ")
    await reveal(api, ada, card)
    await agree_middle(api, ada, card)
    await next_stage(api, ada, group, card, "Evidence")
    for i, user in enumerate(team.everyone):
        before = len(api.chat_log(user))
        await api.send(user, user, f"live evidence {i:02}")
        await api.wait_for(lambda user=user, before=before: len(api.chat_log(user)) > before)
    await wait_card(api, card, f"Evidence: {PEOPLE}")
    await api.wait_idle()
    # The facilitator marks one of the items that have gone in as about relationships, from /items.
    before = len(api.chat_log(ada))
    await say(api, ada, group, "/items")
    await api.wait_for(lambda: any("The round's items" in m.text for m in api.chat_log(ada)[before:]))
    listed = next(m for m in api.chat_log(ada)[before:] if "The round's items" in m.text)
    marked = await press(api, ada, listed, "About relationships 1")
    assert "relationships thread" in marked["text"]
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    summary = await summary_after(api, group, before)
    assert "Relationships thread: 1 item" in summary.text


async def review_round(api, team) -> None:
    """The same element again, anonymous: it opens with the review, and everyone answers it in private."""
    group, ada = team.group, team.admin
    card = await start_round(api, team, anonymous=True, opens="Looking back")
    for i, user in enumerate(team.everyone):
        before = len(api.chat_log(user))
        await api.send(user, user, f"review evidence {i:02}")
        await api.wait_for(lambda user=user, before=before: len(api.chat_log(user)) > before)
    await wait_card(api, card, f"Review: {PEOPLE}")
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    await summary_after(api, group, before)


async def own_time_round(api, harness, team, hand) -> int:
    round_id = open_async(harness, team.group, elements=("training",), anonymous=True, now=hand())
    await walk.open_async_round(harness.bot.app, round_id)
    await api.wait_idle()
    for i, (user, (level, position)) in enumerate(zip(team.everyone, PLACES, strict=True)):
        await walk_rate(api, user, level, position)
        await answer(api, user, f"own time evidence {i:02}")
        await finish_with_skips(api, user)
    await walk.close_async_round(harness.bot.app, round_id)
    await api.wait_idle()
    return round_id


async def checkin(api, harness, team, hand) -> None:
    save_rule(harness.db, weekly(1, "14:00"), hand(), anonymous=True)
    hand.set(TUESDAY_SLOT)
    await scheduling.tick(harness.bot.app, TUESDAY_SLOT)
    post = posts(api, team.group)[-1]
    levels = ["Just starting", "Getting there", "Well on the way", "Embedded"]
    for i, user in enumerate(team.everyone):
        await press(api, user, post, levels[i * len(levels) // PEOPLE])  # in rising order, as everywhere
        await press(api, user, post, "What helped")
        await api.wait_for(lambda user=user: api.last(user).force_reply)
        await say(api, user, user, f"check-in answer {i:02}", reply_to=api.last(user))
    for user in team.everyone[:4]:
        await press(api, user, post, "I'd like some support")
    hand.set(utc(2026, 5, 6, 13))
    await scheduling.tick(harness.bot.app, hand())
    await api.wait_for(lambda: summaries(api, team.group))


async def play_all_three(api, harness, monkeypatch):
    team = await add_bot_and_set_up(api, members=PEOPLE - 1)
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    await live_round(api, team)
    await review_round(api, team)
    await own_time_round(api, harness, team, hand)
    await checkin(api, harness, team, hand)
    await api.wait_idle()
    return team


def logs_name_nobody(caplog, team) -> None:
    """At DEBUG, the ballot box's paths (sealing, batches, the close) log no words, names or ids."""
    assert len(caplog.records) > 50
    ids = {str(u.id) for u in team.everyone}
    names = {u.first_name for u in team.everyone}
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        assert "evidence 0" not in line and "check-in answer" not in line, line
        assert not any(i in line for i in ids), line
        assert not any(f" {n} " in f" {line} " for n in names), line


# ---------------------------------------------------------------- the audit, on the catalog alone

PERSON_COLUMNS = ("member_id", "telegram_user_id", "user_id", "chat_id")


def _catalog(conn, postgres: bool) -> dict[str, list[str]]:
    if postgres:
        rows = conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position")).all()
    else:
        rows = []
        for (table,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).all():
            rows += [(table, c[1]) for c in conn.execute(text(f'PRAGMA table_info("{table}")')).all()]
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    return found


def _names_a_person(column: str) -> bool:
    return column.endswith(PERSON_COLUMNS)


def _anonymous_scopes(conn) -> dict[str, dict[int, object]]:
    """round / checkin id -> opening time, for the anonymous ones (the domain's words, read in SQL)."""
    return {
        "round_id": dict(conn.execute(text("SELECT id, opened_at FROM round WHERE anonymous")).all()),
        "checkin_id": dict(conn.execute(text("SELECT id, opened_at FROM checkin WHERE anonymous")).all()),
    }


def _answer_tables(catalog) -> list[str]:
    # Rows that hold answers: whatever table carries a member reference beside a round or check-in.
    return [t for t, cols in catalog.items() if _author(cols) and ("round_id" in cols or "checkin_id" in cols)]


def _author(cols: list[str]) -> str | None:
    """The column that names whoever wrote the row: member_id, or author_member_id beside an owner's."""
    return "member_id" if "member_id" in cols else ("author_member_id" if "author_member_id" in cols else None)


def _kendall(order: list) -> float:
    """Kendall's tau of a sequence against its own sorted order, over the pairs that differ (ties, such
    as two people tapping the same level, say nothing about order)."""
    pairs = [(i, j) for i, j in itertools.combinations(range(len(order)), 2) if order[i] != order[j]]
    agree = sum(1 if order[i] < order[j] else -1 for i, j in pairs)
    return agree / len(pairs) if pairs else 0.0


def audit(engine, *, postgres: bool) -> None:
    with engine.connect() as conn:
        catalog = _catalog(conn, postgres)
        scopes = _anonymous_scopes(conn)
        assert scopes["round_id"] and scopes["checkin_id"]
        answers = _answer_tables(catalog)
        assert {"rating", "evidence", "action"} <= set(answers)
        position = "ctid" if postgres else "rowid"
        anonymous_xmins: set[int] = set()
        taus: list[float] = []
        for table in answers:
            cols = catalog[table]
            times = [c for c in cols if c.endswith("_at")]
            for column, ref, opened in [(k, i, at) for k, v in scopes.items() for i, at in v.items()]:
                if column not in cols:
                    continue
                extra = ", xmin::text::bigint" if postgres else ""
                rows = conn.execute(text(
                    f'SELECT id, {position} AS place, {", ".join(times)}{extra}, * FROM "{table}" '
                    f"WHERE {column} = :ref AND {_author(cols)} IS NULL"), {"ref": ref}).mappings().all()
                for row in rows:
                    # No time finer than the scope's opening: every timestamp is the opening itself.
                    for name in times:
                        if row[name] is not None and name != "done_at":
                            assert str(row[name])[:19] == str(opened)[:19], (table, name)
                    assert row["id"] < 0  # a random key, never from the named rows' sequence
                    assert row.get("owner_key") is None  # nobody, the bot included, can find whose it is
                    if postgres:
                        anonymous_xmins.add(row["xmin"])
                taus += _order_is_not_the_answering_order(table, rows)
        # Across every question, key and position, the orders lean no more towards the answering order
        # (or its reverse) than chance. For a random order of nine, tau is 0 +- 0.27; the mean of n of
        # them passes 4.5 of its spreads (0.27 / sqrt(n)) about once in 100,000 runs. Batches let in
        # unshuffled under rising keys lean 0.39-0.59 here, past that bound on either database.
        spread = 0.27 / math.sqrt(len(taus)) if taus else 0.0
        assert taus and abs(sum(taus) / len(taus)) < 4.5 * spread, taus
        # Nothing waits sealed in a closed round or check-in (support presses wait for two more people's:
        # four pressed, three are counted), and no helper row points at an anonymous scope.
        assert conn.execute(text("SELECT count(*) FROM sealedballot WHERE scope NOT LIKE 'support:%'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM sealedballot WHERE scope LIKE 'support:%'")).scalar() == 1
        assert conn.execute(text("SELECT support_requests FROM team")).scalar() == 3
        for column, ids in scopes.items():
            for ref in ids:
                assert conn.execute(text(f"SELECT count(*) FROM prompt WHERE {column} = :r"), {"r": ref}).scalar() == 0
        closed_rounds = {str(i) for i in scopes["round_id"]}
        for (state,) in conn.execute(text("SELECT state FROM dialog")).all():
            state = json.loads(state) if isinstance(state, str) else state
            places = ((state or {}).get("walk") or {}).get("rounds") or {}
            assert not closed_rounds & set(places), state
        if postgres:
            _no_shared_transaction(conn, catalog, answers, anonymous_xmins)


def _order_is_not_the_answering_order(table: str, rows) -> list[float]:
    """The rows of a question were answered in rising order of value (ratings) or of text (answers):
    no order the database keeps (key, position) may reproduce it. Returns the taus measured."""
    taus = []
    by_question: dict[tuple, list] = {}
    for row in rows:
        if table == "rating":
            by_question.setdefault((row["element_id"],), []).append(row)
        elif table == "evidence":
            by_question.setdefault((row["element_id"], row["stage"]), []).append(row)
    for question, found in by_question.items():
        if len(found) < PEOPLE:
            continue

        def answered(r):
            return r["value"] if table == "rating" else r["text"]

        seen = []
        for key in ("id", "place"):
            if key == "place" and isinstance(found[0][key], str):  # ctid "(page,item)"
                in_place = sorted(found, key=lambda r: tuple(int(x) for x in r[key].strip("()").split(",")))
            else:
                in_place = sorted(found, key=lambda r: r[key])
            if in_place in seen:
                continue  # SQLite's rowid is the key itself: the same order, counted once
            seen.append(in_place)
            tau = _kendall([answered(r) for r in in_place])
            # The answering order itself, or its reverse, by chance: 2 in 362,880 orders of nine.
            assert abs(tau) < 0.95, (table, question, key, [answered(r) for r in in_place])
            taus.append(tau)
    return taus


def _no_shared_transaction(conn, catalog, answers, anonymous_xmins: set[int]) -> None:
    assert anonymous_xmins
    naming: set[int] = set()
    for table, cols in catalog.items():
        for column in cols:
            if not _names_a_person(column):
                continue
            # Chat ids of groups are negative; a positive one is a person's private chat.
            positive = " AND {c} > 0".format(c=f'"{column}"') if column.endswith("chat_id") else ""
            # An anonymous answer row is not "a row naming a person" because an action's owner is named.
            anonymous_row = f" AND {_author(cols)} IS NOT NULL" if table in answers else ""
            found = conn.execute(text(
                f'SELECT DISTINCT xmin::text::bigint FROM "{table}" WHERE "{column}" IS NOT NULL{positive}'
                f"{anonymous_row}")).scalars().all()
            naming |= set(found)
    assert not anonymous_xmins & naming


# ---------------------------------------------------------------- the tests


async def test_a_copy_of_the_postgresql_database_links_nobody_to_an_anonymous_answer(
        api, postgres_url, monkeypatch, roomy_group_limit):
    harness = Harness(api=api, database_url=postgres_url)
    await harness.start()
    try:
        await play_all_three(api, harness, monkeypatch)
        audit(harness.db.engine, postgres=True)
    finally:
        await harness.stop()


async def test_a_copy_of_the_sqlite_database_links_nobody_to_an_anonymous_answer(
        api, sqlite_url, monkeypatch, roomy_group_limit, caplog):
    caplog.set_level(logging.DEBUG)
    harness = Harness(api=api, database_url=sqlite_url)
    await harness.start()
    try:
        team = await play_all_three(api, harness, monkeypatch)
        audit(harness.db.engine, postgres=False)
        logs_name_nobody(caplog, team)
    finally:
        await harness.stop()
