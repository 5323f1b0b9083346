"""No text of the bot says a place on the scale as a number: not "Just starting · 5 of 5" (which reads as a
score), not "3·4", "position 5", "at 15", "(8→11)", "11 of 20", "+3 places" or "moved up 3 places".

Two ways of looking: the source of every module that holds words (conversations/, the framework's scale,
the charts, the adapters that build buttons) is scanned for the old forms, and every card, button,
summary, prompt, caption, chart detail, PDF and CSV is rendered with sample data and the result scanned.
The end-to-end side (a real bot and the local Bot API server) is tests/test_one_form_end_to_end.py.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from conversations.actions import Action
from conversations.checkin import CheckInResult, checkin_keyboard
from conversations.checkin_figures import Answer
from conversations.checkin_summary import checkin_summary
from conversations.keyboards import positions_caption, rating_levels, rating_positions
from conversations.pizazz import AsyncWalk, LiveRound
from conversations.texts import assess, peer_review, scale, service_users
from conversations.texts.live import View, element_card, facilitator_keyboard, spread_block, team_view_line
from conversations.texts.summary import ElementResult as SummaryResult
from conversations.texts.summary import RoundSummary, live_status, round_summary
from conversations.texts.walk import team_view_choice, walk_keyboard, walk_prompt
from framework import load_framework
from piebot.charts import (
    ActionRow,
    CheckInPoint,
    CheckInSeries,
    ElementResult,
    RoundResult,
    action_table,
    distance_travelled,
    responsiveness_trend,
    spread,
    team_profile,
)
from piebot.charts.export import export_csv
from piebot.charts.levels import levels_side_by_side
from piebot.charts.network import OVERVIEW_CHARTS
from piebot.charts.network_report import network_report_pdf
from piebot.charts.report import round_report_pdf
from tests.test_chart_heights import overview_of
from tests.test_charts import pdf_text

ROOT = Path(__file__).resolve().parent.parent

# A place said as a number, in any of the ways piebot used to say one.
OLD_FORMS = {
    "N of 5": re.compile(r"\b[1-5] of 5\b(?! (have|answered|finished|elements?|people|members))"),
    "N·M": re.compile(r"\b[1-4] ?· ?[1-5]\b(?![\d:])"),
    "position N": re.compile(r"\bposition \d"),
    "N of 20": re.compile(r"\b\d{1,2} of 20\b"),
    "+N places": re.compile(r"[+−-]\d+\s*(places?\b)?(?=[ ,.)(]|$)(?<!\d{4})"),
    "N places": re.compile(r"\b\d+(\.\d)? places?\b"),
    "at N": re.compile(r"\bat \d{1,2}\b(?![:\d])"),
    "(N→M)": re.compile(r"\d\s*→\s*\d"),
    "20-place": re.compile(r"\b20-place\b"),
    "middle N": re.compile(r"\bmiddle( view)?:? \d"),
    "team view N": re.compile(r"\bteam view:? \d"),
    "from N to M": re.compile(r"\bfrom \d{1,2} to \d{1,2}\b"),
    "was N": re.compile(r"\(was \d"),
}


def old_forms_in(text: str) -> list[str]:
    found = []
    for name, pattern in OLD_FORMS.items():
        for match in pattern.finditer(text):
            # Dates are not places: "3 Feb", "+2 weeks" and times are left alone.
            after = text[match.end():match.end() + 5]
            if name == "+N places" and (re.match(r"\s*(weeks?|days?|months?)", after) or not match.group(1)):
                continue
            found.append(f"{name}: …{text[max(0, match.start() - 30):match.end() + 10]}…")
    return found


def test_the_check_sees_every_old_form():
    said = ["Just starting · 5 of 5", "[ 3·4 ]", "Networks (Well on the way, position 5)", "Networks at 15",
            "moved up 3 places", "(8→11)", "11 of 20", "+3 places", "on the 20-place scale", "middle 6.5",
            "team view 9", "4 answers from 5 to 9", "Ash House 8 (was 6)", "Spread 3 places"]
    for words in said:
        assert old_forms_in(words), words
    fine = ["3 of 5 have rated", "Start a round · 1 of 4", "Check-in at 14:00", "3 Feb: 1 · 10 Mar: 3",
            "in 2 weeks", "Getting there — near the top", "up a level", "1 of 5 elements with a team view"]
    for words in fine:
        assert old_forms_in(words) == [], words


# ---------------------------------------------------------------- the source

WORD_MODULES = [*sorted((ROOT / "conversations").rglob("*.py")), ROOT / "framework" / "model.py",
                *sorted((ROOT / "piebot" / "charts").glob("*.py")),
                *sorted((ROOT / "piebot" / "telegram").rglob("*.py"))]
# How the old forms were built in code: a position "of" the positions, a level·position label, and so on.
# (What they were built from may now hold words: "team view {team_view}" is fine when team_view is a
# place in words, so the rendered texts below are what settles it.)
OLD_IN_SOURCE = re.compile(
    r"of \{(self\.|scale\.)?positions\}|\{level\}·\{position\}|\{lv\.number\} · |position \{|20-place"
    r"|places in all|\{'\+' if|\(was \{|\{old\}→\{new\}|scale\.describe\(|\bdescribe\(scale")


@pytest.mark.parametrize("path", WORD_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_builds_a_place_as_a_number(path):
    source = path.read_text(encoding="utf-8")
    # The docstrings that say what is never said are allowed to quote it; code is not.
    code = re.sub(r'"""(.|\n)*?"""', "", source)
    assert [m.group(0) for m in OLD_IN_SOURCE.finditer(code)] == []


# ---------------------------------------------------------------- everything rendered

FRAMEWORK = load_framework()
LABELS = [lv.label for lv in FRAMEWORK.scale.levels]
VIEWS = [View(v, n) for v, n in ((5, "Sam"), (9, "Jo"), (11, "Kim"), (15, "Lee"), (20, "Mo"))]


def rendered_messages() -> list[str]:
    texts: list[str] = []
    state = LiveRound(["training", "support"])
    texts.append(element_card(FRAMEWORK, state, [View(0)] * 2, 6, anonymous=False))
    texts.append(assess.grid_help(FRAMEWORK, anonymous=True))
    state.reveal(rated=5, members=6)
    texts.append(element_card(FRAMEWORK, state, VIEWS, 6, anonymous=False))
    texts.append(spread_block(FRAMEWORK, VIEWS, anonymous=False))
    texts.append(spread_block(FRAMEWORK, VIEWS, anonymous=False, names_shown=True))
    texts += [b.label for row in facilitator_keyboard(FRAMEWORK, state, VIEWS) for b in row]
    state.set_team_view(12)
    texts.append(element_card(FRAMEWORK, state, VIEWS, 6, anonymous=True))
    texts.append(team_view_line(FRAMEWORK, 12))
    texts.append(live_status(FRAMEWORK, state, 5, 6))
    texts.append(assess.bead_placed(scale.place_plain(FRAMEWORK.scale, 14), moved=True))
    texts.append(round_summary(FRAMEWORK, RoundSummary(
        "PIE check", date(2026, 6, 1),
        [SummaryResult("training", 11, [2, 18, 10], earlier_view=8), SummaryResult("support", 7, [6, 7, 8], 7),
         SummaryResult("responsiveness", 15, [12, 16, 20], earlier_view=3)],
        [Action("Book training", "Sam", date(2026, 7, 1))], earlier_on=date(2026, 1, 1))))
    # The keyboards: in the group (grid, check-in beads) and in private (level, then where in it).
    from piebot.telegram.rounds.card import grid

    texts += [b.text for row in grid(FRAMEWORK, "rt", 1, "P") for b in row]
    texts += [b.label for row in checkin_keyboard(FRAMEWORK) for b in row]
    texts += [b.label for row in rating_levels(FRAMEWORK.scale) + rating_positions(FRAMEWORK.scale, 3) for b in row]
    texts.append(positions_caption(FRAMEWORK.scale, 3))
    walk = AsyncWalk(["training", "support"])
    texts.append(walk_prompt(FRAMEWORK, walk.current()))
    texts += [b.label for row in walk_keyboard(FRAMEWORK, walk.current()) for b in row]
    texts.append(team_view_choice("Training", scale.place_plain(FRAMEWORK.scale, 9)))
    texts.append(checkin_summary(FRAMEWORK, CheckInResult(
        "responsiveness", 6, [Answer.at(v) for v in (6, 8, 9, 11, 12)], date(2026, 6, 9),
        previous_ratings=[Answer.at(v) for v in (5, 6, 7)])))
    texts.append(checkin_summary(FRAMEWORK, CheckInResult(
        "responsiveness", 6, [Answer.in_level(2)] * 3, date(2026, 6, 9), previous_ratings=[Answer.at(14)] * 3)))
    texts.append(peer_review.reviewer_view(FRAMEWORK, peer_review.ReviewPack(
        "Elm House", "PIE check", [peer_review.ReviewElement("training", 9, views=[8, 9, 12])], [])))
    place = scale.place(FRAMEWORK.scale, 4)
    texts.append(service_users.comparison_line("Pathways", 3, place, scale.place(FRAMEWORK.scale, 12)))
    texts.append(service_users.group_news("Pathways", 3, place, None, True))
    texts.append(service_users.rated(2, place))
    return texts


def chart_words() -> list[str]:
    """Every chart's caption and details, with an earlier round to compare with and check-ins over time."""
    def elements(shift: int) -> list[ElementResult]:
        return [ElementResult(e.id, e.name, FRAMEWORK.theme(e.theme_id).name, False,
                              [(n, max(1, min(20, 3 + i + shift + k * 2))) for k, n in enumerate("ABCD")],
                              max(1, min(20, 4 + i + shift)))
                for i, e in enumerate(FRAMEWORK.elements[:6])]

    before = RoundResult(1, "Hope House", date(2026, 1, 1), False, LABELS, elements(0))
    after = RoundResult(2, "Hope House", date(2026, 6, 1), False, LABELS, elements(3))
    one = RoundResult(3, "Hope House", date(2026, 7, 1), False, LABELS, elements(5)[:1])
    start = date(2026, 3, 2)
    points = [CheckInPoint(start + timedelta(weeks=w), tuple(Answer.at(v + w) for v in (6, 8, 11))) for w in range(4)]
    points.append(CheckInPoint(start + timedelta(weeks=4), (Answer.in_level(3),) * 3))
    actions = [ActionRow("Book training", "Training and support", "Sam", date(2026, 7, 1), "open")]
    charts = [team_profile(after, before), team_profile(one, after), spread(after), spread(one),
              distance_travelled(before, after), levels_side_by_side(after, {"training": [4, 9, 12]}),
              responsiveness_trend(points, "Responsiveness", LABELS), action_table(actions)]
    overview = overview_of(5)
    charts += [make(overview) for make in OVERVIEW_CHARTS]
    return [words for chart in charts for words in (chart.caption, chart.details)]


def files() -> list[str]:
    """The round's PDF, the network's PDF and the CSV files, as their words."""
    before = RoundResult(1, "Hope House", date(2026, 1, 1), False, LABELS, [
        ElementResult("training", "Training", "Training and support", False, [("A", 4), ("B", 8), ("C", 9)], 7)])
    after = RoundResult(2, "Hope House", date(2026, 6, 1), False, LABELS, [
        ElementResult("training", "Training", "Training and support", False, [("A", 9), ("B", 12), ("C", 14)], 12,
                      previous_team_view=7)])
    [(_, report)] = round_report_pdf(after, before, compress=False)
    _, network = network_report_pdf(overview_of(5, ids=["pathways", "sector-engagement", "training"]),
                                    compress=False)
    series = [CheckInSeries("Responsiveness", [CheckInPoint(date(2026, 3, 2), tuple(Answer.at(v) for v in (6, 8, 11)))],
                            LABELS)]
    csvs = [data.decode("utf-8-sig") for _, data in export_csv([before, after], series, [], LABELS)]
    return [" ".join(pdf_text(report).split()), " ".join(pdf_text(network).split()), *csvs]


@pytest.mark.parametrize("source", ["messages and buttons", "chart captions and details", "PDF and CSV files"])
def test_no_text_says_a_place_as_a_number(source):
    texts = {"messages and buttons": rendered_messages, "chart captions and details": chart_words,
             "PDF and CSV files": files}[source]()
    found = [problem for text in texts for problem in old_forms_in(_without_number_columns(text))]
    assert found == []
    # And the one form is there: a level's name and where in it.
    assert any(re.search(r"(Just starting|Getting there|Well on the way|Embedded) — (at the start|early on|halfway|"
                         r"well along|near the top)", text) for text in texts)


def _without_number_columns(text: str) -> str:
    """A CSV may give the 1-20 number in a column of its own: those columns are the one place for it."""
    if not text.startswith(("round,", "date,")):
        return text
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    keep = [i for i, name in enumerate(rows[0]) if "(1-20)" not in name]
    return "\n".join(",".join(row[i] for i in keep if i < len(row)) for row in rows)
