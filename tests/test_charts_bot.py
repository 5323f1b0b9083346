"""Charts, reports and exports end to end: the real bot, the local Bot API server, people in a group."""

from __future__ import annotations

import csv
import io
import re
import struct
import zlib
from datetime import date, datetime, timedelta, timezone

from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage import rounds, teams
from piebot.storage.db import session_scope
from piebot.storage.models import CheckIn, Member, Rating, Team
from piebot.telegram import callbacks
from piebot.telegram.charts.files import REPORT, _albums, send_files
from tests.test_charts import pdf_text as uncompressed_pdf_text

ELEMENTS = ["empathy", "training", "responsiveness"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def pdf_text(data: bytes) -> str:
    """The words on a (compressed) report's pages: each stream inflated, then read as test_charts does."""

    def inflate(match: re.Match) -> bytes:
        try:
            return b"stream\n" + zlib.decompress(match.group(1)) + b"\nendstream"
        except zlib.error:
            return match.group(0)

    return uncompressed_pdf_text(re.sub(rb"stream\n(.*?)\nendstream", inflate, data, flags=re.DOTALL))


def outside_streams(data: bytes) -> str:
    """The PDF's own structure and metadata (title, author), without page content or pictures."""
    return re.sub(rb"stream\n.*?\nendstream", b"", data, flags=re.DOTALL).decode("latin-1")


def ids_of(db, chat_id: int) -> tuple[int, dict[str, int]]:
    with db.session() as s:
        team = teams.team_for_chat(s, chat_id)
        members = s.exec(select(Member).where(Member.team_id == team.id)).all()
        return team.id, {m.display_name: m.id for m in members}


def play_round(db, chat_id: int, answers: dict[str, list[int]], views: dict[str, int | None], *,
               anonymous: bool = False, closed_at: datetime | None = None, evidence: str | None = None) -> int:
    """A round entered through storage, as the Pizazz round would, and closed."""
    team_id, people = ids_of(db, chat_id)
    with session_scope(db) as s:
        members = [s.get(Member, people[n]) for n in ("Ada", "Bea", "Cal", "Dee") if n in people]
        round_ = rounds.open_round(s, team_id=team_id, element_ids=list(answers), scope="all", scope_ref=None,
                                   mode="async", anonymous=anonymous, framework_variant="pies2",
                                   opened_by=members[0].id)
        for element_id, values in answers.items():
            for member, value in zip(members, values, strict=False):
                rounds.record_rating(s, round_, member, element_id, value)
            if views.get(element_id) is not None:
                rounds.set_team_view(s, round_, element_id, views[element_id])
        if evidence:
            # Anonymous words go in only when three people or more gave some (the rule of three).
            for member in members[1:4] if anonymous else members[1:2]:
                rounds.add_evidence(s, round_, member, list(answers)[0], "evidence", text=evidence)
        rounds.add_action(s, team_id=team_id, round_id=round_.id, element_id=list(answers)[0],
                          text="Talk it through at handover", owner_member_id=members[2].id,
                          due=date(2030, 1, 1), success_measure="Everyone knows the plan")
        rounds.close_round(s, round_)
        if closed_at is not None:
            round_.closed_at = closed_at
        return round_.id


async def announce(harness, round_id: int) -> None:
    """What the Pizazz round does at its end: the summary, then the on_round_closed hooks."""
    from piebot.telegram.rounds.summary import post_round_summary

    try:
        await post_round_summary(harness.bot.app, round_id)
    except NotImplementedError:
        for hook in harness.bot.app.bot_data["on_round_closed"]:
            await hook(harness.bot.app, round_id)


def photos(api, chat) -> list:
    return [m for m in api.chat_log(chat) if m.kind == "photo"]


def album_of(message) -> str | None:
    """The album a photo was sent in (sendMediaGroup), if any."""
    return message.message.get("media_group_id")


def documents(api, chat) -> list:
    return [m for m in api.chat_log(chat) if m.kind == "document"]


FIRST = {"empathy": [5, 7, 9, 6], "training": [3, 4, 12, 8], "responsiveness": [10, 11, 10, 12]}
SECOND = {"empathy": [9, 12, 10, 11], "training": [6, 7, 9, 8], "responsiveness": [8, 9, 14, 10]}


async def test_charts_arrive_in_the_group_after_a_round_closes(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    first = play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11},
                       closed_at=datetime(2025, 1, 10, 12, tzinfo=timezone.utc))
    await announce(harness, first)
    await api.wait_for(lambda: len(photos(api, team.group)) >= 2, timeout=30)
    profile, spread_ = photos(api, team.group)[:2]
    # One album: the two pictures went together, each as tall as its three rows.
    assert album_of(profile) and album_of(profile) == album_of(spread_)
    assert all(png_size(m.file)[0] == 1080 and png_size(m.file)[1] < 1000 for m in (profile, spread_))
    assert profile.text == "Where Hope House team is now, 10 Jan 2025: 3 of 3 elements with a team view."
    assert spread_.text == ("How far apart our views were, 10 Jan 2025: 4 people answered.\n"
                            "Furthest apart on Training.")

    second = play_round(harness.db, team.group.id, SECOND, {"empathy": 10, "training": 6, "responsiveness": 9})
    await announce(harness, second)
    await api.wait_for(lambda: len(photos(api, team.group)) >= 5, timeout=30)
    profile, _, distance = photos(api, team.group)[2:5]
    assert album_of(profile) == album_of(distance)
    assert "Since last round: 1 moved up, 1 moved down, 1 held steady." in profile.text
    assert distance.text.startswith("How far we have travelled since 10 Jan 2025: 1 moved up, 1 moved down")
    for message in photos(api, team.group):
        assert message.parse_mode is None and len(message.text.splitlines()) <= 2


async def test_chart_with_no_rounds_says_so_plainly(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    answer = await say(api, team.members[0], team.group, "/chart")
    assert "No charts yet" in answer.text and "/assess" in answer.text
    assert photos(api, team.group) == []


async def test_chart_buttons_draw_each_chart_with_matching_figures(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11},
               closed_at=datetime(2025, 1, 10, 12, tzinfo=timezone.utc))
    play_round(harness.db, team.group.id, SECOND, {"empathy": 10, "training": 6, "responsiveness": 9},
               closed_at=datetime(2025, 3, 3, 12, tzinfo=timezone.utc))
    third = {"empathy": [12, 12, 13, 14], "training": [9, 9, 10, 11], "responsiveness": [12, 12, 12, 13]}
    play_round(harness.db, team.group.id, third, {"empathy": 13, "training": 10, "responsiveness": 12},
               closed_at=datetime(2025, 6, 1, 12, tzinfo=timezone.utc))
    bea = team.members[0]
    menu = await say(api, bea, team.group, "/chart")
    assert "1 Jun 2025" in menu.text

    async def pick(label: str, message=None, height: int = 1350) -> object:
        before = len(photos(api, team.group))
        await press(api, bea, message or menu, label)
        await api.wait_for(lambda: len(photos(api, team.group)) > before, timeout=30)
        chart = photos(api, team.group)[-1]
        assert png_size(chart.file)[0] == 1080 and png_size(chart.file)[1] <= height
        return chart

    async def in_words(chart) -> str:
        """The chart's "In words" button: the figures come to the presser privately, the group gets nothing."""
        group_before, private_before = len(api.chat_log(team.group)), len(api.chat_log(bea))
        answer = await press(api, bea, chart, "In words")
        assert "private chat" in answer["text"]
        await api.wait_for(lambda: len(api.chat_log(bea)) > private_before, timeout=10)
        assert len(api.chat_log(team.group)) == group_before
        return api.chat_log(bea)[-1].text

    profile = await pick("Where we are now", height=700)
    assert len(profile.text.splitlines()) <= 2
    words = await in_words(profile)
    assert ("Each: Empathy and emotional intelligence: Well on the way — halfway; Training: Getting there — "
            "near the top; Responsiveness: Well on the way — early on.") in words
    # Biggest is the move across a level (three places), not Training's four places within one.
    assert ("Biggest move: Empathy and emotional intelligence, up a level (from Getting there — near the top to "
            "Well on the way — halfway).") in words
    spread_ = await pick("How far apart", height=700)
    assert ("Empathy and emotional intelligence: 4 answers from Well on the way — early on to Well on the way — "
            "well along (within one level), middle Well on the way — early on; team view Well on the way — halfway."
            ) in await in_words(spread_)
    # Three rounds: the team picks which two to compare, the oldest against the newest.
    await press(api, bea, menu, "travelled")
    await api.wait_for(lambda: "Compare from which round" in api.chat_log(team.group)[-1].text
                       or any("Compare" in m.text for m in api.chat_log(team.group)))
    picker = next(m for m in api.chat_log(team.group) if m.message_id == menu.message_id)
    assert "The last two (3 Mar 2025 → 1 Jun 2025)" in [label for row in picker.buttons for label, _ in row]
    await press(api, bea, picker, "10 Jan 2025")
    await api.wait_for(lambda: "to which round" in next(
        m for m in api.chat_log(team.group) if m.message_id == menu.message_id).text)
    picker = next(m for m in api.chat_log(team.group) if m.message_id == menu.message_id)
    distance = await pick("1 Jun 2025", picker, height=700)
    assert distance.text.startswith("How far we have travelled since 10 Jan 2025")
    words = await in_words(distance)
    assert "team view from 10 Jan 2025 to 1 Jun 2025" in words
    assert ("Moved up: Empathy and emotional intelligence, up a level; Training, a little further along; "
            "Responsiveness, a little further along.") in words
    actions = await pick("Our actions", await say(api, bea, team.group, "/chart"), height=700)
    assert actions.text.startswith("Our actions: 3 — ")  # three actions are a short picture, not a page
    assert "Talk it through at handover (Cal, due 1 Jan)" in await in_words(actions)


async def test_trend_after_a_checkin_closes_and_from_the_menu(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    team_id, _ = ids_of(harness.db, team.group.id)
    start = datetime(2025, 2, 3, 14, tzinfo=timezone.utc)
    with session_scope(harness.db) as s:
        last = None
        for week, values in enumerate([[8, 10, 12], [11, 12], [13, 14, 15, 12]]):
            slot = start + timedelta(weeks=week)
            last = CheckIn(team_id=team_id, slot=slot, opened_at=slot, closes_at=slot + timedelta(hours=24),
                           closed_at=slot + timedelta(hours=24))
            s.add(last)
            s.flush()
            for v in values:
                s.add(Rating(team_id=team_id, checkin_id=last.id, element_id="responsiveness", value=v))
        s.flush()
        checkin_id = last.id
    for hook in harness.bot.app.bot_data["on_checkin_closed"]:
        await hook(harness.bot.app, checkin_id)
    await api.wait_for(lambda: len(photos(api, team.group)) == 1, timeout=30)
    trend = photos(api, team.group)[0]
    assert png_size(trend.file)[0] == 1080 and trend.text == (
        "Responsiveness over time: 3 check-ins.\nLatest, 17 Feb 2025: 4 answered, middle view Well on the way — "
        "halfway.")
    answer = await press(api, team.members[0], trend, "In words")
    assert "private chat" in answer["text"]
    await api.wait_for(lambda: "Latest, 17 Feb 2025" in api.last(team.members[0]).text, timeout=10)
    assert ("Latest, 17 Feb 2025: 4 answered — 4 in Well on the way. Middle view: Well on the way — halfway."
            in api.last(team.members[0]).text)
    menu = await say(api, team.members[1], team.group, "/chart")
    await press(api, team.members[1], menu, "Responsiveness over time")
    await api.wait_for(lambda: len(photos(api, team.group)) == 2, timeout=30)


async def test_anonymous_round_shows_no_name_in_captions_pdf_or_csv(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    round_id = play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11},
                          anonymous=True, evidence="Staff room feels safer")
    await announce(harness, round_id)
    await api.wait_for(lambda: len(photos(api, team.group)) >= 2, timeout=30)
    note = await say(api, team.admin, team.group, "/report")
    assert "anonymous" in note.text
    await say(api, team.admin, team.group, "/export")
    await api.wait_for(lambda: len(documents(api, team.admin)) == 4, timeout=30)
    names = ["Ada", "Bea", "Cal", "Dee"]
    for message in photos(api, team.group):
        assert not any(n in message.text for n in names)
    pdf, ratings, checkins, actions = documents(api, team.admin)
    assert pdf.file.startswith(b"%PDF")
    words = pdf_text(pdf.file)
    assert "Staff room feels safer" in words and "not shown (anonymous round)" in words
    for text in (words, outside_streams(pdf.file), *(d.file.decode("utf-8-sig") for d in (ratings, checkins, actions))):
        assert not any(n in text for n in names)
    rows = list(csv.DictReader(io.StringIO(ratings.file.decode("utf-8-sig"))))
    assert {r["member"] for r in rows} == {"anonymous"} and len(rows) == 12


async def test_report_is_a_pdf_with_the_rounds_sections(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11},
               closed_at=datetime(2025, 1, 10, 12, tzinfo=timezone.utc))
    play_round(harness.db, team.group.id, SECOND, {"empathy": 10, "training": 6, "responsiveness": 9},
               evidence="We bent the visiting rule for Jo", closed_at=datetime(2025, 3, 3, 12, tzinfo=timezone.utc))
    note = await say(api, team.admin, team.group, "/report")
    assert "sent Ada the report of the round closed 3 Mar 2025" in note.text
    await api.wait_for(lambda: documents(api, team.admin), timeout=30)
    report = documents(api, team.admin)[0]
    assert report.file.startswith(b"%PDF") and report.filename.endswith(".pdf")
    words = pdf_text(report.file)
    for section in ("PIE self-assessment report", "Where our team is now", "How far apart our views are",
                    "Empathy and emotional intelligence", "What is actually happening (evidence)",
                    "We bent the visiting rule for Jo", "What we will do", "Talk it through at handover",
                    "Cal, by", "Peer reviewer's comments"):
        assert section in words, section
    # The earlier round's report is one press away, in the same private chat.
    await press(api, team.admin, report, "10 Jan 2025")
    await api.wait_for(lambda: len(documents(api, team.admin)) == 2, timeout=30)
    assert "round closed 10 Jan 2025" in documents(api, team.admin)[1].text


async def test_report_and_export_are_for_admins_and_facilitators(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11})
    bea, cal = team.members[0], team.members[1]
    refused = await say(api, bea, team.group, "/report")
    assert "Only a group admin or the team's facilitator" in refused.text
    refused = await say(api, bea, team.group, "/export")
    assert "Only a group admin or the team's facilitator" in refused.text
    assert documents(api, bea) == []
    team_id, people = ids_of(harness.db, team.group.id)
    with session_scope(harness.db) as s:
        s.get(Member, people["Cal"]).facilitator = True
    await say(api, cal, team.group, "/export")
    await api.wait_for(lambda: len(documents(api, cal)) == 3, timeout=30)
    ratings, checkins, actions = documents(api, cal)
    assert [d.filename for d in (ratings, checkins, actions)] == ["ratings.csv", "checkins.csv", "actions.csv"]
    # One album of three, each file with its caption: one send, where it was three.
    assert album_of(ratings) is not None and {album_of(d) for d in (ratings, checkins, actions)} == {album_of(ratings)}
    assert checkins.text.startswith("Check-ins: date, how many answered") and api.chat_log(cal)[-3:] == [
        ratings, checkins, actions]
    rows = list(csv.DictReader(io.StringIO(ratings.file.decode("utf-8-sig"))))
    assert len(rows) == 12
    assert {(r["element"], r["member"], r["place (1-20)"]) for r in rows if r["member"] == "Bea"} == {
        ("Empathy and emotional intelligence", "Bea", "7"), ("Training", "Bea", "4"), ("Responsiveness", "Bea", "11")}
    assert list(csv.reader(io.StringIO(checkins.file.decode("utf-8-sig")))) == [
        ["date", "element", "answered", "chose a place", "named a level only", "middle view", "middle place (1-20)",
         "lowest place (1-20)", "highest place (1-20)", "in Just starting", "in Getting there",
         "in Well on the way", "in Embedded", "missed"]]
    action_rows = list(csv.DictReader(io.StringIO(actions.file.decode("utf-8-sig"))))
    assert [(a["text"], a["owner"], a["status"]) for a in action_rows] == [
        ("Talk it through at handover", "Cal", "open")]


async def test_a_report_in_parts_is_one_album_with_the_earlier_rounds_after_it(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    first = play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11},
                       closed_at=datetime(2025, 1, 10, 12, tzinfo=timezone.utc))
    before = len(api.chat_log(team.admin))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(
        "10 Jan 2025 · round 1", callback_data=callbacks.encode(REPORT, 1, str(first)))]])
    parts = [(f"report-part-{n}-of-3.pdf", b"%PDF-1.4 part", f"Report (part {n} of 3).") for n in (1, 2, 3)]
    await send_files(harness.bot.app, team.admin.id, parts, markup)
    sent = api.chat_log(team.admin)[before:]
    album, rest = sent[:3], sent[3:]
    assert [m.filename for m in album] == [name for name, _, _ in parts] and len({album_of(m) for m in album}) == 1
    assert [m.text for m in album] == [caption for _, _, caption in parts]
    # An album carries no buttons: the earlier rounds come on a line of their own after it.
    assert [m.text for m in rest] == ["Reports of earlier rounds:"]
    assert rest[0].reply_markup["inline_keyboard"][0][0]["text"] == "10 Jan 2025 · round 1"
    # The button works from there as from under a lone report.
    await press(api, team.admin, rest[0], "10 Jan 2025")
    await api.wait_for(lambda: documents(api, team.admin)[3:], timeout=30)
    assert "round closed 10 Jan 2025" in documents(api, team.admin)[3].text


def test_files_share_an_album_only_as_far_as_one_upload_holds():
    small, big = ("a.csv", b"x" * 10, None), ("b.pdf", b"x" * (40 * 1024 * 1024), None)
    assert [len(a) for a in _albums([small] * 12)] == [10, 2]
    assert [[f[0] for f in a] for a in _albums([big, big, small])] == [["b.pdf"], ["b.pdf", "a.csv"]]


async def test_presses_are_checked(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11})
    menu = await say(api, team.members[0], team.group, "/chart")
    # Someone in the group who never joined the team.
    visitor = api.create_user("Vic")
    api.add_member(team.group, visitor)
    answer = await press(api, visitor, menu, "Where we are now")
    assert "/join" in answer["text"] and answer.get("show_alert")
    # A button carrying another team's id, and one the bot could not have made.
    for data in (callbacks.encode("ch", 999, "p"), "v1:ch:1:p.x", "v1:ch:1:zz"):
        query_id = await api.press(team.members[0], menu, data, forged=True)
        await api.wait_for(lambda query_id=query_id: api.answer_to(query_id) is not None)
        assert api.answer_to(query_id).get("show_alert")
    await api.wait_idle()
    assert photos(api, team.group) == []
    # A member who is not yet joined cannot open the menu either.
    answer = await say(api, visitor, team.group, "/chart")
    assert "/join" in answer.text


async def test_long_emoji_and_right_to_left_names_still_draw(api, harness):
    from framework import Customisation, example_relationships

    questions = example_relationships().model_dump(mode="json")[
        "written_in_themes"][0]["elements"][0]["questions"]
    long_names = [f"🌱 Our very own practice number {i} — حلقة التفكير المشترك {i} 🤝" for i in range(20)]
    own = {"id": "ours", "name": "Our own words 🧡 مساحة آمنة", "description": "Ours",
           "elements": [{"id": f"own-{i}", "name": n, "description": "Ours",
                         "questions": questions} for i, n in enumerate(long_names)]}
    team = await add_bot_and_set_up(api, members=3)
    team_id, _ = ids_of(harness.db, team.group.id)
    with session_scope(harness.db) as s:
        row = s.get(Team, team_id)
        row.customisation = Customisation.model_validate({"written_in_themes": [own]}).model_dump(mode="json")
    answers = {f"own-{i}": [1 + i % 20, 5, 9, 20 - i % 20] for i in range(20)}
    round_id = play_round(harness.db, team.group.id, answers, {f"own-{i}": 1 + i for i in range(20)})
    for hook in harness.bot.app.bot_data["on_round_closed"]:
        await hook(harness.bot.app, round_id)
    await api.wait_for(lambda: len(photos(api, team.group)) >= 2, timeout=30)
    for chart in photos(api, team.group)[:2]:
        assert png_size(chart.file) == (1080, 1350) and len(chart.text.splitlines()) <= 2
    assert photos(api, team.group)[0].text.startswith("Where Hope House team is now")
    menu = await say(api, team.members[0], team.group, "/chart")
    await press(api, team.members[0], menu, "Where we are now")
    await api.wait_for(lambda: len(photos(api, team.group)) >= 3, timeout=30)
    await press(api, team.members[0], photos(api, team.group)[-1], "In words")
    await api.wait_for(lambda: "20 of the elements are our own" in api.last(team.members[0]).text, timeout=10)
    assert "حلقة" in api.last(team.members[0]).text  # right-to-left words kept in the words


async def test_chart_in_a_private_chat_points_to_the_group(api, harness):
    user = api.create_user("Pat")
    before = len(api.chat_log(user))
    await api.send(user, user, "/chart")
    answer = await bot_reply(api, user, before)
    assert "your team's group" in answer.text


async def test_report_for_an_admin_the_bot_cannot_write_to_yet(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11})
    zed = api.create_user("Zed")
    api.add_member(team.group, zed, status="administrator")
    harness.bot.app.bot_data["runtime"].admin_cache.clear()  # a new admin, past the minute the list is cached
    answer = await say(api, zed, team.group, "/report")
    assert "can't write to you yet" in answer.text and "/join" in answer.text
    assert documents(api, zed) == [] and documents(api, team.group) == []
