"""CSV exports for spreadsheets: ratings, check-ins and actions.

UTF-8 with a byte-order mark so Excel opens names in any script correctly, and every text cell that a
spreadsheet would run as a formula is defused with a leading single quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from conversations.spread import MIN_ANSWERS_FOR_SPREAD as MIN_ANSWERS
from conversations.texts import charts as charts_texts
from conversations.texts import exports as texts
from conversations.texts.charts import DEFAULT_LEVEL_LABELS

from .data import ActionRow, CheckInSeries, RoundResult, level_of

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
            view = [rnd.place(e.team_view) if e.team_view is not None else "", e.team_view]
            if not e.ratings:
                # Keep elements nobody rated (or rated only as a team) so nothing silently disappears.
                yield [*base, "", "", "", "", *view]
                continue
            if rnd.anonymous and len(e.ratings) < MIN_ANSWERS:
                # The rule of three: one or two anonymous answers would give their authors away.
                yield [*base, texts.TOO_FEW, "", "", "", *view]
                continue
            for name, index in e.ratings:
                member = texts.ANONYMOUS if rnd.anonymous or name is None else name
                level = level_of(index)
                yield [*base, member, rnd.place(index), index, labels[level - 1] if level <= len(labels) else "",
                       *view]


def checkin_rows(series: Iterable[CheckInSeries], level_labels: list[str]) -> Iterable[list[object]]:
    for s in series:
        labels = list(s.level_labels) or level_labels
        for p in sorted(s.points, key=lambda p: p.on):
            if p.missed:
                yield [_iso(p.on), s.element_name, 0, "", "", "", "", "", "", *([""] * len(level_labels)),
                       texts.YES]
                continue
            if p.answered < MIN_ANSWERS:
                # The rule of three: from one or two answers a middle, a lowest, a highest or a count per
                # level gives people away. Only how many answered is written.
                yield [_iso(p.on), s.element_name, p.answered, "", "", texts.TOO_FEW, "", "", "",
                       *([""] * len(level_labels)), texts.NO]
                continue
            f = p.figures
            spread = f.spread
            exact = sum(f.places.values())
            middle = charts_texts.middle_words(labels, f.middle_place, f.middle_level)
            yield [_iso(p.on), s.element_name, p.answered, exact, p.answered - exact, middle,
                   _number(f.middle_place), _number(spread.low if spread else None),
                   _number(spread.high if spread else None),
                   *(f.by_level.get(level, 0) for level in range(1, len(level_labels) + 1)), texts.NO]


def action_rows(actions: Iterable[ActionRow]) -> Iterable[list[object]]:
    for a in actions:
        yield [a.text, a.theme_name, a.element_name, a.owner, _iso(a.due), a.status, a.success_measure,
               _iso(a.done_on), a.reason if a.status == "dropped" else None]


def export_csv(ratings: Iterable[RoundResult], checkins: Iterable[CheckInSeries],
               actions: Iterable[ActionRow], level_labels: list[str] | None = None) -> list[tuple[str, bytes]]:
    """[("ratings.csv", ...), ("checkins.csv", ...), ("actions.csv", ...)], each with a header row even if empty.

    `level_labels` are the team's names for the levels (the check-ins' own, if they carry them)."""
    checkins = list(checkins)
    labels = list(level_labels or (checkins[0].level_labels if checkins else DEFAULT_LEVEL_LABELS))
    return [
        ("ratings.csv", _csv(texts.RATINGS_HEADER, ratings_rows(ratings))),
        ("checkins.csv", _csv(texts.checkins_header(labels), checkin_rows(checkins, labels))),
        ("actions.csv", _csv(texts.ACTIONS_HEADER, action_rows(actions))),
    ]
