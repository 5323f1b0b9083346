"""Charts, PDF reports and CSV exports for piebot, from plain dataclasses (see `data`).

No Telegram and no database here: callers convert their rows to `RoundResult`, `CheckInPoint` and
`ActionRow` and send what comes back. No words either: titles, legends, captions and the PDF and CSV
wording come from conversations/texts (charts, networks, reports, exports). A chart's caption is a line
or two; its figures in words are in its `details`, which `DETAILS[fn](*args)` also gives without drawing.

Empty data: every chart function raises `NothingToChart`; `str(exc)` is a short, kind message for the
caller to send as text instead of a picture (a picture saying "nothing here" costs an upload and a
phone screen for one sentence).

Nothing here imports matplotlib until a chart is drawn or named: the bot starts without it.

Rendering is CPU-bound (50-200 ms each); from async code call `await render(team_profile, round_)`.
It runs the drawing in a small process pool, because in threads the renders hold the GIL for long
stretches and the event loop stalls (see bench/bench_charts.py for the measured figures).
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .data import (
    ActionRow,
    Chart,
    CheckInPoint,
    CheckInSeries,
    ElementResult,
    NothingToChart,
    RoundResult,
)

# The chart functions load matplotlib (tens of MB, most of a second): they are imported on first use
# (`piebot.charts.team_profile`, `from piebot.charts import spread`), not when the bot starts. No module
# of this package may share a name listed here: importing it would set the package's attribute.
_DRAWN = frozenset({"DETAILS", "action_table", "distance_travelled", "responsiveness_trend", "spread", "team_profile"})


def __getattr__(name: str) -> Any:
    if name in _DRAWN:
        from . import drawing

        return getattr(drawing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DETAILS",
    "ActionRow",
    "Chart",
    "CheckInPoint",
    "CheckInSeries",
    "ElementResult",
    "NothingToChart",
    "RoundResult",
    "action_table",
    "close_pool",
    "distance_travelled",
    "render",
    "responsiveness_trend",
    "spread",
    "team_profile",
]

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> int:
    # Leave one core to the event loop and the rest of the bot; beyond 4 workers PNG renders for one
    # group are never that many at once.
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def _noop() -> None:
    return None


def _get_pool() -> Executor:
    """The render pool, started and warmed up on first use.

    Call from a worker thread the first time: the forkserver imports matplotlib before the first worker
    exists (about a second), and that must not happen on the event loop.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            methods = multiprocessing.get_all_start_methods()
            # forkserver: workers fork from a clean server that has already imported matplotlib, so
            # they start fast and never inherit the bot's threads or sockets (plain fork could).
            method = "forkserver" if "forkserver" in methods else "spawn"
            ctx = multiprocessing.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(["piebot.charts.drawing"])
            pool = ProcessPoolExecutor(max_workers=_workers(), mp_context=ctx)
            # Workers start on demand, one per submit while none is idle; start them all now so later
            # submits from the event loop never wait for a process to start.
            for future in [pool.submit(_noop) for _ in range(_workers())]:
                future.result()
            _pool = pool
        return _pool


def close_pool(timeout: float | None = None) -> None:
    """Stop the render workers (call on shutdown; `render` starts them again when needed).

    With a `timeout`, renders still running after it are cut off: the workers are terminated, so a
    stop never waits on a slow chart.
    """
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    if timeout is None:
        pool.shutdown(wait=True, cancel_futures=True)
        return
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.is_alive():
            worker.terminate()


atexit.register(close_pool)


async def render(fn: Callable[..., Chart], *args: Any) -> Chart:
    """Run a chart function off the event loop and return its `Chart`.

    `NothingToChart` raised by the function reaches the caller unchanged. A function or argument that
    cannot be pickled (a lambda, a local function) falls back to a thread.
    """
    loop = asyncio.get_running_loop()
    try:
        pickle.dumps((fn, args))
    except (pickle.PicklingError, AttributeError, TypeError):
        return await asyncio.to_thread(fn, *args)
    try:
        pool = _pool or await asyncio.to_thread(_get_pool)
        return await loop.run_in_executor(pool, fn, *args)
    except BrokenProcessPool:
        # A worker died (out of memory, killed): start a fresh pool and try once more.
        await asyncio.to_thread(close_pool)
        return await loop.run_in_executor(await asyncio.to_thread(_get_pool), fn, *args)
