"""A chart is as tall as what it shows: 1080 px wide always, a short strip for one element, at most 1350 high.

Every chart kind that lists elements (the team profile, the spread, the distance travelled, own views beside
the team view, and the network's teams side by side and individual views) is drawn for 1, 5 and 19
elements; the network's charts that list teams (distance travelled, check-ins) for 1, 5 and 19 teams. The
action table has its own test (tests/test_charts.py); the check-in trend shows one element over time, so
its height does not depend on how many there are.

Set PIEBOT_CHART_DIR to a folder to keep the pictures and look at them.
"""

from __future__ import annotations

import os
import random
import struct
from datetime import date, timedelta
from pathlib import Path

import pytest

from conversations.checkin_figures import Answer
from piebot.charts import Chart, ElementResult, RoundResult, distance_travelled, spread, team_profile
from piebot.charts.levels import levels_side_by_side
from piebot.charts.network import network_checkins, network_distance, network_levels, network_views
from piebot.charts.network_data import CheckInMiddle, ElementRow, NetworkOverview, TeamCheckIns, TeamDistance, TeamView

LABELS = ["Just starting", "Getting there", "Well on the way", "Embedded"]
THEMES = ["Psychological awareness", "Training and support", "Learning and enquiry", "Spaces of opportunity",
          "The Three Rs"]
SIZES = (1, 5, 19)


def elements(n: int, seed: int, shift: int = 0) -> list[ElementResult]:
    rnd = random.Random(seed)
    found = []
    for i in range(n):
        centre = rnd.randint(4, 15)
        ratings = [(None, max(1, min(20, centre + rnd.randint(-3, 3)))) for _ in range(5)]
        found.append(ElementResult(f"e{i}", f"Element number {i} of the framework", THEMES[i * 5 // max(n, 5) % 5],
                                   False, ratings, max(1, min(20, centre + shift))))
    return found


def round_of(n: int, seed: int = 1, shift: int = 0, closed: date = date(2026, 6, 1)) -> RoundResult:
    return RoundResult(seed, "Hope House team", closed, True, LABELS, elements(n, seed, shift))


def overview_of(n: int, teams: int = 3, ids: list[str] | None = None) -> NetworkOverview:
    names = [f"Team {chr(65 + i)}" for i in range(teams)]
    rnd = random.Random(n)
    ids = ids or [f"e{i}" for i in range(n)]
    rows = [ElementRow(ids[i], f"Element number {i} of the framework", THEMES[i * 5 // max(n, 5) % 5],
                       [TeamView(t, rnd.randint(4, 16), rnd.randint(4, 16), tuple(rnd.randint(3, 17) for _ in range(3)))
                        for t in names]) for i in range(len(ids))]
    start = date(2026, 9, 1)
    checkins = [TeamCheckIns(t, [CheckInMiddle(start + timedelta(weeks=w), tuple(Answer.at(rnd.randint(5, 15))
                                                                                 for _ in range(4)))
                                 for w in range(3)]) for t in names]
    distances = [TeamDistance(t, compared=n, up=n // 2, held=n - n // 2 - n // 3, down=n // 3, rated=n) for t in names]
    return NetworkOverview("Riverside Homeless Network", date(2026, 12, 1), LABELS, names, 0, rows, distances,
                           checkins, [], [])


def drawn(name: str, n: int, chart: Chart) -> Chart:
    width, height = struct.unpack(">II", chart.png[16:24])
    assert (width, height) == (1080, chart.height_px) == (chart.width_px, chart.height_px)
    if folder := os.environ.get("PIEBOT_CHART_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}-{n}.png").write_bytes(chart.png)
    return chart


ELEMENT_CHARTS = {
    "team_profile": lambda n: team_profile(round_of(n, 2, 1), round_of(n, 1, closed=date(2025, 12, 1))),
    "spread": lambda n: spread(round_of(n)),
    "distance_travelled": lambda n: distance_travelled(round_of(n, 1, closed=date(2025, 12, 1)), round_of(n, 2, 2)),
    "levels": lambda n: levels_side_by_side(round_of(n)),
    "network_views": lambda n: network_views(overview_of(n)),
    "network_levels": lambda n: network_levels(overview_of(n)),
}
TEAM_CHARTS = {
    "network_distance": lambda n: network_distance(overview_of(5, teams=n)),
    "network_checkins": lambda n: network_checkins(overview_of(5, teams=n)),
}


@pytest.mark.parametrize("kind", [*ELEMENT_CHARTS, *TEAM_CHARTS])
def test_a_chart_is_as_tall_as_its_rows(kind):
    make = {**ELEMENT_CHARTS, **TEAM_CHARTS}[kind]
    heights = [drawn(kind, n, make(n)).height_px for n in SIZES]
    one, five, nineteen = heights
    assert 360 <= one <= 560, f"{kind}: one row is a short strip, not a page ({heights})"
    assert one < five <= nineteen <= 1350, heights
    assert five < 1100, heights
    assert nineteen >= 900, heights  # nineteen rows fill most of a phone's screen, legibly


def test_a_short_chart_keeps_its_legend_and_level_names():
    """The picture is cut below the legend, never through it: its last rows of pixels are blank page."""
    import io

    from PIL import Image

    for kind, make in {**ELEMENT_CHARTS, **TEAM_CHARTS}.items():
        image = Image.open(io.BytesIO(make(1).png)).convert("L")
        width, height = image.size
        bottom = image.crop((0, height - 8, width, height))
        assert bottom.getextrema()[0] > 240, f"{kind}: something is drawn in the last rows of pixels"
        # Something is drawn in the lowest fifth: the legend (or the last row), not a blank half page.
        lowest = image.crop((0, int(height * 0.8), width, height - 8))
        assert lowest.getextrema()[0] < 128, f"{kind}: the bottom of the picture is empty"
