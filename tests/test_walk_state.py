"""Where a person stands in their own-time rounds (conversations.walk.Walks), without a bot or a database:
the active round, each round's place and waiting question, and the stored JSON, old rows included."""

from __future__ import annotations

import json

import pytest

from conversations.pizazz import AsyncWalk
from conversations.walk import Walks
from framework import Stage

ELEMENTS = ["training", "support"]


def stored(walks: Walks) -> dict:
    """Through JSON and back, as the Dialog row keeps it."""
    return json.loads(json.dumps(walks.dump()))


def test_nothing_stored_is_no_walk_at_all():
    for nothing in (None, {}, {"active": None, "rounds": {}}):
        walks = Walks.load(nothing)
        assert walks.active is None
        assert walks.started() == []
        assert walks.prompt(7) is None and walks.progress(7) is None
        assert walks.walk(7, ELEMENTS, False).current().element_id == "training"
    assert Walks().dump() == {"active": None, "rounds": {}}


def test_rows_written_before_reads_as_they_were():
    # The shapes the Dialog rows already hold: a round only taken up, one with a question waiting, one part-way.
    row = {
        "active": 12,
        "rounds": {
            "9": {},
            "11": {"prompt": 501},
            "12": {"progress": {"element_index": 1, "element_id": "support", "step": "helping"}, "prompt": 640},
        },
    }
    walks = Walks.load(json.loads(json.dumps(row)))
    assert walks.active == 12 and walks.is_active(12) and not walks.is_active(11)
    assert sorted(walks.started()) == [9, 11, 12]
    assert walks.prompt(11) == 501 and walks.progress(11) is None
    assert walks.prompt(12) == 640
    step = walks.walk(12, ELEMENTS, False).current()
    assert (step.element_id, step.step) == ("support", Stage.HELPING)
    again = Walks.load(stored(walks))
    assert again.dump() == walks.dump()
    assert again.dump()["rounds"]["12"] == row["rounds"]["12"]


def test_what_cannot_be_trusted_is_left_out_and_the_rest_kept():
    assert Walks.load(1).dump() == Walks().dump()  # a hand-written row
    walks = Walks.load({"active": "12", "rounds": {"x": {"prompt": 3}, "4": {"prompt": True, "progress": "far"},
                                                    "5": "junk", "6": {"prompt": 77}}})
    assert walks.active is None
    assert sorted(walks.started()) == [4, 5, 6]
    assert walks.prompt(4) is None and walks.progress(4) is None
    assert walks.prompt(6) == 77
    assert Walks.load({"rounds": []}).started() == []


def test_taking_up_a_round_keeps_its_place_and_makes_it_the_active_one():
    walks = Walks.load({"active": 3, "rounds": {"3": {"prompt": 10}, "4": {"prompt": 20}}})
    walks.take_up(4)
    assert walks.active == 4
    assert walks.prompt(4) == 20  # still there, so its out-of-date buttons can be taken away
    walks.take_up(5)
    assert walks.has_started(5) and walks.prompt(5) is None
    assert stored(walks)["rounds"]["5"] == {"progress": None, "prompt": None}


def test_a_question_asked_is_the_one_waiting_for_an_answer():
    walks = Walks()
    walks.asked(8, 300)
    assert walks.prompt(8) == 300
    assert walks.active is None  # asking does not make a round active
    walks.asked(8, 301)
    assert stored(walks) == {"active": None, "rounds": {"8": {"progress": None, "prompt": 301}}}


def test_a_move_keeps_the_new_place_and_waits_for_the_next_question():
    walks = Walks()
    walks.take_up(8)
    walks.asked(8, 300)
    walk = walks.walk(8, ELEMENTS, False)
    walk.advance(answered=True)
    walks.moved(8, walk)
    assert walks.prompt(8) is None
    assert walks.active == 8
    resumed = Walks.load(stored(walks)).walk(8, ELEMENTS, False)
    assert (resumed.current().element_id, resumed.current().step) == ("training", Stage.EVIDENCE)


def test_finishing_puts_the_walk_down_but_keeps_where_it_ended():
    walks = Walks.load({"active": 8, "rounds": {}})
    walk = walks.walk(8, ["training"], False)
    while not walk.done:
        walk.advance()
    walks.moved(8, walk)
    assert walks.active is None
    assert walks.progress(8) == {"element_index": 1, "step": "done"}
    assert walks.walk(8, ["training"], False).done


def test_a_move_in_one_round_makes_it_active_again():
    walks = Walks.load({"active": 2, "rounds": {"2": {}, "8": {}}})
    walk = walks.walk(8, ELEMENTS, False)
    walk.advance()
    walks.moved(8, walk)
    assert walks.active == 8


def test_stopping_or_closing_keeps_the_place_and_drops_the_question():
    walks = Walks()
    walks.take_up(8)
    walk = walks.walk(8, ELEMENTS, False)
    walk.advance()
    walks.moved(8, walk)
    walks.asked(8, 400)
    walks.stop(8)
    assert walks.active is None and walks.prompt(8) is None
    assert walks.progress(8) == walk.progress()


def test_putting_down_one_round_leaves_another_active_one_alone():
    walks = Walks.load({"active": 3, "rounds": {"3": {}, "4": {}}})
    walks.put_down(4)
    assert walks.active == 3
    walks.stop(4)
    assert walks.active == 3
    walks.put_down(3)
    assert walks.active is None


def test_forgetting_a_round():
    walks = Walks.load({"active": 3, "rounds": {"3": {"prompt": 5}, "4": {}}})
    walks.forget(3)
    assert walks.active is None and not walks.has_started(3) and walks.has_started(4)
    walks.forget(99)  # nothing to forget is fine
    assert stored(walks) == {"active": None, "rounds": {"4": {"progress": None, "prompt": None}}}


@pytest.mark.parametrize(
    ("active", "open_rounds", "busy"),
    [(None, [1, 2], False), (1, [1, 2], False), (2, [1, 2], True), (2, [1], False)],
)
def test_walking_another_round_only_counts_while_that_round_is_open(active, open_rounds, busy):
    walks = Walks(active=active)
    assert walks.walking_another(1, open_rounds) is busy


def test_the_dump_is_a_copy():
    walks = Walks()
    walk = AsyncWalk(ELEMENTS)
    walk.advance()
    walks.moved(1, walk)
    dumped = walks.dump()
    dumped["rounds"]["1"]["progress"]["step"] = "changed"
    assert walks.progress(1)["step"] == "evidence"
