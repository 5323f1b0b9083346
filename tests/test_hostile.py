"""Hostile input: forged buttons, admin actions by non-admins, anonymous admins, markup in names, floods."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text as sql
from sqlmodel import SQLModel
from telegram.ext import CallbackQueryHandler

from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage.db import session_scope
from piebot.storage.models import CheckIn, Member, Round, RoundElement, Schedule, Team, utcnow
from piebot.telegram import gatekeeper

# Rows of a team that lives elsewhere, with ids far from anything the test team gets.
OTHER = {"team": 500, "member": 600, "round": 700, "checkin": 800, "schedule": 900, "user": 777_000_001}


def snapshot(db) -> dict[str, list]:
    """Every row of every table but the processed-update log, to show a refusal changed nothing."""
    rows = {}
    with db.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "processedupdate":
                continue
            rows[table.name] = sorted(map(repr, s.execute(table.select()).all()))
    return rows


def store_other_team(db) -> None:
    with session_scope(db) as s:
        s.add(Team(id=OTHER["team"], chat_id=-4_999_999_999, name="Elsewhere", set_up=True))
        s.flush()
        s.add(Member(id=OTHER["member"], team_id=OTHER["team"], telegram_user_id=OTHER["user"], display_name="Zoe",
                     facilitator=True, private_chat=True))
        s.flush()
        s.add(Round(id=OTHER["round"], team_id=OTHER["team"], element_ids=["empathy"], scope="element",
                    scope_ref="empathy", mode="live", opened_by_member_id=OTHER["member"]))
        s.flush()
        s.add(RoundElement(round_id=OTHER["round"], element_id="empathy", phase="rating"))
        s.add(Schedule(id=OTHER["schedule"], team_id=OTHER["team"]))
        s.flush()
        s.add(CheckIn(id=OTHER["checkin"], team_id=OTHER["team"], schedule_id=OTHER["schedule"],
                      closes_at=utcnow() + timedelta(days=1)))


def button_kinds(app) -> set[str]:
    kinds = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                found = re.match(r"\^v1:(?:\\:)?([a-z]{1,4})", handler.pattern.pattern)
                if found:
                    kinds.add(found.group(1))
    return kinds


def _seen(api, chats) -> set[str]:
    """The arguments the bot really put on buttons, so forgeries look like the real thing."""
    args = set()
    for chat in chats:
        for message in api.chat_log(chat):
            for row in message.buttons:
                for _, data in row:
                    if data and data.startswith("v1:"):
                        args.add(data.split(":", 3)[3])
    return args


async def press_all(api, presses, chunk: int = 40) -> list[tuple[str, dict | None]]:
    """Press (user, message, data) forged, in chunks so every press is answered in Telegram's time."""
    results = []
    for start in range(0, len(presses), chunk):
        batch = presses[start:start + chunk]
        ids = [await api.press(user, message, data, forged=True) for user, message, data in batch]
        try:
            await api.wait_for(lambda ids=ids: all(api.answer_to(q) is not None for q in ids), timeout=15)
        except AssertionError:
            pass  # the unanswered ones are reported below
        results.extend((data, api.answer_to(q)) for (_, _, data), q in zip(batch, ids, strict=True))
    return results


def _kinds_registered() -> list[str]:
    from piebot.storage.db import Database
    from piebot.telegram.app import build_application
    from tests.conftest import make_settings

    return sorted(button_kinds(build_application(make_settings(None, "sqlite://"), Database("sqlite://"))))


KINDS = _kinds_registered()
# Where another feature's code still needs hardening; strict, so a fix turns these into passes to un-mark.
KNOWN_GAPS: dict[str, str] = {}
GENERIC_ARGS = ("", "y", "0", "12", "go", "f.pies2")
MALFORMED = ["", "v1", "v1:su", "v1:su:1", "v2:su:1:n.chat", "v1:su:-1:n.chat", "v1:zz:1:a", "v1:su:1:é",
             "v1:SU:1:n.chat", "v1:su:1:" + "x" * 40, "v1:dt:1:y;drop table team", "v1:fm:00000000000001:y"]


async def _forgery_scene(api, harness):
    """Two teams' worth of rows, a member, a stranger in the group, and real keyboards to imitate."""
    harness.bot.app.bot_data[gatekeeper.PRESSES] = gatekeeper.FloodLimit(count=1_000_000)
    store_other_team(harness.db)
    team = await add_bot_and_set_up(api, members=1)
    ada, bea = team.admin, team.members[0]
    stranger = api.create_user("Sid")
    api.add_member(team.group, stranger)
    await say(api, ada, team.group, "/retention")
    await say(api, ada, team.group, "/deleteteam")
    await say(api, bea, bea, "/forgetme")
    group_message = await say(api, ada, team.group, "/help")
    private_message = await say(api, ada, ada, "/help")
    await api.wait_idle()
    return team, stranger, group_message, private_message


def _verdict(results, before, after) -> list[str]:
    problems = []
    unanswered = [data for data, answer in results if answer is None]
    if unanswered:
        problems.append(f"never answered: {unanswered[:6]}")
    silent = [data for data, answer in results if answer is not None
              and not (answer.get("show_alert") or answer.get("text"))]
    if silent:
        problems.append(f"answered without a word: {silent[:6]}")
    changed = sorted(name for name in before if before[name] != after[name])
    if changed:
        problems.append(f"changed tables: {changed}")
    return problems


@pytest.mark.parametrize("kind", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[k])) if k in KNOWN_GAPS else k
    for k in KINDS
])
async def test_forged_presses_of_each_button_kind_are_refused_and_change_nothing(api, harness, kind):
    team, stranger, group_message, private_message = await _forgery_scene(api, harness)
    ada, bea = team.admin, team.members[0]
    args = sorted(GENERIC_ARGS + tuple(a for a in _seen(api, [team.group, bea]) if a)[:6])
    before = snapshot(harness.db)
    presses = []
    # The group's own admin, pressing buttons that point at another team's things, in the group and
    # in private.
    for ref in (OTHER["team"], OTHER["round"], OTHER["checkin"], OTHER["member"], OTHER["user"]):
        for arg in args:
            presses.append((ada, group_message, f"v1:{kind}:{ref}:{arg}"))
        for arg in args[:3]:
            presses.append((ada, private_message, f"v1:{kind}:{ref}:{arg}"))
    # Someone in the group who never joined, pressing this team's own ids.
    for ref in (1, 2, bea.id):
        for arg in args:
            presses.append((stranger, group_message, f"v1:{kind}:{ref}:{arg}"))
    results = await press_all(api, presses)
    await api.wait_idle(timeout=20)
    problems = _verdict(results, before, snapshot(harness.db))
    assert not problems, f"kind {kind!r}: " + "; ".join(problems)
    assert api.server_errors == []


async def test_malformed_button_data_is_refused_and_changes_nothing(api, harness):
    team, stranger, group_message, private_message = await _forgery_scene(api, harness)
    before = snapshot(harness.db)
    presses = [(who, where, data) for data in MALFORMED
               for who, where in ((team.admin, group_message), (team.admin, private_message), (stranger, group_message))]
    results = await press_all(api, presses)
    await api.wait_idle(timeout=20)
    problems = _verdict(results, before, snapshot(harness.db))
    assert not problems, "; ".join(problems)
    assert {"su", "fm", "kp", "dt"} <= set(KINDS)


async def test_admin_actions_by_a_member_are_refused_and_change_nothing(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    bea = team.members[0]
    before = snapshot(harness.db)
    for command in ("/setup", "/retention 30", "/retention", "/deleteteam"):
        answer = await say(api, bea, team.group, command)
        assert "admin" in answer.text, (command, answer.text)
    await api.wait_idle()
    assert snapshot(harness.db) == before


async def test_an_anonymous_admin_can_run_setup_and_admin_commands(api, harness):
    group = api.create_group("Cedar Lodge", kind="supergroup")
    admin = api.create_user("Ana")
    api.add_member(group, admin, status="administrator", is_anonymous=True)
    await api.add_bot(group, by=admin)
    await bot_reply(api, group, 0)
    card = await say(api, admin, group, "/setup")
    assert "1 of 4" in card.text
    # Buttons are pressed as the person, whom Telegram's admin list knows.
    await press(api, admin, card, "Use")
    await api.wait_for(lambda: "2 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "All 15")
    await api.wait_for(lambda: "3 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "Europe/London")
    await api.wait_for(lambda: "4 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "No, just")
    await api.wait_for(lambda: "is set up" in api.last(group).text)
    assert "90 days" in (await say(api, admin, group, "/retention 90")).text
    with harness.db.session() as s:
        row = s.execute(sql("select set_up, retention_days from team")).one()
        assert (bool(row[0]), row[1]) == (True, 90)


HOSTILE = "<b>&<script>alert(1)</script> &amp; <i"


async def test_markup_in_names_and_texts_never_breaks_a_message(api, harness):
    group = api.create_group(HOSTILE + " house")
    admin = api.create_user(HOSTILE, last_name="</b>")
    api.add_member(group, admin, status="creator")
    members = [api.create_user(f"{HOSTILE}{i}") for i in range(2)]
    for user in members:
        api.add_member(group, user)
    await api.add_bot(group, by=admin)
    await bot_reply(api, group, 0)
    card = await say(api, admin, group, "/setup")
    await press(api, admin, card, "Use")
    await api.wait_for(lambda: "2 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "Coffee")
    await api.wait_for(lambda: "3 of 4" in api.last(group).text)
    zones = api.last(group)
    await press(api, admin, zones, "Another")
    await api.wait_for(lambda: api.last(group).force_reply)
    refused = await say(api, admin, group, HOSTILE, reply_to=api.last(group))
    assert "time zone" in refused.text
    await press(api, admin, zones, "Europe/London")
    await api.wait_for(lambda: "4 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "Relationships")
    await api.wait_for(lambda: "is set up" in api.last(group).text)
    for user in [admin, *members]:
        reply = await say(api, user, group, "/join")
        assert HOSTILE in reply.text
        url = next(b["url"] for row in reply.reply_markup["inline_keyboard"] for b in row if "url" in b)
        await api.start_private(user, payload=url.split("start=")[1])
        await api.wait_idle()
    for command in ("/help", "/status", "/retention", "/deleteteam", f"/x{HOSTILE}", "/chart", "/schedule"):
        await api.send(admin, group, command)
        await api.wait_idle()
    for command in ("/mydata", "/forgetme", "/help", HOSTILE):
        await api.send(members[0], members[0], command)
        await api.wait_idle()
    broken = [(c.method, c.description) for c in api.calls if c.status == 400]
    assert broken == []
    assert api.server_errors == []
    assert any(HOSTILE + " house" in m.text for m in api.chat_log(group))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_command_flood_gets_one_slow_down_then_silence(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    clock = Clock()
    harness.bot.app.bot_data[gatekeeper.COMMANDS] = gatekeeper.FloodLimit(count=10, seconds=10, clock=clock)
    bea, cal = team.members
    before = len(api.chat_log(team.group))
    for _ in range(25):
        await api.send(bea, team.group, "/help")
    await api.wait_idle(timeout=20)
    said = [m.text for m in api.chat_log(team.group)[before:]]
    assert sum("slow" in t.lower() or "a lot of commands" in t for t in said) == 1
    assert len(said) == 11
    # Others are not held up, and Bea is heard again once her window has passed.
    assert "/assess" in (await say(api, cal, team.group, "/help")).text
    clock.now += 11
    assert "/assess" in (await say(api, bea, team.group, "/help")).text


async def test_floods_of_presses_are_answered_but_go_no_further(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    clock = Clock()
    harness.bot.app.bot_data[gatekeeper.PRESSES] = gatekeeper.FloodLimit(count=3, seconds=10, clock=clock)
    card = await say(api, team.admin, team.group, "/retention")
    ids = [await api.press(team.admin, card, card.button("90")) for _ in range(6)]
    await api.wait_for(lambda: all(api.answer_to(q) is not None for q in ids))
    # One kind "slow down", then quiet answers: every press stops spinning, none goes further.
    slowed = [api.answer_to(q) for q in ids if "Slow down" in (api.answer_to(q).get("text") or "")]
    assert len(slowed) == 1
    assert [bool(api.answer_to(q).get("text")) for q in ids[4:]] == [False, False]


async def test_an_anonymous_admin_can_type_the_team_name(api, harness):
    group = api.create_group("Cedar Lodge", kind="supergroup")
    admin = api.create_user("Ana")
    api.add_member(group, admin, status="administrator", is_anonymous=True)
    await api.add_bot(group, by=admin)
    await bot_reply(api, group, 0)
    card = await say(api, admin, group, "/setup")
    await press(api, admin, card, "Type another")
    await api.wait_for(lambda: api.last(group).force_reply)
    answer = await say(api, admin, group, "Cedar Night Team", reply_to=api.last(group))
    assert "2 of 4" in answer.text
