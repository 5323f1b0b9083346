"""How long charts and reports take, against floors measured in the same run on the same machine.

    python bench/bench_charts.py          # full run, prints the table
    python bench/bench_charts.py --smoke  # a few seconds

Rows: {"figure", "value", "floor", "ratio", "goal", "unit", "ok"}.
(a) each chart's median render time / an empty figure of the same size saved the same way, timed
    alternately with the chart (goal <= 1.5),
    and, for information, the same for a chart whose background is not cached yet;
(b) the event loop's longest stall while 50 charts render at once through `render()` (goal < 50 ms),
    with the same measured for plain threads (`asyncio.to_thread`) to show why `render()` uses processes;
(c) the PDF report for 15 elements, 20 members, 100 evidence items (goal < 2 s; floor: a plain-text PDF
    with the same number of pages).
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script from the repository root or from bench/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fpdf import FPDF
from matplotlib.figure import Figure

from conversations.checkin_figures import Answer
from piebot.charts import (
    ActionRow,
    CheckInPoint,
    ElementResult,
    RoundResult,
    action_table,
    close_pool,
    distance_travelled,
    render,
    responsiveness_trend,
    spread,
    style,
    team_profile,
)
from piebot.charts.report import round_report_pdf

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


def sample_round(members: int = 20, evidence: int = 100, seed: int = 1, round_id: int = 2,
                 closed: date = date(2025, 3, 3)) -> RoundResult:
    rnd = random.Random(seed)
    names = [f"Member {i}" for i in range(members)]
    pairs = [(t, e) for t, es in THEMES.items() for e in es]
    elements = []
    for i, (theme, name) in enumerate(pairs):
        centre = rnd.randint(4, 16)
        share = evidence // len(pairs) + (1 if i < evidence % len(pairs) else 0)
        elements.append(ElementResult(
            f"e{i}", name, theme, False,
            [(n, max(1, min(20, centre + rnd.randint(-4, 4)))) for n in names], centre, None,
            evidence=[f"Evidence {k} on {name}: what we saw on shift this week and why it matters." for k in
                      range(share)],
            hinders=[f"Workload on {name}"], helps=[f"Good supervision for {name}"]))
    actions = [ActionRow(f"Action {i}", pairs[i][0], names[i % members], date(2025, 5, 1),
                         ("open", "done", "overdue")[i % 3], "We will see it in the log", pairs[i][1])
               for i in range(len(pairs))]
    return RoundResult(round_id, "Riverside Hostel", closed, False, LABELS, elements, actions,
                       ["A thoughtful team."])


def sample_checkins(n: int = 12) -> list[CheckInPoint]:
    """Eight answers a week, some placed in private and some levels tapped in the group; one week missed."""
    def answers(i: int) -> tuple[Answer, ...]:
        return (*(Answer.at(min(20, 5 + i + k * 2)) for k in range(4)), *(Answer.in_level(2 + k % 2) for k in range(4)))

    return [CheckInPoint(date(2025, 1, 6) + timedelta(weeks=i), () if i == 4 else answers(i), missed=i == 4)
            for i in range(n)]


def floor_render() -> bytes:
    fig = Figure(figsize=(style.WIDTH_PX / style.DPI, style.HEIGHT_PX / style.DPI), dpi=style.DPI)
    return style.png_bytes(fig)


def median_seconds(fn, *args, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_seconds(fn, args, repeats: int) -> tuple[float, float]:
    """Median seconds of fn(*args) and of the floor, timed alternately."""
    chart, floor = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        floor_render()
        floor.append(time.perf_counter() - start)
        start = time.perf_counter()
        fn(*args)
        chart.append(time.perf_counter() - start)
    return statistics.median(chart), statistics.median(floor)


CHART_GOAL = 1.5


def chart_jobs(members: int = 20):
    current, previous = sample_round(members), sample_round(members, seed=2, round_id=1,
                                                            closed=date(2024, 11, 1))
    return {
        "team_profile": (team_profile, current, previous),
        "spread": (spread, current),
        "responsiveness_trend": (responsiveness_trend, sample_checkins()),
        "distance_travelled": (distance_travelled, previous, current),
        "action_table": (action_table, current.actions),
    }


def bench_charts(repeats: int) -> list[dict]:
    jobs = chart_jobs()
    for fn, *args in jobs.values():  # warm font caches and imports outside the timing
        fn(*args)
    floor_render()
    floor = median_seconds(floor_render, repeats=repeats * 2)
    rows = []
    for name, (fn, *args) in jobs.items():
        # The floor is timed next to each chart, turn and turn about, so a machine whose load changes
        # during the run (other jobs, CPU frequency) moves both sides of the ratio alike.
        value, near_floor = interleaved_seconds(fn, args, repeats)
        rows.append(_row(f"render {name}", value * 1000, near_floor * 1000, f"ratio <= {CHART_GOAL}", "ms",
                         value / near_floor <= CHART_GOAL))
    # The rows above reuse each chart's background (bands, threads, names) from the previous render, as
    # a render process does for a team asking again; a team's first chart of a kind draws it afresh.
    for name, (fn, *args) in jobs.items():
        if name in CACHED_BACKGROUNDS:
            value = median_seconds(_cold, fn, *args, repeats=repeats)
            rows.append(_row(f"render {name}, first time (background drawn)", value * 1000, floor * 1000,
                             "info", "ms", True))
    return rows


CACHED_BACKGROUNDS = ("team_profile", "spread", "distance_travelled", "responsiveness_trend")


def _cold(fn, *args):
    style.forget_backgrounds()
    return fn(*args)


async def loop_stall(count: int, submit) -> float:
    """Longest lateness of a 5 ms ticker while `count` renders run through `submit`."""
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - before - 0.005)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    jobs = list(chart_jobs().values())
    await asyncio.gather(*(submit(*jobs[i % len(jobs)]) for i in range(count)))
    done.set()
    await tick
    return worst


async def bench_stall(count: int) -> list[dict]:
    await render(action_table, sample_round().actions)  # start the pool outside the measurement
    started = time.perf_counter()
    stall_pool = await loop_stall(count, render)
    pool_seconds = time.perf_counter() - started
    started = time.perf_counter()
    stall_threads = await loop_stall(count, lambda fn, *args: asyncio.to_thread(fn, *args))
    thread_seconds = time.perf_counter() - started
    close_pool()
    return [
        _row(f"loop stall, {count} renders via render() (processes)", stall_pool * 1000, 5.0,
             "< 50 ms", "ms", stall_pool < 0.05),
        _row(f"loop stall, {count} renders via asyncio.to_thread (for comparison)", stall_threads * 1000, 5.0,
             "info", "ms", True),
        _row(f"wall time, {count} renders via render()", pool_seconds, thread_seconds, "info (floor: threads)",
             "s", True),
    ]


def bench_pdf(repeats: int, members: int = 20, evidence: int = 100) -> list[dict]:
    report_round = sample_round(members, evidence)
    round_report_pdf(report_round)
    value = median_seconds(round_report_pdf, report_round, repeats=repeats)
    pages = _page_count(round_report_pdf(report_round)[0][1])

    def plain() -> bytes:
        pdf = FPDF()
        pdf.add_font("DejaVu", "", str(style.FONT_PATH))
        pdf.set_font("DejaVu", size=11)
        for page in range(pages):
            pdf.add_page()
            pdf.multi_cell(0, 5, f"Page {page}. " + "Plain text for the floor. " * 40)
        return bytes(pdf.output())

    floor = median_seconds(plain, repeats=repeats)
    return [_row(f"PDF report, 15 elements, {members} members, {evidence} evidence ({pages} pages)", value,
                 floor, "< 2 s", "s", value < 2.0)]


def _page_count(data: bytes) -> int:
    return data.count(b"/Type /Page\n") or data.count(b"/Type /Page>>") or data.count(b"/Type /Page")


def _row(figure: str, value: float, floor: float, goal: str, unit: str, ok: bool) -> dict:
    return {"figure": figure, "value": round(value, 3), "floor": round(floor, 3),
            "ratio": round(value / floor, 2) if floor else 0.0, "goal": goal, "unit": unit, "ok": bool(ok)}


def run(smoke: bool = False) -> list[dict]:
    repeats = 2 if smoke else 9
    rows = bench_charts(repeats)
    rows += asyncio.run(bench_stall(6 if smoke else 50))
    rows += bench_pdf(1 if smoke else 5)
    return rows


def main() -> None:
    smoke = "--smoke" in sys.argv
    rows = run(smoke=smoke)
    print(f"python {platform.python_version()}, nproc {os.cpu_count()}, {'smoke' if smoke else 'full'} run")
    width = max(len(r["figure"]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>9}  {'floor':>9}  {'ratio':>6}  unit  goal                   ok")
    for r in rows:
        print(f"{r['figure']:<{width}}  {r['value']:>9.3f}  {r['floor']:>9.3f}  {r['ratio']:>6.2f}  "
              f"{r['unit']:<4}  {r['goal']:<22} {'yes' if r['ok'] else 'NO'}")


if __name__ == "__main__":
    main()
