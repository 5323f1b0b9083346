"""Where a bot process spends its time during a burst: py-spy samples every thread of it, and the
samples are summed up as the benchmark's table can show them.

    with Sampled(pid, "bench-out/throughput-sqlite.txt") as sampled:
        ...  # the burst
    print(sampled.summary())

py-spy (a test extra) reads the process from outside, so the bot runs unchanged and unslowed; idle
threads (a worker waiting for work, the event loop in select) are left out (`--idle` is not given).
The raw samples (one line per distinct stack, `frame;frame;... count`) are kept in the file for
flame graphs (`py-spy`'s own, or any folded-stack viewer); `summary()` gives the share of samples
in each part of the stack (the ORM, the sqlite3 or psycopg driver, the HTTP stack, PTB, piebot's own
code) and the leaf frames most often on top.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

# Where a sample's time goes, by the first of these found in its leaf-most frames (checked from the top
# of the stack down): the part of the stack that was running.
PARTS = (
    # A thread counted busy that is in fact waiting: the event loop in select, a worker for work, a
    # database connection for the server (py-spy cannot always tell from outside).
    ("waiting (the loop's select, idle workers, the PostgreSQL server)",
     ("EpollSelector.select", "_worker (concurrent", "Connection.wait (psycopg")),
    ("the database driver (sqlite3, psycopg: executing)", ("do_execute (sqlalchemy", "do_commit (sqlalchemy",
                                                          "do_executemany (sqlalchemy")),
    ("the sqlite3 driver", ("sqlite3", "_sqlite3")),
    ("the psycopg driver", ("psycopg/", "psycopg_binary", "psycopg_pool")),
    ("SQLAlchemy ORM", ("sqlalchemy/orm/",)),
    ("SQLAlchemy Core and engine", ("sqlalchemy/",)),
    ("SQLModel", ("sqlmodel/",)),
    ("HTTP (httpx, httpcore, anyio, h11)", ("httpx/", "httpcore/", "anyio/", "h11/", "ssl.py", "socket.py")),
    ("PTB (telegram)", ("telegram/",)),
    ("JSON", ("json/",)),
    ("asyncio and threads", ("asyncio/", "threading.py", "concurrent/", "selectors.py", "queue.py")),
    ("logging and metrics", ("logging/", "prometheus_client/")),
    ("piebot's own code", ("piebot/", "conversations/", "framework/")),
)


def available() -> bool:
    return _py_spy() is not None


def _py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Sampled:
    """py-spy recording every thread of `pid` while the block runs; the raw samples go to `path`."""

    def __init__(self, pid: int, path: str | Path, rate: int = 250) -> None:
        self.pid, self.path, self.rate = pid, Path(path), rate
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Sampled:
        exe = _py_spy()
        if exe is None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [exe, "record", "--pid", str(self.pid), "--threads", "--rate", str(self.rate), "--format", "raw",
             "--nonblocking", "--output", str(self.path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.3)  # py-spy attaches before the first update is queued
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def stacks(self) -> Counter:
        return read_stacks(self.path)

    def summary(self, top: int = 12) -> str:
        return summarise(self.stacks(), top)


def read_stacks(path: Path) -> Counter:
    stacks: Counter = Counter()
    if not path.exists():
        return stacks
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def part_of(frames: list[str]) -> str:
    if frames:
        for name, marks in PARTS[:2]:  # by the leaf alone: where the thread is waiting or executing
            if any(mark in frames[-1] for mark in marks):
                return name
    for frame in reversed(frames):
        for name, marks in PARTS[2:]:
            if any(mark in frame for mark in marks):
                return name
    return "other (the interpreter, C code)"


def summarise(stacks: Counter, top: int = 12) -> str:
    total = sum(stacks.values())
    if not total:
        return "no samples (py-spy missing, or not allowed to read the process)"
    parts: Counter = Counter()
    leaves: Counter = Counter()
    threads: Counter = Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        if frames and frames[0].startswith(("thread", "process")):
            threads[frames[0].split(" (")[0] if frames[0].startswith("process") else frames[0]] += count
            frames = [f for f in frames if not f.startswith(("thread", "process"))]
        parts[part_of(frames)] += count
        if frames:
            leaves[frames[-1]] += count
    lines = [f"{total} samples of every thread while busy; by the part of the stack running:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in parts.most_common()]
    lines.append(f"threads busy: {len(threads)}; the busiest: "
                 + ", ".join(f"{100 * n / total:.0f}%" for _, n in threads.most_common(4)))
    lines.append("leaf frames most often on top:")
    lines += [f"  {100 * n / total:5.1f}%  {frame[:110]}" for frame, n in leaves.most_common(top)]
    return "\n".join(lines)
