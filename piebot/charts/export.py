"""CSV exports for spreadsheets: ratings, check-ins and actions.

UTF-8 with a byte-order mark so Excel opens names in any script correctly, and every text cell that a
spreadsheet would run as a formula is defused with a leading single quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from conversations.texts import exports as texts

from .data import ActionRow, CheckInSeries, RoundResult, level_of, position_of

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would treat as a formula gets a leading quote; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(header: list[str], rows: Iterable[list[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


def _number(value: float | None) -> object:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 2)


def ratings_rows(rounds: Iterable[RoundResult]) -> Iterable[list[object]]:
    for rnd in rounds:
        labels = list(rnd.level_labels)
        for e in rnd.elements:
            base = [rnd.round_id, rnd.team_name, _iso(rnd.closed_on), e.theme_name, e.element_name,
                    texts.YES if e.written_in else texts.NO]
            if not e.ratings:
                # Keep elements nobody rated (or rated only as a team) so nothing silently disappears.
                yield [*base, "", "", "", "", "", e.team_view]
                continue
            for name, index in e.ratings:
                member = texts.ANONYMOUS if rnd.anonymous or name is None else name
                level = level_of(index)
                yield [*base, member, index, level, labels[level - 1] if level <= len(labels) else "",
                       position_of(index), e.team_view]


def checkin_rows(series: Iterable[CheckInSeries]) -> Iterable[list[object]]:
    for s in series:
        for p in sorted(s.points, key=lambda p: p.on):
            yield [_iso(p.on), s.element_name, 0 if p.missed else p.answered, _number(p.median),
                   _number(p.low), _number(p.high), texts.YES if p.missed else texts.NO]


def action_rows(actions: Iterable[ActionRow]) -> Iterable[list[object]]:
    for a in actions:
        yield [a.text, a.theme_name, a.element_name, a.owner, _iso(a.due), a.status, a.success_measure]


def export_csv(ratings: Iterable[RoundResult], checkins: Iterable[CheckInSeries],
               actions: Iterable[ActionRow]) -> list[tuple[str, bytes]]:
    """[("ratings.csv", ...), ("checkins.csv", ...), ("actions.csv", ...)], each with a header row even if empty."""
    return [
        ("ratings.csv", _csv(texts.RATINGS_HEADER, ratings_rows(ratings))),
        ("checkins.csv", _csv(texts.CHECKINS_HEADER, checkin_rows(checkins))),
        ("actions.csv", _csv(texts.ACTIONS_HEADER, action_rows(actions))),
    ]
