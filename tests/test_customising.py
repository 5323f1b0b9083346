"""/customise end to end: an admin renames the levels and writes in a theme with buttons and replies, sees the
result before saving, and the renamed labels then show everywhere the team reads them: a card, a summary, a
chart caption, the PDF and the CSV. A bad name gets a kind message and changes nothing.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from conversations.customising import framework_with
from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage.models import Team
from tests.checkin_helpers import posts, save_rule, summaries, use_hand_clock, utc, weekly
from tests.test_charts_bot import FIRST, announce, documents, pdf_text, photos, play_round


@pytest.fixture
async def team(api, harness):
    return await add_bot_and_set_up(api, members=3)


def current(api, team, card):
    return next(m for m in api.chat_log(team.group) if m.message_id == card.message_id)


async def tap(api, team, card, label: str, shows: str):
    await press(api, team.admin, card, label)
    await api.wait_for(lambda: shows in current(api, team, card).text)
    return current(api, team, card)


async def reply_to_prompt(api, team, card, label: str, text: str):
    """Tap a button that asks for words, and reply to the prompt; the bot's answer if it sends one."""
    before = len(api.chat_log(team.group))
    await press(api, team.admin, card, label)
    prompt = await bot_reply(api, team.group, before)
    assert prompt.force_reply
    await api.send(team.admin, team.group, text, reply_to=prompt)
    return prompt


def saved_customisation(db) -> dict:
    with db.session() as s:
        return dict(s.exec(select(Team)).one().customisation or {})


async def rename_levels(api, team, harness) -> None:
    card = await say(api, team.admin, team.group, "/customise")
    assert "Customise our framework" in card.text and "Just starting · Getting there" in card.text
    refused = await press(api, team.members[0], card, "Level names")
    assert refused["show_alert"] and "Only a group admin" in refused["text"]
    card = await tap(api, team, card, "Level names", "The four levels of the scale")
    await reply_to_prompt(api, team, card, "Rename 1", "Finding our feet\nWe've noticed it matters.")
    await api.wait_for(lambda: "1. Finding our feet — We've noticed it matters." in current(api, team, card).text)
    await reply_to_prompt(api, team, current(api, team, card), "Rename 2", "Making headway")
    await api.wait_for(lambda: "2. Making headway" in current(api, team, card).text)
    # A name another level already has: a kind word, and nothing changes.
    before = len(api.chat_log(team.group))
    prompt = await reply_to_prompt(api, team, current(api, team, card), "Rename 3", "making headway")
    refusal = await bot_reply(api, team.group, before + 1)
    assert "already the name of level 2" in refusal.text
    assert "3. Well on the way" in current(api, team, card).text
    await api.send(team.admin, team.group, "Steady ground", reply_to=prompt)  # the same prompt takes a better one
    await api.wait_for(lambda: "3. Steady ground" in current(api, team, card).text)
    assert not saved_customisation(harness.db).get("level_labels")  # nothing reaches the team before Save
    card = await tap(api, team, current(api, team, card), "← Back", "Customise our framework")
    card = await tap(api, team, card, "See it, then save", "How it will look")
    assert "1. Finding our feet — We've noticed it matters." in card.text
    assert "A bead reads like: “Making headway — near the top”" in card.text
    await press(api, team.admin, card, "Save")
    await api.wait_for(lambda: "Saved" in current(api, team, card).text)
    assert "Finding our feet · Making headway · Steady ground · Embedded" in current(api, team, card).text


async def test_renamed_labels_are_used_in_cards_summaries_charts_the_pdf_and_the_csv(api, harness, team,
                                                                                      monkeypatch):
    ada, bea, cal, dee = team.everyone
    await rename_levels(api, team, harness)
    assert saved_customisation(harness.db)["level_labels"] == {
        "1": "Finding our feet", "2": "Making headway", "3": "Steady ground"}

    # A card: the check-in's buttons. A summary: what people said, in the team's words.
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    save_rule(harness.db, weekly(1, "14:00"), hand())
    hand.set(utc(2026, 5, 5, 13))
    await scheduling.tick(harness.bot.app, hand())
    post = posts(api, team.group)[-1]
    labels = [label for row in post.buttons for label, _ in row]
    assert "Finding our feet" in labels and "Steady ground" in labels
    for user in (bea, cal, dee):
        await press(api, user, post, "Making headway")
    hand.set(utc(2026, 5, 6, 13))
    await scheduling.tick(harness.bot.app, hand())
    assert "• 3 said Making headway\nMiddle view: Making headway" in summaries(api, team.group)[-1].text
    # A chart caption: the trend posted after the summary.
    await api.wait_for(lambda: photos(api, team.group), timeout=30)
    trend = photos(api, team.group)[-1]
    assert "Latest" in trend.text and "middle view Making headway." in trend.text

    # The PDF and the CSV of a round.
    round_id = play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11})
    await announce(harness, round_id)
    await say(api, ada, team.group, "/report")
    await say(api, ada, team.group, "/export")
    await api.wait_for(lambda: len(documents(api, ada)) == 4, timeout=30)
    pdf, ratings, checkins, _ = documents(api, ada)
    words = pdf_text(pdf.file)
    assert "Making headway" in words and "Steady ground" in words and "Getting there" not in words
    rows = list(csv.DictReader(io.StringIO(ratings.file.decode("utf-8-sig"))))
    assert {r["level name"] for r in rows} <= {"Finding our feet", "Making headway", "Steady ground", "Embedded"}
    assert "Making headway" in {r["level name"] for r in rows}
    [checkin_row] = list(csv.DictReader(io.StringIO(checkins.file.decode("utf-8-sig"))))
    assert checkin_row["in Making headway"] == "3" and checkin_row["middle view"] == "Making headway"


async def test_writing_in_a_theme_and_hiding_an_element_through_the_chat(api, harness, team):
    card = await say(api, team.admin, team.group, "/customise")
    card = await tap(api, team, card, "Write in a theme", "What's it called?")
    # A name the framework already has is refused kindly.
    before = len(api.chat_log(team.group))
    prompt = await reply_to_prompt(api, team, card, "Type a name", "Training")
    assert "already a name in your framework" in (await bot_reply(api, team.group, before + 1)).text
    await api.send(team.admin, team.group, "Wellbeing at work", reply_to=prompt)
    await api.wait_for(lambda: "In one line, what is it about?" in current(api, team, card).text)
    card = await tap(api, team, current(api, team, card), "Use:", "Name its first element")
    card = await tap(api, team, card, "Just one", "Use these, or write your own?")
    assert "How are things going with Wellbeing at work?" in card.text
    await reply_to_prompt(api, team, card, "Write our own", "Do we get our breaks?\n2. Do we debrief after incidents?")
    await api.wait_for(lambda: "Add it to the draft" in current(api, team, card).text)
    card = await tap(api, team, current(api, team, card), "Another element", "Name the next element")
    await reply_to_prompt(api, team, card, "Type a name", "Supervision")
    await api.wait_for(lambda: "Use these, or write your own?" in current(api, team, card).text)
    card = await tap(api, team, current(api, team, card), "Use the usual", "Add it to the draft")
    card = await tap(api, team, card, "Add the theme", "Wellbeing at work (2 elements)")
    # Hide one element. The one the team's check-ins are on can't go while they are.
    save_rule(harness.db, weekly(1, "14:00"), utc(2026, 5, 1))
    card = await tap(api, team, card, "Hide or show", "Hide or show elements")
    refused = await press(api, team.admin, card, "✓ Responsiveness")
    assert refused["show_alert"] and "in use" in refused["text"]
    card = await tap(api, team, card, "✓ Training", "1 hidden.")
    assert "🚫 Training" in str(card.buttons)
    card = await tap(api, team, card, "← Back", "Customise our framework")
    card = await tap(api, team, card, "See it, then save", "How it will look")
    assert "Wellbeing at work (our own — not compared with other teams)" in card.text
    assert "Supervision" in card.text and "Hidden: Training" in card.text
    before_save = saved_customisation(harness.db)
    assert not before_save.get("written_in_themes") and not before_save.get("hidden")
    await press(api, team.admin, card, "Save")
    await api.wait_for(lambda: "Saved" in current(api, team, card).text)

    saved = saved_customisation(harness.db)
    assert saved["hidden"] == ["training"]
    framework = framework_with("pies2", saved)
    own = framework.theme("Wellbeing at work")
    assert own.written_in and all(e.written_in and not e.canonical for e in own.elements)
    first = own.elements[0]
    assert first.questions["assessment"] == ["Do we get our breaks?", "Do we debrief after incidents?"]
    assert all(len(qs) >= 2 for qs in first.questions.values()) and len(first.questions) == 6
    assert "training" not in {e.id for e in framework.elements}
    # The new theme can be chosen for a round like any other.
    menu = await say(api, team.admin, team.group, "/assess")
    assert menu.buttons


async def test_cancel_and_strangers_change_nothing(api, harness, team):
    card = await say(api, team.admin, team.group, "/customise")
    card = await tap(api, team, card, "Level names", "The four levels")
    before = len(api.chat_log(team.group))
    await reply_to_prompt(api, team, card, "Rename 4", "   ")
    assert "looks empty" in (await bot_reply(api, team.group, before + 1)).text
    card = await tap(api, team, current(api, team, card), "← Back", "Customise our framework")
    await press(api, team.admin, card, "Cancel")
    await api.wait_for(lambda: "nothing changed" in current(api, team, card).text)
    assert not saved_customisation(harness.db).get("level_labels")
    assert "Only a group admin" in (await say(api, team.members[0], team.group, "/customise")).text
