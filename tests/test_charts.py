"""Charts, PDF report and CSV exports: what a reader of the pictures, captions and files would check."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import re
import struct
import zlib
from dataclasses import replace
from datetime import date, timedelta

import pytest

from conversations.checkin_figures import Answer
from piebot.charts import (
    ActionRow,
    Chart,
    CheckInPoint,
    CheckInSeries,
    ElementResult,
    NothingToChart,
    RoundResult,
    action_table,
    close_pool,
    distance_travelled,
    render,
    responsiveness_trend,
    spread,
    team_profile,
)
from piebot.charts.export import export_csv, safe_cell
from piebot.charts.report import ReportTooLarge, round_report_pdf

THEMES = {
    "Psychological awareness": ["Empathy and emotional intelligence", "Approaches and techniques",
                                "Psychological models"],
    "Training and support": ["Training", "Support"],
    "Learning and enquiry": ["A culture of enquiry", "Reflective practice", "Sector engagement",
                             "Evidence-generating practice"],
    "Spaces of opportunity": ["The built environment", "Networks and surroundings",
                              "Pathways, systems and system coherence"],
    "The Three Rs": ["Rules and procedures", "Roles and relationships", "Responsiveness"],
}
LABELS = ["Getting started", "Finding our way", "Growing", "Part of who we are"]
NAMES = ["Alice Fenwick", "Bongani Dube", "Ciarán Walsh", "Dorota Nowak", "Efua Mensah", "Farid Haddad"]


def make_round(members: list[str] | int = NAMES, anonymous: bool = False, seed: int = 1, round_id: int = 2,
               closed: date | None = date(2025, 3, 3), extra: list[ElementResult] = ()) -> RoundResult:
    rnd = random.Random(seed)
    names = [f"Member {i}" for i in range(members)] if isinstance(members, int) else list(members)
    elements = []
    for theme, names_of_elements in THEMES.items():
        for name in names_of_elements:
            centre = rnd.randint(4, 16)
            ratings = [(None if anonymous else n, max(1, min(20, centre + rnd.randint(-3, 3)))) for n in names]
            elements.append(ElementResult(
                name[:12].lower(), name, theme, False, ratings, centre, None,
                evidence=[f"Evidence on {name}"], hinders=[f"Hinders {name}"], helps=[f"Helps {name}"]))
    return RoundResult(round_id, "Riverside Hostel", closed, anonymous, LABELS, elements + list(extra),
                       actions=[ActionRow("Book trauma training", "Training and support", NAMES[0],
                                          date(2025, 5, 1), "open", "Everyone booked", "Training")],
                       peer_comments=["Strong reflective culture; keep it going."])


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def assert_chart(chart: Chart, kind: str) -> None:
    assert chart.kind == kind
    assert png_size(chart.png) == (1080, chart.height_px) and chart.width_px == 1080
    assert 360 <= chart.height_px <= 1350
    # A caption is a line or two a person reads under the picture; the figures are in the details.
    assert 0 < len(chart.caption) <= 1024 and len(chart.caption.splitlines()) <= 2
    assert chart.details and "<" not in chart.caption + chart.details  # plain text, no HTML


def place_of(index: int, labels: list[str] = LABELS) -> str:
    where = ("at the start", "early on", "halfway", "well along", "near the top")[(index - 1) % 5]
    return f"{labels[(index - 1) // 5]} — {where}"


def pdf_text(data: bytes) -> str:
    """Text of an uncompressed fpdf2 PDF, decoded through each font's ToUnicode map."""
    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.DOTALL)}

    def cmap(font_obj: int) -> dict[int, str]:
        ref = re.search(rb"/ToUnicode (\d+) 0 R", objects[font_obj])
        pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]+)>", objects[int(ref.group(1))])
        return {int(c, 16): bytes.fromhex(u.decode()).decode("utf-16-be") for c, u in pairs}

    fonts = {name: cmap(int(ref)) for name, ref in set(re.findall(rb"/(F\d+) (\d+) 0 R", data))}
    out, current = [], {}
    token = re.compile(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", re.DOTALL)
    for m in token.finditer(data):
        if m.group(1):
            current = fonts[m.group(1)]
            continue
        raw = re.sub(rb"\\([nrtbf()\\])", lambda e: {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b",
                                                      b"f": b"\f"}.get(e.group(1), e.group(1)), m.group(2))
        out.append("".join(current.get(int.from_bytes(raw[i:i + 2], "big"), "?") for i in range(0, len(raw), 2)))
    return "\n".join(out)


# ---- charts -------------------------------------------------------------------------------------------

def test_team_profile_caption_states_extremes_and_biggest_mover():
    current = make_round()
    previous = make_round(seed=2, round_id=1, closed=date(2024, 11, 1))
    chart = team_profile(current, previous)
    assert_chart(chart, "team_profile")
    top = max(current.elements, key=lambda e: e.team_view)
    assert f"Furthest along: {top.element_name} ({place_of(top.team_view)})" in chart.details
    before = {e.element_id: e.team_view for e in previous.elements}
    moves = [(e, e.team_view - before[e.element_id]) for e in current.elements]
    levels = {e.element_id: (e.team_view - 1) // 5 - (before[e.element_id] - 1) // 5 for e in current.elements}
    big, change = max(moves, key=lambda m: (abs(levels[m[0].element_id]), abs(m[1]), m[1]))
    assert (f"Biggest move: {big.element_name}, " in chart.details
            and f"(from {place_of(before[big.element_id])} to {place_of(big.team_view)})" in chart.details)
    assert chart.caption.startswith("Where Riverside Hostel is now, 3 Mar 2025: 15 of 15 elements with a team view.")


def test_team_profile_marks_unrated_and_our_own():
    current = make_round(extra=[ElementResult("own", "Relationships with families", "Relationships", True,
                                              [], 7)])
    els = list(current.elements)
    els[4] = replace(els[4], team_view=None, ratings=[])
    chart = team_profile(replace(current, elements=els))
    assert_chart(chart, "team_profile")
    assert f"Not rated: {els[4].element_name}." in chart.details
    assert "1 of the elements are our own" in chart.details


def test_spread_orders_by_disagreement_and_states_range():
    rnd = make_round()
    chart = spread(rnd)
    assert_chart(chart, "spread")
    ranges = {e.element_name: max(v for _, v in e.ratings) - min(v for _, v in e.ratings) for e in rnd.elements}
    widest = max(ranges.values())
    first = chart.details.splitlines()[1]
    element = next(e for e in rnd.elements if first.startswith(e.element_name + ":"))
    values = sorted(v for _, v in element.ratings)
    assert values[-1] - values[0] == widest
    assert f"from {place_of(values[0])} to {place_of(values[-1])}" in first
    assert "6 people answered" in chart.caption and "6 people answered" in chart.details


def test_spread_anonymous_has_no_names_and_hides_thin_elements():
    rnd = make_round(anonymous=True)
    els = list(rnd.elements)
    els[0] = replace(els[0], ratings=[(None, 3), (None, 18)])
    chart = spread(replace(rnd, elements=els))
    assert_chart(chart, "spread")
    assert not any(name.split()[0] in chart.caption + chart.details for name in NAMES)
    assert "fewer than 3 answers — not shown, to keep answers anonymous" in chart.details.lower()
    assert f"{els[0].element_name}: 2 answers" not in chart.details
    assert place_of(3) not in chart.details and place_of(18) not in chart.details


def test_spread_named_round_caption_has_no_names_either():
    chart = spread(make_round())
    assert not any(part in chart.caption + chart.details for name in NAMES for part in name.split())


def test_spread_with_too_few_everywhere_says_so():
    rnd = make_round(members=["A", "B"])
    with pytest.raises(NothingToChart, match="to keep answers anonymous"):
        spread(rnd)


def test_sixty_members_render():
    rnd = make_round(members=60, anonymous=True)
    assert_chart(spread(rnd), "spread")
    assert_chart(team_profile(rnd), "team_profile")
    assert "60 people answered" in spread(rnd).caption


def test_one_member():
    rnd = make_round(members=["Solo"])
    assert_chart(team_profile(rnd), "team_profile")
    with pytest.raises(NothingToChart):
        spread(rnd)


def test_twenty_written_in_elements_with_long_names_and_emoji():
    extra = [ElementResult(f"own{i}", f"Our own element {i} 🐶✨ about relationships with families, peers, "
                           "neighbours and the pets people bring with them into the hostel", "Relationships 💬",
                           True, [(n, (i % 20) + 1) for n in NAMES], (i % 20) + 1) for i in range(20)]
    rnd = make_round(extra=extra)
    for chart in (team_profile(rnd), spread(rnd), distance_travelled(make_round(seed=3), rnd)):
        assert_chart(chart, chart.kind)
    assert "20 of the elements are our own" in team_profile(rnd).details


def test_rtl_names_render():
    rnd = make_round(members=["דנה כהן", "محمد علي", "Sam"],
                     extra=[ElementResult("rtl", "יחסים עם משפחות", "علاقات", True,
                                          [("דנה כהן", 4), ("محمد علي", 9), ("Sam", 12)], 8)])
    for chart in (team_profile(rnd), spread(rnd)):
        assert_chart(chart, chart.kind)
    assert "יחסים עם משפחות" in team_profile(rnd).details


def test_dollar_signs_do_not_start_mathtext():
    rnd = make_round(extra=[ElementResult("m", "Budget $5 and $ signs $x^", "Money $", True, [], 5)])
    assert_chart(team_profile(rnd), "team_profile")


def test_no_data_raises_a_kind_message():
    empty = RoundResult(1, "T", None, False, LABELS, [])
    for call in (lambda: team_profile(empty), lambda: spread(empty), lambda: distance_travelled(empty, empty),
                 lambda: responsiveness_trend([]), lambda: action_table([])):
        with pytest.raises(NothingToChart) as info:
            call()
        assert str(info.value) and len(str(info.value)) < 300


def test_never_rated_round_raises():
    rnd = make_round()
    unrated = replace(rnd, elements=[replace(e, team_view=None, ratings=[]) for e in rnd.elements])
    with pytest.raises(NothingToChart):
        team_profile(unrated)


def checkins() -> list[CheckInPoint]:
    """Eight weekly check-ins: places chosen in private at first, then levels tapped in the group, one missed."""
    start = date(2025, 1, 6)
    points = []
    for i in range(8):
        if i == 3:
            points.append(CheckInPoint(start + timedelta(weeks=i), missed=True))
        elif i < 3:
            points.append(CheckInPoint(start + timedelta(weeks=i),
                                       tuple(Answer.at(v) for v in (5 + i, 8 + i, 12 + i, 8 + i, 9))))
        else:
            levels = [2, 3, 3] + [3] * (i % 3)
            points.append(CheckInPoint(start + timedelta(weeks=i), tuple(Answer.in_level(v) for v in levels)))
    return points


def test_trend_caption_matches_points():
    points = checkins()
    chart = responsiveness_trend(points, level_labels=LABELS)
    assert_chart(chart, "responsiveness_trend")
    last = points[-1]
    assert chart.caption == (f"Responsiveness over time: 8 check-ins.\n"
                             f"Latest, 24 Feb 2025: {last.answered} answered, middle view {LABELS[2]}.")
    assert f"Latest, 24 Feb 2025: {last.answered} answered — 1 in {LABELS[1]}, 3 in {LABELS[2]}." in chart.details
    assert f"Middle view: {LABELS[2]}." in chart.details
    assert "Missed check-ins (1): 27 Jan 2025." in chart.details
    # The first check-ins named places and the later ones levels: the change is said in levels.
    assert f"Since 6 Jan 2025: up a level, to {LABELS[2]}." in chart.details
    assert f"6 Jan 2025 {LABELS[1]} — halfway (5 answered)" in chart.details


def test_trend_counts_levels_honestly_and_never_as_their_middle():
    start = date(2025, 1, 6)
    exact = CheckInPoint(start, tuple(Answer.at(v) for v in (14, 14, 14)))
    tapped = CheckInPoint(start + timedelta(weeks=1), (Answer.in_level(2),) * 3)
    caption = responsiveness_trend([exact, tapped], level_labels=LABELS).details
    assert f"3 answered — 3 in {LABELS[1]}. Middle view: {LABELS[1]}." in caption
    assert f"down a level, to {LABELS[1]}" in caption
    assert "8" not in caption.split("Since")[1].split(".")[0]


def test_trend_single_point_and_all_missed():
    one = [CheckInPoint(date(2025, 1, 6), tuple(Answer.at(v) for v in (8, 10, 11, 13)))]
    assert f"Middle view: {LABELS[1]} — near the top." in responsiveness_trend(one, level_labels=LABELS).details
    two = [CheckInPoint(date(2025, 1, 6), (Answer.at(8), Answer.in_level(3)))]
    assert "too few to show" in responsiveness_trend(two).details
    with pytest.raises(NothingToChart):
        responsiveness_trend([CheckInPoint(date(2025, 1, 6), missed=True)])


def test_distance_travelled_language_and_counts():
    before = make_round(seed=2, closed=date(2024, 11, 1))
    after = make_round()
    els = list(after.elements)
    els[0] = replace(els[0], team_view=None)
    els[1] = replace(els[1], team_view=before.elements[1].team_view)
    after = replace(after, elements=els)
    chart = distance_travelled(before, after)
    assert_chart(chart, "distance_travelled")
    changes = [a.team_view - b.team_view for a, b in zip(after.elements, before.elements, strict=True)
               if a.team_view is not None]
    up, down, held = sum(c > 0 for c in changes), sum(c < 0 for c in changes), sum(c == 0 for c in changes)
    assert f"{up} moved up, {down} moved down, {held} held steady, 1 not rated both times" in chart.details
    assert chart.caption == (f"How far we have travelled since 1 Nov 2024: {up} moved up, {down} moved down, "
                             f"{held} held steady, 1 not rated both times.")
    for word in ("worse", "fail", "bad", "declin"):
        assert word not in (chart.caption + chart.details).lower()


def actions_of(n: int) -> list[ActionRow]:
    """n actions in every status, owners and dates varied, in no particular order."""
    statuses = ["done", "open", "overdue", "still_on", "dropped"]
    return [ActionRow(f"Action {i} " + "with a longer description " * (i % 3), "Training and support",
                      NAMES[i % len(NAMES)] if i % 4 else None, date(2025, 5, 1) + timedelta(days=i),
                      statuses[i % 5], done_on=date(2025, 4, 20 - i % 10) if i % 5 == 0 else None,
                      reason="Overtaken" if i % 5 == 4 else None) for i in range(n)]


@pytest.mark.parametrize("n, tallest", [(1, 400), (5, 900), (19, 1350)])
def test_the_action_table_is_as_tall_as_its_rows(n, tallest):
    chart = action_table(actions_of(n))
    assert chart.kind == "actions"
    assert png_size(chart.png) == (1080, chart.height_px) and chart.width_px == 1080
    assert 300 <= chart.height_px <= tallest
    assert 0 < len(chart.caption) <= 1024 and "<" not in chart.caption


def test_the_action_table_reads_overdue_first_and_done_with_its_date():
    rows = [ActionRow("Paint the lounge", "T", None, None, "dropped", reason="The landlord does it"),
            ActionRow("Book training", "T", "Bea", date(2025, 5, 1), "open"),
            ActionRow("Write down the rules", "T", "Cal", date(2025, 3, 1), "done", done_on=date(2025, 2, 27)),
            ActionRow("Weekly debrief", "T", "Dee", date(2025, 2, 1), "overdue"),
            ActionRow("Ask the council", "T", "Eli", date(2025, 4, 1), "still_on", owner_hidden=True)]
    chart = action_table(rows)
    assert chart.caption == "Our actions: 5 — 1 past its date, 1 open, 1 still on, 1 done, 1 dropped."
    caption = chart.details
    assert caption.startswith(chart.caption)
    order = [caption.index(words) for words in ("Weekly debrief (Dee, due 1 Feb)", "Book training (Bea, due 1 May)",
                                                "Ask the council (not shown, due 1 Apr)",
                                                "Write down the rules (Cal, done 27 Feb)",
                                                "Paint the lounge (no one yet, why: The landlord does it)")]
    assert order == sorted(order)


def test_many_actions_stay_within_a_phone_screen():
    chart = action_table(actions_of(40))
    assert chart.height_px <= 1350 and "40" in chart.caption


def test_caption_never_exceeds_telegram_limit():
    extra = [ElementResult(f"o{i}", "x" * 60 + str(i), "Own", True, [], i % 20 + 1) for i in range(40)]
    assert len(team_profile(make_round(extra=extra)).caption) <= 1024


async def test_render_runs_off_the_loop():
    try:
        charts = await asyncio.gather(render(team_profile, make_round()), render(action_table,
                                      make_round().actions))
        assert [c.kind for c in charts] == ["team_profile", "actions"]
        with pytest.raises(NothingToChart):
            await render(responsiveness_trend, [])
    finally:
        close_pool()


# ---- PDF --------------------------------------------------------------------------------------------------

def test_pdf_has_every_section():
    rnd = make_round()
    [(name, data)] = round_report_pdf(rnd, make_round(seed=2), compress=False)
    assert name == "piebot-riverside-hostel-round-2.pdf" and data.startswith(b"%PDF")
    text = " ".join(pdf_text(data).split())  # table cells wrap their words
    for expected in ("Team: Riverside Hostel", "Round 2, closed 3 Mar 2025", "Answered: 6 people",
                     "Where our team is now", "How far apart our views are", "Evidence on Support",
                     "What gets in the way", "Hinders Training", "What we have going for us",
                     "Book trauma training", "Alice Fenwick", "Everyone booked",
                     "Relationships thread", "Peer reviewer's comments", "Strong reflective culture"):
        assert expected in text, expected


def test_pdf_anonymous_round_has_no_names():
    rnd = make_round(anonymous=True)
    text = pdf_text(round_report_pdf(rnd, compress=False)[0][1])
    assert "Answers were anonymous" in text
    for name in NAMES:
        assert name not in text and name.split()[0] not in text


def test_pdf_unicode_text():
    rnd = make_round(extra=[ElementResult("rtl", "Zoë’s ‘own’ — יחסים 🐶", "Own", True, [], 4,
                                          evidence=["محمد said ✔ it works"])])
    text = pdf_text(round_report_pdf(rnd, compress=False)[0][1])
    assert "Zoë’s ‘own’ — יחסים" in text and "محمد said ✔ it works" in text


def test_pdf_splits_under_max_bytes():
    rnd = make_round()
    whole = round_report_pdf(rnd)[0][1]
    limit = len(whole) * 2 // 3
    parts = round_report_pdf(rnd, max_bytes=limit)
    assert len(parts) >= 2
    assert all(len(data) < limit and data.startswith(b"%PDF") for _, data in parts)
    assert parts[0][0].endswith(f"-part-1-of-{len(parts)}.pdf")
    with pytest.raises(ReportTooLarge):
        round_report_pdf(rnd, max_bytes=10_000)


def test_pdf_empty_round():
    data = round_report_pdf(RoundResult(1, "New team", None, True, LABELS, []), compress=False)[0][1]
    text = pdf_text(data)
    assert "no team profile to show" in text and "No peer review comments yet." in text


# ---- CSV --------------------------------------------------------------------------------------------------

def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_exports():
    named, anon = make_round(), make_round(anonymous=True, round_id=3)
    series = [CheckInSeries("Responsiveness", checkins())]
    actions = [ActionRow("=HYPERLINK(\"http://x\")", "Training", "@bob", None, "open", "-1 incidents"),
               ActionRow("Rota swap", "Training", "Bea", date(2025, 3, 1), "done", done_on=date(2025, 2, 27)),
               ActionRow("New form", "Training", "Cal", date(2025, 3, 1), "dropped", reason="The form changed")]
    files = dict(export_csv([named, anon], series, actions))
    assert list(files) == ["ratings.csv", "checkins.csv", "actions.csv"]

    ratings = read_csv(files["ratings.csv"])
    assert len(ratings) == 2 * 15 * len(NAMES)
    first = ratings[0]
    element = named.elements[0]
    assert first["member"] == NAMES[0] and int(first["place (1-20)"]) == element.ratings[0][1]
    index = element.ratings[0][1]
    # A place in words, as everywhere; the 1-20 number only in its own column.
    assert first["place"] == place_of(index) and first["level name"] == LABELS[(index - 1) // 5]
    assert first["team view"] == place_of(element.team_view) and first["team view (1-20)"] == str(element.team_view)
    assert first["closed_on"] == "2025-03-03"
    anon_rows = [r for r in ratings if r["round"] == "3"]
    assert anon_rows and all(r["member"] == "anonymous" for r in anon_rows)

    points = read_csv(files["checkins.csv"])
    assert len(points) == 8 and points[3]["missed"] == "yes" and points[3]["middle view"] == ""
    assert points[0] == {"date": "2025-01-06", "element": "Responsiveness", "answered": "5", "chose a place": "5",
                         "named a level only": "0", "middle view": "Level 2 — halfway",
                         "middle place (1-20)": "8", "lowest place (1-20)": "5", "highest place (1-20)": "12",
                         "in Level 1": "1", "in Level 2": "3", "in Level 3": "1", "in Level 4": "0", "missed": "no"}
    # Levels tapped in the group: counted in their levels, with no place made up for them.
    assert points[4]["middle view"] == "Level 3" and points[4]["middle place (1-20)"] == ""
    assert (points[4]["named a level only"], points[4]["in Level 2"], points[4]["in Level 3"]) == ("4", "1", "3")

    action, done, dropped = read_csv(files["actions.csv"])
    assert action["text"].startswith("'=") and action["owner"] == "'@bob"
    assert action["how we'll know"] == "'-1 incidents"
    # When an action was done, or why it was dropped, as the team settled it.
    assert (action["done on"], action["why dropped"]) == ("", "")
    assert (done["status"], done["done on"], done["why dropped"]) == ("done", "2025-02-27", "")
    assert (dropped["status"], dropped["done on"], dropped["why dropped"]) == ("dropped", "", "The form changed")


def test_csv_keeps_unrated_elements_and_empty_inputs():
    rnd = make_round()
    rnd = replace(rnd, elements=[replace(rnd.elements[0], ratings=[], team_view=None)])
    files = dict(export_csv([rnd], [], []))
    [row] = read_csv(files["ratings.csv"])
    assert row["member"] == "" and row["team view"] == ""
    assert read_csv(files["checkins.csv"]) == [] and read_csv(files["actions.csv"]) == []
    assert safe_cell(-3) == -3 and safe_cell("+1") == "'+1"


def test_png_is_not_truncated():
    # Walk the chunks to the end: a reader would notice a truncated file before anything else.
    data = team_profile(make_round()).png
    pos, kinds = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + chunk) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        kinds.append(kind)
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"


def test_a_network_charts_subtitle_keeps_its_facts_whole_rather_than_cut_them():
    # A line too long for the picture drops its qualifier; the network, teams and date are never cut.
    from conversations.texts import networks as network_texts
    from piebot.charts.network import _qualified

    long = "Riverside Homeless Network · 5 teams · 25 Jan 2027"
    assert _qualified(long, network_texts.distance_subtitle(long)) == long
    short = "Ash Network · 3 teams · 1 Jan 2027"
    assert _qualified(short, network_texts.checkins_subtitle(short)) == short + " · latest check-ins"
