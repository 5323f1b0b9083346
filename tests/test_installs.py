"""What the install brings: the HTTP stack finds every module it looks for on a request, and the lock files
pin what pyproject.toml asks for."""

from __future__ import annotations

import builtins
import re
import tomllib
from pathlib import Path

from telegram.request import HTTPXRequest

from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent


async def test_a_bot_api_request_imports_nothing_that_is_missing(api):
    # httpcore tries `import sniffio` on every request; a failed import there searches the whole path
    # each time. Every import during a real request must succeed.
    failed: list[str] = []
    real_import = builtins.__import__

    def watching(name, *args, **kwargs):
        try:
            return real_import(name, *args, **kwargs)
        except ImportError:
            failed.append(name)
            raise

    request = HTTPXRequest()
    await request.initialize()
    try:
        builtins.__import__ = watching
        try:
            for _ in range(3):
                await request.post(f"{api.base_url}{TOKEN}/getMe")
        finally:
            builtins.__import__ = real_import
    finally:
        await request.shutdown()
    assert failed == []


def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def _wanted(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_the_lock_files_pin_every_dependency_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _pins(ROOT / "requirements.lock")
    everything = _pins(ROOT / "requirements-dev.lock")
    assert _wanted(project["dependencies"]) <= set(runtime)
    assert _wanted(project["dependencies"] + project["optional-dependencies"]["test"]) <= set(everything)
    # The image and the tests run the same versions of what they share.
    assert {name: v for name, v in runtime.items() if everything.get(name) != v} == {}
