"""Where one person stands in the rounds they take in their own time: which round they are walking
now, how far they are in each, and which question of the bot's waits for their answer.

It is kept in the database as JSON (the `Dialog` row of their private chat, under "walk"):

    {"active": round id or None,
     "rounds": {"<round id>": {"progress": AsyncWalk.progress(), "prompt": message id or None}}}

`Walks.load` reads what is stored, however old or hand-fixed; `Walks.dump` gives it back in the
same shape. Nothing here knows about Telegram or SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conversations.pizazz import AsyncWalk


@dataclass
class Place:
    """How far someone is in one round, and the question waiting for their answer (its buttons are the
    only live ones; older questions' buttons are out of date)."""

    progress: dict[str, Any] | None = None
    prompt: int | None = None


def _whole_number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Walks:
    """One person's walks: at most one active (the one their typed answers go to), and their place in
    every round they have started, kept after it closes so a late answer can be told kindly."""

    def __init__(self, active: int | None = None, places: Mapping[int, Place] | None = None) -> None:
        self.active = active
        self._places: dict[int, Place] = dict(places or {})

    # ---------------------------------------------------------------- stored form

    @classmethod
    def load(cls, stored: Any) -> Walks:
        """Read the stored dict. Whatever cannot be trusted is left out rather than lose the rest."""
        if not isinstance(stored, Mapping):
            return cls()
        places = {}
        rounds = stored.get("rounds")
        for key, entry in (rounds.items() if isinstance(rounds, Mapping) else ()):
            try:
                round_id = int(key)
            except (TypeError, ValueError):
                continue
            entry = entry if isinstance(entry, Mapping) else {}
            progress = entry.get("progress")
            places[round_id] = Place(
                progress=dict(progress) if isinstance(progress, Mapping) else None,
                prompt=_whole_number(entry.get("prompt")),
            )
        return cls(_whole_number(stored.get("active")), places)

    def dump(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "rounds": {
                str(round_id): {
                    "progress": dict(place.progress) if place.progress is not None else None,
                    "prompt": place.prompt,
                }
                for round_id, place in self._places.items()
            },
        }

    # ---------------------------------------------------------------- reading

    def is_empty(self) -> bool:
        """No active walk and no place kept in any round: nothing worth storing."""
        return self.active is None and not self._places

    def is_active(self, round_id: int) -> bool:
        return self.active is not None and self.active == round_id

    def has_started(self, round_id: int) -> bool:
        return round_id in self._places

    def started(self) -> list[int]:
        return list(self._places)

    def progress(self, round_id: int) -> dict[str, Any] | None:
        place = self._places.get(round_id)
        return dict(place.progress) if place and place.progress else None

    def prompt(self, round_id: int) -> int | None:
        """The message whose question waits for an answer in this round, if any."""
        place = self._places.get(round_id)
        return place.prompt if place else None

    def walk(self, round_id: int, element_ids: Sequence[str], strengths_first: bool,
             reviewed: Sequence[str] = ()) -> AsyncWalk:
        return AsyncWalk(element_ids, strengths_first, self.progress(round_id), reviewed)

    def walking_another(self, round_id: int, open_rounds: Iterable[int]) -> bool:
        """Part-way through another round that is still open: a new one is offered, not imposed."""
        return self.active is not None and self.active != round_id and self.active in set(open_rounds)

    # ---------------------------------------------------------------- changing

    def _place(self, round_id: int) -> Place:
        return self._places.setdefault(round_id, Place())

    def take_up(self, round_id: int) -> None:
        """This round becomes the one they are walking; their place in it is kept."""
        self._place(round_id)
        self.active = round_id

    def put_down(self, round_id: int) -> None:
        """They are no longer walking this round (another active one is left alone)."""
        if self.active == round_id:
            self.active = None

    def asked(self, round_id: int, message_id: int) -> None:
        """A question was sent; it is the one waiting for an answer now."""
        self._place(round_id).prompt = message_id

    def sent(self, standing_in: int, message_id: int) -> bool:
        """The question asked under the stand-in id `standing_in` (while it was on its way) is the
        message `message_id`; whether it is still the one waiting."""
        found = False
        for place in self._places.values():
            if place.prompt == standing_in:
                place.prompt = message_id
                found = True
        return found

    def moved(self, round_id: int, walk: AsyncWalk) -> None:
        """A step was answered, skipped or gone back on: the new place, no question waiting yet, and the
        walk stays active until it is done."""
        self._places[round_id] = Place(progress=walk.progress(), prompt=None)
        if walk.done:
            self.put_down(round_id)
        else:
            self.active = round_id

    def stop(self, round_id: int) -> None:
        """Stop for now, or the round closed: no question waits, the place is kept."""
        self._place(round_id).prompt = None
        self.put_down(round_id)

    def forget(self, round_id: int) -> None:
        self._places.pop(round_id, None)
        self.put_down(round_id)
