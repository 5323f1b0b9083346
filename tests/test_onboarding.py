"""Foundation, end to end: the real bot, polling the local Bot API server, as people in a group."""

from __future__ import annotations

from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say, start_payload
from piebot.storage.models import Member, Team
from piebot.telegram import links


async def test_greets_when_added_and_says_what_it_can_see(api, harness):
    group = api.create_group("Riverside day centre")
    admin = api.create_user("Ada")
    api.add_member(group, admin, status="creator")
    await api.add_bot(group, by=admin)
    greeting = await bot_reply(api, group, 0)
    assert "piebot" in greeting.text
    assert "privacy mode" in greeting.text
    assert "/setup" in greeting.text


async def test_commands_are_registered_per_scope(api, harness):
    def names(scope: str) -> set[str]:
        return {c["command"] for c in api.commands({"type": scope})}

    await api.wait_for(lambda: names("all_chat_administrators"))
    assert {"mydata", "forgetme", "help"} <= names("all_private_chats")
    assert {"join", "status"} <= names("all_group_chats") and "setup" not in names("all_group_chats")
    assert {"setup", "assess", "schedule"} <= names("all_chat_administrators")


async def test_non_admin_setup_is_refused_and_changes_nothing(api, harness):
    group = api.create_group("Hope House")
    admin, worker = api.create_user("Ada"), api.create_user("Bea")
    api.add_member(group, admin, status="creator")
    api.add_member(group, worker)
    await api.add_bot(group, by=admin)
    await bot_reply(api, group, 0)
    answer = await say(api, worker, group, "/setup")
    assert "Only a group admin" in answer.text
    with harness.db.session() as s:
        team = s.exec(select(Team)).one()
        assert team.set_up is False


async def test_admin_setup_by_buttons_then_three_members_join(api, harness):
    team = await add_bot_and_set_up(api, members=3, relationships=True)
    with harness.db.session() as s:
        row = s.exec(select(Team)).one()
        assert row.set_up and row.framework_variant == "pies2" and row.timezone == "Europe/London"
        assert any(t["name"] == "Relationships" for t in row.customisation["written_in_themes"])
        members = s.exec(select(Member).order_by(Member.id)).all()
        assert [m.display_name for m in members] == ["Ada", "Bea", "Cal", "Dee"]
        assert all(m.private_chat for m in members)
    done = [m for m in api.chat_log(team.group) if "is set up" in m.text][0]
    assert "Relationships" in done.text


async def test_a_non_admin_cannot_press_setup_buttons(api, harness):
    group = api.create_group("Hope House")
    admin, worker = api.create_user("Ada"), api.create_user("Bea")
    api.add_member(group, admin, status="administrator")
    api.add_member(group, worker)
    await api.add_bot(group, by=admin)
    await bot_reply(api, group, 0)
    card = await say(api, admin, group, "/setup")
    answer = await press(api, worker, card, "Use")
    assert "admin" in answer["text"]
    with harness.db.session() as s:
        assert s.exec(select(Team)).one().name == "Hope House"  # untouched (chat title)
    assert "2 of 4" not in api.last(group).text


async def test_typed_team_name_and_bad_timezone(api, harness):
    group = api.create_group("HH")
    admin = api.create_user("Ada")
    api.add_member(group, admin, status="creator")
    await api.add_bot(group, by=admin)
    await bot_reply(api, group, 0)
    card = await say(api, admin, group, "/setup")
    await press(api, admin, card, "Type another")
    await api.wait_for(lambda: api.last(group).force_reply)
    prompt = api.last(group)
    answer = await say(api, admin, group, "Hope <House> & Co", reply_to=prompt)
    assert "2 of 4" in answer.text
    await press(api, admin, answer, "Coffee")
    await api.wait_for(lambda: "3 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "Another")
    await api.wait_for(lambda: api.last(group).force_reply)
    tz_prompt = api.last(group)
    refused = await say(api, admin, group, "Mars/Olympus", reply_to=tz_prompt)
    assert "don't know that time zone" in refused.text
    accepted = await say(api, admin, group, "Europe/Dublin", reply_to=tz_prompt)
    assert "4 of 4" in accepted.text
    await press(api, admin, accepted, "No, just")
    await api.wait_for(lambda: "is set up" in api.last(group).text)
    # The server parses HTML as Telegram does: had the name gone out unescaped, it would have refused it.
    assert "Hope <House> & Co" in api.last(group).text
    with harness.db.session() as s:
        team = s.exec(select(Team)).one()
        assert (team.name, team.framework_variant, team.timezone) == ("Hope <House> & Co", "coffee-break", "Europe/Dublin")


async def test_forged_and_other_peoples_links_are_refused(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    stranger = api.create_user("Zed")
    # A payload signed with another secret, pointing at this team.
    forged = links.sign(b"not-the-secret", "j", 1, stranger.id)
    before = len(api.chat_log(stranger))
    await api.start_private(stranger, payload=forged)
    assert "doesn't look right" in (await bot_reply(api, stranger, before)).text
    # Bea's genuine link, used by somebody else.
    reply = await say(api, team.members[0], team.group, "/join")
    before = len(api.chat_log(stranger))
    await api.start_private(stranger, payload=start_payload(reply))
    assert "someone else" in (await bot_reply(api, stranger, before)).text
    # A genuine link with the team id changed.
    payload = start_payload(reply)
    tampered = payload.replace("j1-", "j2-", 1)
    before = len(api.chat_log(team.members[0]))
    await api.start_private(team.members[0], payload=tampered)
    assert "doesn't look right" in (await bot_reply(api, team.members[0], before)).text
    with harness.db.session() as s:
        assert s.exec(select(Member).where(Member.display_name == "Zed")).first() is None


async def test_help_unknown_command_and_channel(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    assert "/assess" in (await say(api, team.members[0], team.group, "/help")).text
    assert "/mydata" in (await say(api, team.members[0], team.members[0], "/help")).text
    unknown = await say(api, team.members[0], team.group, "/frobnicate")
    assert "don't know /frobnicate" in unknown.text
    channel = api.create_group("News", kind="channel")
    await api.add_bot(channel, by=team.admin)
    await api.wait_for(lambda: any(c.method == "leaveChat" for c in api.calls))
    with harness.db.session() as s:
        assert len(s.exec(select(Team)).all()) == 1


async def test_setup_outside_a_group_is_explained(api, harness):
    user = api.create_user("Ada")
    await api.start_private(user, payload=None)
    answer = await say(api, user, user, "/setup")
    assert "group chat" in answer.text


async def test_a_restart_keeps_everything(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    await harness.restart()
    answer = await say(api, team.members[1], team.group, "/join")
    assert "already in" in answer.text
    with harness.db.session() as s:
        assert len(s.exec(select(Member)).all()) == 4
        assert s.exec(select(Team)).one().set_up


async def test_removed_then_added_back_pauses_and_resumes(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    await api.remove_bot(team.group, by=team.admin)
    await api.wait_idle()
    with harness.db.session() as s:
        assert s.exec(select(Team)).one().paused
    before = len(api.chat_log(team.group))
    await api.add_bot(team.group, by=team.admin)
    back = await bot_reply(api, team.group, before)
    assert "still here" in back.text
    with harness.db.session() as s:
        assert not s.exec(select(Team)).one().paused
