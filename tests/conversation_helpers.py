"""Shared pieces for the conversation tests: a small framework of our own, named views, a revealed round."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from conversations.keyboards import (
    Button,
)
from conversations.pizazz import (
    LiveRound,
)
from conversations.texts.live import View
from framework import Element, Framework, Level, Scale, Stage, Theme

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # a Monday


def questions(topic: str) -> dict[Stage, list[str]]:
    return {
        Stage.ASSESSMENT: [
            f"How is {topic} going?",
            f"What would better {topic} look like?",
            "Third?",
            "Fourth?",
        ],
        Stage.EVIDENCE: [f"When did {topic} last make a difference?", "Who would notice?"],
        Stage.HINDERING: ["What slows us down?", "What is outside our control?"],
        Stage.HELPING: ["What already works?", "Who could help?"],
        Stage.ACTION_PLAN: ["What is one small step?", "Who will own it?"],
        Stage.REVIEW: ["What changed?", "What surprised us?"],
    }


def small_framework() -> Framework:
    scale = Scale(
        levels=[
            Level(number=1, label="Not yet", guidance="Just starting."),
            Level(number=2, label="Getting there", guidance="Some of the time."),
            Level(number=3, label="Well on the way", guidance="Most of the time."),
            Level(number=4, label="Part of us", guidance="It is how we work."),
        ]
    )
    return Framework(
        id="test",
        name="Test framework",
        scale=scale,
        themes=[
            Theme(
                id="training-and-support",
                name="Training and support",
                description="Learning and looking after staff.",
                elements=[
                    Element(
                        id="training",
                        name="Training",
                        description="Learning beyond induction.",
                        questions=questions("training"),
                    ),
                    Element(
                        id="support",
                        name="Support",
                        description="Looking after staff.",
                        questions=questions("support"),
                    ),
                ],
            ),
            Theme(
                id="our-own",
                name="Our <b>own</b> & more",
                description="Written in by the team.",
                written_in=True,
                elements=[
                    Element(
                        id="relationships",
                        name="Relationships <b>&",
                        description="Pets & <i>peers</i>.",
                        questions=questions("relationships"),
                        written_in=True,
                    ),
                ],
            ),
        ],
    )


def named(*pairs: tuple[str, int]) -> list[View]:
    return [View(index, name) for name, index in pairs]


def revealed_round(ids: list[str] | None = None) -> LiveRound:
    state = LiveRound(ids or ["training", "support", "relationships"])
    state.reveal(rated=3, members=5)
    return state


def visible(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)



def all_buttons(keyboard: list[list[Button]]) -> list[Button]:
    return [button for row in keyboard for button in row]


