"""One way to say a place, and a quiet group, seen through the real bot and the local Bot API server.

A live round is played in the group: the card's grid names its levels, the card and the summary say each
place as its level and where in it, the charts come as one album with captions of a line or two, their
figures in words come under "In words", and the report (PDF) and the export (CSV) say places the same way.

The group's messages at the end of a round, counted:
    before: the summary, then the team profile, the spread and the distance travelled, each a photo of its
            own: 4 messages, 4 notifications, each a full 1080 × 1350 page (also for a round on one element);
    after:  the summary and one album: 2 sends, 2 notifications (the album's pictures count as messages
            against Telegram's limits, as before), each picture as tall as its rows. A round on one element
            leaves the distance travelled out: its profile already shows where the element was and is.
A check-in's close is its summary and at most one picture (its trend), never a third message.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.telegram.delivery import ratelimit
from piebot.telegram.rounds.summary import settle
from tests.rounds_helpers import (
    agree_middle,
    past_the_review,
    rate_all,
    reveal,
    start_round,
    summary_after,
    tap,
    wait_card,
)
from tests.test_charts_bot import album_of, documents, pdf_text, photos, play_round, png_size
from tests.test_one_way_to_say_a_place import old_forms_in

WHERE = ("at the start", "early on", "halfway", "well along", "near the top")


@pytest.fixture
def harness(monkeypatch, harness):
    # A whole session in seconds: Telegram's 20 a minute per group (which the bot keeps) would only slow it.
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)
    return harness


def bubbles(messages) -> list[list]:
    """What the group sees: an album is one bubble (one notification), whatever it holds."""
    seen: dict[object, list] = {}
    for message in messages:
        seen.setdefault(album_of(message) or ("single", message.message_id), []).append(message)
    return list(seen.values())


async def after_the_summary(api, harness, group, before: int):
    summary = await summary_after(api, group, before)
    # The album is sent beside the group's next updates, by a task started once the summary is out.
    await api.wait_idle()
    await settle(harness.bot.app)
    await api.wait_idle()
    start = next(i for i, m in enumerate(api.chat_log(group)) if m.message_id == summary.message_id)
    return summary, api.chat_log(group)[start:]


async def test_a_round_on_one_element_says_places_in_words_from_the_card_to_the_csv(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, ada = team.group, team.admin
    play_round(harness.db, group.id, {"responsiveness": [4, 5, 7, 8]}, {"responsiveness": 6},
               closed_at=datetime.now(timezone.utc) - timedelta(days=90))

    card = await start_round(api, team, opens="Looking back")  # looked at before: the review comes first
    card = await past_the_review(api, ada, card)
    # The grid names its levels on the keyboard itself, and says where in each in words, not numbers.
    labels = [label for row in card.buttons for label, _ in row]
    assert {"Just starting", "Getting there", "Well on the way", "Embedded"} <= set(labels)
    assert labels.count("halfway") == 4 and not any(ch.isdigit() for label in labels[:24] for ch in label)
    placed = await tap_place_answer(api, team.members[0], card, 3, 2)
    assert placed["text"] == "Placed: Well on the way — early on. Only you see this."
    await rate_all(api, team.everyone, card, [(3, 2), (3, 2), (3, 2), (2, 5)])
    card = await reveal(api, ada, card)
    assert "the middle view is Well on the way — early on" in card.text
    assert "From Getting there — near the top to Well on the way — early on" in card.text
    card = await agree_middle(api, ada, card)
    assert "Team view: Well on the way — early on" in card.text

    before = len(api.chat_log(group))
    await say(api, ada, group, "/close")
    summary, end = await after_the_summary(api, harness, group, before)
    assert "Responsiveness: Well on the way — early on (up a level since" in summary.text
    # One summary, one album (the profile and the spread), each picture a short strip with a line or two.
    assert [len(b) for b in bubbles(end)] == [1, 2]
    profile, spread_ = end[1:]
    assert profile.text == "Responsiveness: Well on the way — early on.\nSince last round: up a level."
    assert spread_.text == ("Responsiveness: 4 answers, from Getting there — near the top to Well on the way — "
                            "early on.")
    assert all(png_size(p.file)[0] == 1080 and png_size(p.file)[1] < 600 for p in (profile, spread_))

    # The report and the spreadsheets say the same places the same way.
    await say(api, ada, group, "/report")
    await say(api, ada, group, "/export")
    await api.wait_for(lambda: len(documents(api, ada)) == 4, timeout=30)
    pdf, ratings, checkins, actions = documents(api, ada)
    words = " ".join(pdf_text(pdf.file).split())
    assert "Team view: Well on the way — early on. Since last time: up a level." in words
    assert ("Individual answers: 4, from Getting there — near the top to Well on the way — early on."
            in words)
    rows = list(csv.DictReader(io.StringIO(ratings.file.decode("utf-8-sig"))))
    latest = [r for r in rows if r["team view (1-20)"] == "12"]
    assert {r["team view"] for r in latest} == {"Well on the way — early on"}
    assert {(r["place"], r["place (1-20)"]) for r in latest} >= {("Well on the way — early on", "12"),
                                                                ("Getting there — near the top", "10")}

    # Nothing the team was sent says a place as a number (the CSV's number columns aside).
    said = [m.text for chat in (group, *team.everyone) for m in api.chat_log(chat) if m.kind != "document"]
    said += [label for m in api.chat_log(group) for row in m.buttons for label, _ in row]
    assert [problem for text in said + [words] for problem in old_forms_in(text)] == []


async def tap_place_answer(api, user, card, level: int, position: int) -> dict:
    """Tap a place, and read the answer only the presser sees (a toast)."""
    from tests.rounds_helpers import rate

    return await rate(api, user, card, level, position)


async def test_the_end_of_a_round_is_one_summary_and_one_album(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, ada = team.group, team.admin
    play_round(harness.db, group.id, {"rules-and-procedures": [4, 5, 6, 7], "roles-and-relationships": [8, 9, 9, 10],
                                      "responsiveness": [4, 5, 7, 8]},
               {"rules-and-procedures": 5, "roles-and-relationships": 9, "responsiveness": 6},
               closed_at=datetime.now(timezone.utc) - timedelta(days=90))
    card = await start_round(api, team, scope="One theme", pick="The Three Rs", opens="Looking back")
    for element in range(2):
        card = await past_the_review(api, ada, card)
        await rate_all(api, team.everyone, card, [(2, 1), (2, 3), (3, 1), (2, 5)])
        card = await reveal(api, ada, card)
        card = await agree_middle(api, ada, card)
        if element == 0:
            for _ in range(5):  # through the stages, nothing said
                await api.send(ada, group, "/next")
                await api.wait_idle()
            await wait_card(api, card, "Done for this element")
            before = len(api.chat_log(group))
            await say(api, ada, group, "/next")
            await api.wait_for(lambda before=before: any("element 2 of 3" in m.text for m in api.chat_log(group)[before:]))
            card = next(m for m in api.chat_log(group)[before:] if "element 2 of 3" in m.text)
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    summary, end = await after_the_summary(api, harness, group, before)

    # Before: the summary and three photos, four notifications. Now: two sends, two notifications.
    shown = bubbles(end)
    assert len(shown) == 2 and len(shown[0]) == 1 and len(shown[1]) == 3
    profile, spread_, distance = shown[1]
    assert profile.text.startswith("Where Hope House team is now") and "Since last round:" in profile.text
    assert spread_.text.startswith("How far apart our views were")
    assert distance.text.startswith("How far we have travelled since")
    assert all(len(p.text.splitlines()) <= 2 and png_size(p.file)[1] < 1000 for p in shown[1])
    # An album carries no buttons; the figures in words are a tap away under /chart.
    menu = await say(api, team.members[0], group, "/chart")
    await press(api, team.members[0], menu, "Where we are now")
    await api.wait_for(lambda: len(photos(api, group)) == 4, timeout=30)
    asked = len(api.chat_log(team.members[0]))
    await press(api, team.members[0], photos(api, group)[-1], "In words")
    await api.wait_for(lambda: len(api.chat_log(team.members[0])) > asked, timeout=10)
    words = api.chat_log(team.members[0])[-1].text
    assert words.startswith("📝 Hope House team\nWhere Hope House team is now")
    assert "Rules and procedures: Getting there — well along" in words
    assert any(f"— {where}" in words for where in WHERE) and old_forms_in(words) == []
