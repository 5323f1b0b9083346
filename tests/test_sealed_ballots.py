"""The seal itself: a ballot opens only with the secret that sealed it, untouched and in its own scope, and
its length says nothing of the answer but which of a few sizes it fits in."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot.storage import ballots, rounds
from piebot.storage.ballots import BallotKeys
from piebot.storage.db import session_scope
from piebot.storage.models import Member, SealedBallot, Team
from tests.conftest import SIGNING_SECRET

KEYS = BallotKeys(SIGNING_SECRET.encode())
SCOPE = "round:12"
PAYLOAD = {"kind": "evidence", "op": "add", "element": "empathy", "part": "evidence", "row": {"text": "the rota"}}
NONCE, TAG = 12, 16  # AES-GCM: what every ballot carries besides its padded plaintext
SIZES = (256, 1024, 4096, 16384)


def test_a_ballot_opens_with_its_secret_in_its_scope():
    assert KEYS.open(SCOPE, KEYS.seal(SCOPE, PAYLOAD)) == PAYLOAD


def test_another_secret_opens_nothing():
    other = BallotKeys(b"another-signing-secret-of-32-bytes-or-more")
    assert other.open(SCOPE, KEYS.seal(SCOPE, PAYLOAD)) is None
    assert KEYS.open(SCOPE, other.seal(SCOPE, PAYLOAD)) is None


def test_a_ballot_moved_to_another_scope_opens_nothing():
    sealed = KEYS.seal(SCOPE, PAYLOAD)
    for elsewhere in ("round:13", "checkin:12", "support:12", ""):
        assert KEYS.open(elsewhere, sealed) is None


@pytest.mark.parametrize("where", [0, 5, NONCE, NONCE + 40, -TAG, -1])
def test_a_ballot_with_one_bit_changed_opens_nothing(where):
    sealed = bytearray(KEYS.seal(SCOPE, PAYLOAD))
    sealed[where] ^= 0x01
    assert KEYS.open(SCOPE, bytes(sealed)) is None


@pytest.mark.parametrize("cut", [0, 5, NONCE, NONCE + TAG, -1])
def test_a_cut_short_ballot_opens_nothing(cut):
    sealed = KEYS.seal(SCOPE, PAYLOAD)
    assert KEYS.open(SCOPE, sealed[:cut]) is None


def test_each_seal_is_new_so_two_equal_answers_do_not_look_alike():
    assert KEYS.seal(SCOPE, PAYLOAD) != KEYS.seal(SCOPE, PAYLOAD)


def _length(text: str) -> int:
    return len(KEYS.seal(SCOPE, {**PAYLOAD, "row": {"text": text}})) - NONCE - TAG


def test_ballots_are_padded_to_a_few_sizes_whatever_the_answer():
    # A one-letter answer and a paragraph seal to the same length; so do a rating and a written answer.
    assert _length("a") == _length("x" * 150) == _length("é" * 70) == 256
    assert len(KEYS.seal(SCOPE, {"kind": "rating", "op": "put", "row": {"value": 7}})) == NONCE + 256 + TAG
    lengths = {_length("w" * n) for n in range(0, 20000, 97)}
    assert lengths == {*SIZES, 2 * SIZES[-1]}
    # Each bucket holds everything up to its size: the length says only which bucket.
    for small, large in zip(SIZES, SIZES[1:], strict=False):
        assert _length("w" * (small + 1)) == large
        assert _length("w" * (large - 200)) == large


def _open(s, team_id: int):
    return rounds.open_round(s, team_id=team_id, element_ids=["empathy"], scope="element", scope_ref="empathy",
                             mode="async", anonymous=True, framework_variant="pies2", opened_by=None)


async def test_a_ballot_copied_into_another_round_is_left_out_of_that_rounds_box(db):
    with session_scope(db) as s:
        team = Team(chat_id=-900, name="Elm", set_up=True)
        s.add(team)
        s.flush()
        bea = Member(team_id=team.id, telegram_user_id=901, display_name="Bea")
        s.add(bea)
        s.flush()
        first = _open(s, team.id)
        rounds.add_evidence(s, first, bea, "empathy", "evidence", text="words of a few letters")
        rounds.add_evidence(s, first, bea, "empathy", "hindering", text="a much longer answer " * 9)
        rounds.close_round(s, first)  # one person: the ballots stay sealed
    with session_scope(db) as s:
        ids = [first.id, _open(s, first.team_id).id]
    with session_scope(db) as s:
        stored = s.exec(select(SealedBallot)).all()
        # Short and long words sealed to the same length, with nothing readable in them.
        assert len({len(bytes(b.sealed)) for b in stored}) == 1
        assert not any(b"words" in bytes(b.sealed) or b"Bea" in bytes(b.sealed) for b in stored)
        s.add(SealedBallot(key="copied", team_id=stored[0].team_id, scope=ballots.round_scope(ids[1]),
                           sealed=bytes(stored[0].sealed)))
    with db.session() as s:
        assert len(ballots.waiting(s, ballots.round_scope(ids[0]))) == 2
        assert ballots.waiting(s, ballots.round_scope(ids[1])) == []
