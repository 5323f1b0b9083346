"""The `piebot` command as a newcomer meets it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.test_charts_bot import pdf_text

ROOT = Path(__file__).resolve().parent.parent


def piebot(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 120):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PIEBOT_", "DATABASE_URL"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "piebot", *args],
        capture_output=True, text=True, env=full_env, cwd=cwd or ROOT, timeout=timeout,
    )


def test_run_without_a_token_prints_one_clear_line(tmp_path):
    result = piebot("run", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "piebot demo" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_framework_check_accepts_the_shipped_files_and_lists_every_problem(tmp_path):
    good = piebot("framework", "check", str(ROOT / "framework" / "pies2.yaml"))
    assert good.returncode == 0, good.stdout + good.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kind: framework\nid: mine\nname: Mine\ncolour: blue\n"
        "scale:\n  levels:\n    - {number: 1, label: A, guidance: a}\n  positions: 5\n"
        "themes:\n  - id: t\n    name: T\n    description: d\n    elements:\n"
        "      - {id: e, description: d, questions: {}}\n"
        "      - {id: e, name: E, description: d, questions: {}}\n"
    )
    result = piebot("framework", "check", str(bad))
    assert result.returncode == 1
    out = result.stdout
    assert "colour" in out  # unknown key
    assert "bad.yaml" in out and "themes[0].elements[0].name" in out  # missing name, with its path
    assert "duplicate" in out.lower()
    assert "4" in out and "level" in out.lower()  # a scale that is not 4 x 5


def test_db_upgrade_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = piebot("db", "upgrade", env={"DATABASE_URL": url, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "team" in inspect(create_engine(url)).get_table_names()


@pytest.mark.slow
def test_demo_works_offline_and_prints_the_group_chat(tmp_path):
    result = piebot("demo", "--out", str(tmp_path / "out"), env={"PYTHONPATH": str(ROOT)}, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ada: /setup" in result.stdout
    assert "is set up" in result.stdout
    assert "Bea: /join" in result.stdout
    # The whole Pizazz cycle: an action settled from a private reminder weeks later, the review round
    # opened from the review reminder's button, what was said looking back, and how far the view moved.
    assert "> Bea pressed [ Done ✅ ]" in result.stdout
    assert "> Ada pressed [ 🔁 Start the review round ]" in result.stdout
    assert "PIE review: what we looked at last time — summary" in result.stdout
    assert "Looking back: what changed since last time" in result.stdout
    assert "📏 Since last time" in result.stdout and "(up a level since" in result.stdout
    # Every file it says it saved is there: none written over by a later one of the same name.
    said = re.search(r"Saved (\d+) file\(s\) in \S+: (.*)$", result.stdout, flags=re.MULTILINE)
    names = said.group(2).split(", ")
    on_disk = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert int(said.group(1)) == len(names) == len(on_disk) and sorted(names) == on_disk
    # Teams join the network the newer way, the typed command being only the invitation's fallback; three
    # join under an alias, so the overview shows them, none knowable.
    assert "* Ada tapped the network's invitation link and picked this group" in result.stdout
    assert "Ada: /acceptnetwork" not in result.stdout
    assert "overview of 5 teams" in result.stdout and "3 chose to appear under an alias" in result.stdout
    # The clock is moved on by weeks: the last round's report calls past its date whatever a reminder did.
    [report] = [p for p in (tmp_path / "out").iterdir() if p.name.endswith("round-4.pdf")]
    words = " ".join(pdf_text(report.read_bytes()).split())
    reminded = re.findall(r"Past its date — an action you own was due \w+ (\d+ \w+):", result.stdout)
    assert reminded and "past their date" in words
    assert not [day for day in reminded if f"by {day})" in words], words
