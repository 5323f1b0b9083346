"""The smaller holes around anonymity: a short signing secret, no secret at all, and a peer reviewer's
comment prompt that used to stay open for good."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError
from sqlmodel import select

from piebot.settings import Settings
from piebot.storage import peer_reviews
from piebot.storage.db import Database, session_scope
from piebot.storage.models import PeerReview, Prompt, Round, Team, utcnow
from piebot.telegram.app import build_application
from tests.conftest import make_settings


def test_a_signing_secret_shorter_than_32_bytes_is_refused():
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(_env_file=None, PIEBOT_SIGNING_SECRET="too-short")
    assert Settings(_env_file=None, PIEBOT_SIGNING_SECRET="x" * 32).secret_bytes() == b"x" * 32


def test_without_a_secret_the_bot_says_at_start_what_rotating_the_token_would_do(caplog):
    caplog.set_level(logging.WARNING)
    build_application(make_settings(None, "sqlite://", PIEBOT_SIGNING_SECRET=""), Database("sqlite://"))
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "PIEBOT_SIGNING_SECRET is not set" in said and "unreadable" in said and "links" in said


def test_a_peer_review_takes_one_reply_and_then_its_prompt_is_gone(db):
    with session_scope(db) as s:
        team = Team(chat_id=-5, name="T", set_up=True)
        s.add(team)
        s.flush()
        round_ = Round(team_id=team.id, status="closed")
        s.add(round_)
        s.flush()
        s.add(PeerReview(round_id=round_.id, code_hash="h", redeemed_at=utcnow(), reviewer_user_id=77))
        peer_reviews.keep_prompt(s, 77, 900, team.id, round_.id)
        ids = (round_.id, team.id)
    with session_scope(db) as s:
        assert peer_reviews.add_comments(s, *ids, 77, "Good work", (77, 900), utcnow()) == -5
    with session_scope(db) as s:
        assert s.exec(select(Prompt)).all() == []
        # A second reply, even to a copy of the prompt, reaches nobody.
        assert peer_reviews.add_comments(s, *ids, 77, "and again, for ever", (77, 900), utcnow()) is None
        assert s.exec(select(PeerReview)).one().comments == "Good work"
