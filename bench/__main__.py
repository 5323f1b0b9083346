"""`python -m bench [--smoke] [--only NAME]`: run every benchmark and print one table.

Each module `bench/bench_<name>.py` exposes `run(smoke: bool) -> list[dict]` with rows
{figure, value, floor, ratio, goal, unit, ok}. `--smoke` runs each at a tiny size, so CI keeps
the harness working; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sqlite3
import sys
import time
import traceback
from pathlib import Path


def _proc_value(path: str, key: str) -> str:
    try:
        with open(path) as facts:
            for line in facts:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return "?"


def machine_facts() -> list[str]:
    memory = _proc_value("/proc/meminfo", "MemTotal")
    ram = f"{int(memory.split()[0]) / 1024 / 1024:.1f} GB RAM" if memory != "?" else "RAM ?"
    # Other work on the machine moves every figure; the load says how quiet it was.
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    facts = [
        f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs ({_proc_value('/proc/cpuinfo', 'model name')}), "
        f"{ram}, {platform.platform()}",
        f"load average at start: {load}",
        f"python: {sys.version.split()[0]}",
        f"sqlite: {sqlite3.sqlite_version}",
    ]
    url = os.environ.get("PIEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=2) as conn:
            facts.append(f"postgresql: {conn.execute('show server_version').fetchone()[0]}")
    except Exception:
        facts.append("postgresql: not reachable (PostgreSQL figures skipped)")
    return facts


def format_table(rows: list[dict]) -> str:
    header = f"{'figure':<76} {'value':>12} {'floor':>12} {'ratio':>7}  {'goal':<14} ok"
    lines = [header, "-" * len(header)]
    for row in rows:
        value = f"{row['value']:.4g} {row.get('unit', '')}".strip()
        floor = "" if row.get("floor") is None else f"{row['floor']:.4g}"
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}"
        ok = {True: "yes", False: "NO", None: "-"}[row.get("ok")]
        lines.append(f"{row['figure'][:76]:<76} {value:>12} {floor:>12} {ratio:>7}  {row.get('goal', ''):<14} {ok}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds in all: checks the harness")
    parser.add_argument("--only", action="append", default=[], help="run only this benchmark (repeatable)")
    args = parser.parse_args(argv)
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only or n in args.only]
    print("\n".join(machine_facts()))
    rows: list[dict] = []
    failures = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        try:
            got = module.run(smoke=args.smoke)
        except Exception as exc:  # a broken benchmark must fail the smoke run loudly
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            traceback.print_exc(limit=-3)
            failures += 1
            continue
        rows.extend(got)
        print(f"{name}: {len(got)} figure(s) in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print()
    print(format_table(rows))
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.smoke:
        print(f"\nsmoke run: {len(names)} benchmark(s), {failures} failed (figures at tiny sizes are not meaningful)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
