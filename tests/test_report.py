"""The round report that closes the loop, and the relationships thread, on SQLite and PostgreSQL: a one-page
summary, then the action table, then the elements ("nothing recorded" said once), and the items marked
about relationships gathered from every element, with their count over rounds."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from conversations.actions import Change
from conversations.errors import NotAllowed
from conversations.texts.relationships import summary_line, thread_message
from piebot.charts.report import round_report_pdf
from piebot.storage import actions, relationships, round_ends, rounds
from piebot.storage.db import session_scope
from piebot.storage.models import Evidence
from piebot.storage.results import round_result
from tests.test_charts import pdf_text
from tests.test_results import make_team, run_round

ELEMENTS = ["support", "reflective-practice", "responsiveness", "training"]
SAID = {
    "support": ("evidence", "Night staff text each other after a hard shift"),
    "reflective-practice": ("hindering", "Agency staff never join the sessions, so they stay strangers"),
    "responsiveness": ("helping", "Jo's keyworker knows her sister and called her in"),
}
T1 = datetime(2026, 2, 3, 15, tzinfo=timezone.utc)
T2 = datetime(2026, 3, 10, 15, tzinfo=timezone.utc)
DAY_AFTER = date(2026, 3, 11)  # the report is made the day after the second round


def _results(s, first_id, second_id):
    return round_result(s, second_id, today=DAY_AFTER), round_result(s, first_id, today=DAY_AFTER)


def _first_round(s, team, people):
    def during(round_):
        item = rounds.add_evidence(s, round_, people[1], "support", "evidence", text="We eat together on Fridays")
        relationships.mark_about_relationships(s, item.id)
        rounds.add_action(s, team_id=team.id, text="Weekly debrief after nights", round_id=round_.id,
                          element_id="support", owner_member_id=people[1].id, due=date(2026, 2, 20))
        rounds.add_action(s, team_id=team.id, text="Paint the lounge", round_id=round_.id,
                          element_id="support", owner_member_id=people[2].id, due=date(2026, 2, 27))
    return run_round(s, team, people, ELEMENTS, {"support": 6, "responsiveness": 9}, closed_at=T1, during=during)


def _second_round(s, team, people, *, anonymous=False):
    marked = []

    def during(round_):
        for element_id, (stage, text) in SAID.items():
            item = rounds.add_evidence(s, round_, people[2], element_id, stage, text=text)
            marked.append(relationships.mark_about_relationships(s, item.id))
        rounds.add_evidence(s, round_, people[3], "support", "evidence", text="The rota is posted a week ahead")
        rounds.add_action(s, team_id=team.id, text="Ask the council about move-on", round_id=round_.id,
                          element_id="responsiveness", owner_member_id=people[3].id, due=date(2026, 3, 1))
    round_ = run_round(s, team, people, ELEMENTS, {"support": 12, "responsiveness": 9}, closed_at=T2,
                       anonymous=anonymous, during=during,
                       answers={e: [5, 9, 12, 14] for e in ELEMENTS})
    return round_, marked


def _settle_earlier_actions(s, people):
    """Between the rounds: Bea's done from her private chat, Cal's kept on with a new date."""
    ids = {a.what: a.id for a in actions.open_actions(s, people[0].team_id, date(2026, 2, 4))}
    actions.change_action(s, ids["Weekly debrief after nights"], Change.DONE, chat_id=people[1].telegram_user_id,
                          telegram_user_id=people[1].telegram_user_id, admin=False, now=T1 + timedelta(days=10))
    actions.change_action(s, ids["Paint the lounge"], Change.STILL_ON, chat_id=people[2].telegram_user_id,
                          telegram_user_id=people[2].telegram_user_id, admin=False, now=T1 + timedelta(days=24),
                          new_due=date(2026, 4, 1))


def test_three_items_about_relationships_come_back_in_the_thread_and_the_pdf(db):
    with session_scope(db) as s:
        team, people = make_team(s)
        first = _first_round(s, team, people)
        _settle_earlier_actions(s, people)
        second, marked = _second_round(s, team, people)
        assert {m.element_id for m in marked} == set(SAID)
        thread = relationships.relationships_thread(s, second.id)
        current, previous = _results(s, first.id, second.id)
        summary = round_ends.round_end(s, second.id)

    assert [(i.element_id, i.stage, i.text) for i in thread.items] == [
        (element_id, *SAID[element_id]) for element_id in ELEMENTS if element_id in SAID]
    assert [(c.items, c.elements) for c in thread.counts] == [(1, 1), (3, 3)]
    message = thread_message(thread)
    for element_name in ("Support", "Reflective practice", "Responsiveness"):
        assert f"<b>{element_name}</b>" in message
    assert "Jo&#x27;s keyworker knows her sister" in message and "The rota is posted" not in message
    assert "round by round: 3 Feb: 1 · 10 Mar: 3" in message
    line = summary_line(summary.relationship_counts, second.id)  # the line under the round's summary
    assert line == "🤝 <b>Relationships thread:</b> 3 items in 3 elements (last round 1)."
    assert summary_line(thread.counts, second.id) == line

    text = pdf_text(round_report_pdf(current, previous, compress=False)[0][1])
    section = text[text.index("Relationships thread\nRelationships run through every element"):]
    for _, said in SAID.values():
        assert said.split(",")[0] in section
    flat = " ".join(text.split())  # lines wrap where the page is full
    assert "Round by round: 3 Feb: 1 · 10 Mar: 3." in flat
    assert "3 items about relationships, in 3 elements: Support, Reflective practice, Responsiveness." in flat


def test_the_pdf_opens_with_a_one_page_summary_then_the_action_table(db):
    with session_scope(db) as s:
        team, people = make_team(s)
        first = _first_round(s, team, people)
        _settle_earlier_actions(s, people)
        second, _ = _second_round(s, team, people)
        current, previous = _results(s, first.id, second.id)
    text = pdf_text(round_report_pdf(current, previous, compress=False)[0][1])

    text = " ".join(text.split())  # lines wrap where the page is full
    page_one = text[:text.index("· page 1")]
    page_two = text[text.index("· page 1"):text.index("· page 2")]
    for words in ("PIE self-assessment report", "Where we are", "Support", "up a level",
                  "Responsiveness", "held steady", "Our actions", "Relationships thread",
                  "Distance travelled, not pass or fail"):
        assert words in page_one, words
    assert "11 of 20" not in page_one and "of 20" not in text
    assert "3 actions: 1 done, 2 still open (1 past its date)." in page_one
    assert "Weekly debrief after nights (Bea, done 13 Feb)" in page_one
    assert "Agreed in this round" in page_two and "From earlier rounds and check-ins" in page_two
    for words in ("Ask the council about move-on", "Past its date", "Paint the lounge", "Still on",
                  "Weekly debrief after nights", "13 Feb 2026"):
        assert words in page_two, words
    assert text.index("· page 2") < text.index("Element by element")
    # Two elements had nothing written: said once, not on every page.
    assert text.lower().count("nothing recorded") == 1
    assert "Nothing recorded for: Reflective practice, Training." not in text  # one of them had an item
    assert "Nothing recorded for: Training." in text


def test_anonymous_rounds_carry_no_names_in_the_thread_or_the_summary(db):
    with session_scope(db) as s:
        team, people = make_team(s)

        def during(round_):
            # Three people at each stage, so the answers of an anonymous round are let into the record at its
            # close (fewer stay sealed).
            for element_id, (stage, text) in SAID.items():
                for n, person in enumerate(people[1:]):
                    rounds.add_evidence(s, round_, person, element_id, stage, text=text if n == 0 else f"{n} more")
        second = run_round(s, team, people, ELEMENTS, {"support": 12}, closed_at=T2, anonymous=True, during=during,
                           answers={e: [5, 9, 12, 14] for e in ELEMENTS})
        names = [p.display_name for p in people]
    with session_scope(db) as s:
        # Marked once the round has closed, by each item's id, as a facilitator's /items does for an
        # anonymous round (its author's note has no such button); the mark is kept apart from the answer.
        said = {text for _, text in SAID.values()}
        for item in relationships.thread_candidates(s, second.id):
            if item.text in said:
                relationships.mark_about_relationships(s, item.evidence_id)
        result = round_result(s, second.id)
        thread = relationships.relationships_thread(s, second.id)
        assert not s.exec(select(Evidence).where(Evidence.round_id == second.id, Evidence.about_relationships)).all()
    assert sorted(i.text for i in thread.items) == sorted(text for _, text in SAID.values())
    text = pdf_text(round_report_pdf(result, compress=False)[0][1]) + thread_message(thread)
    for name in names:
        assert name not in text


def test_only_evidence_hinders_and_helps_can_be_about_relationships(db):
    with session_scope(db) as s:
        team, people = make_team(s)
        round_ = rounds.open_round(s, team_id=team.id, element_ids=["support"], scope="element", scope_ref="support",
                                   mode="live", anonymous=False, framework_variant="pies2", opened_by=None)
        review = rounds.add_evidence(s, round_, people[0], "support", "review", text="We did it")
        item = rounds.add_evidence(s, round_, people[0], "support", "helping", text="Shared meals")
        with pytest.raises(NotAllowed):
            relationships.mark_about_relationships(s, review.id)
        with pytest.raises(NotAllowed):
            relationships.mark_about_relationships(s, 987654)
        assert relationships.mark_about_relationships(s, item.id).about
        assert not relationships.mark_about_relationships(s, item.id, about=False).about
        assert relationships.relationships_thread(s, round_.id).items == []
