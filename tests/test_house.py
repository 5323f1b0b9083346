"""The house rules, checked on the source itself: SQL only in piebot/storage, every text a person reads in
conversations/texts, no import circles, short modules that say what they are for."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("piebot", "framework", "conversations")
LONGEST_MODULE = 500
# A module may run longer only if its docstring says why, in these words.
LONG_REASON = "Longer than 500 lines because"


def _modules(*roots: str) -> list[Path]:
    found = []
    for root in roots:
        found += [p for p in (ROOT / root).rglob("*.py") if "migrations" not in p.parts]
    return sorted(found)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


# ---------------------------------------------------------------- SQL only in piebot/storage

# What builds or runs a query. The Telegram layer may hand a session to storage, never use one itself.
QUERY_NAMES = {"select", "func", "update", "delete", "insert", "text", "and_", "or_", "col", "exists", "literal"}
SESSION_METHODS = {"exec", "execute", "scalar", "scalars", "get", "add", "add_all", "delete", "flush", "query",
                   "merge", "refresh", "commit", "rollback"}
SESSION_NAMES = {"session", "s", "sess"}


# Raw SQL in a string, whatever runs it (a connection of any name, a driver of its own).
RAW_SQL = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ", "CREATE ", "LOCK ")


def _sql_in(path: Path) -> list[str]:
    problems = []
    for node in ast.walk(_tree(path)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany") and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and node.args[0].value.lstrip().upper().startswith(RAW_SQL)):
            problems.append(f"line {node.lineno}: runs SQL {node.args[0].value[:30]!r}")
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("sqlmodel", "sqlalchemy"):
            for alias in node.names:
                if alias.name in QUERY_NAMES:
                    problems.append(f"line {node.lineno}: imports {node.module}.{alias.name}")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in SESSION_NAMES
                and node.func.attr in SESSION_METHODS):
            problems.append(f"line {node.lineno}: {node.func.value.id}.{node.func.attr}(...)")
    return problems


@pytest.mark.parametrize("path", _modules("piebot/telegram", "piebot/scheduling", "piebot/charts"), ids=_name)
def test_no_sql_outside_storage(path):
    assert _sql_in(path) == [], f"{_name(path)} queries the database itself; move it into piebot/storage"


def test_the_sql_check_sees_a_query():
    # The check above must be able to fail.
    sample = ROOT / "piebot" / "storage" / "rounds.py"
    assert _sql_in(sample), "piebot/storage/rounds.py holds queries; the check should see them"
    # Raw SQL run on a connection of its own counts too.
    leadership = ROOT / "piebot" / "storage" / "leadership.py"
    assert any("runs SQL" in problem for problem in _sql_in(leadership))


# ---------------------------------------------------------------- words in conversations/texts

# Text meant for a person: three or more words. Log lines, exceptions for developers and docstrings
# are not for members; neither is the local Bot API server, the demo's scripted people, metrics or the CLI.
# A refusal's message is shown to the person as it is, so its words count.
WORDS_FOR_PEOPLE = 3
REFUSALS = {"NotAllowed", "NotUsable", "RoundRefused", "CheckInRefused", "NetworkRefused", "ServiceUsersRefused",
            "NothingToChart"}
NOT_MEMBER_FACING = ("piebot/localapi", "piebot/demo", "piebot/migrations", "piebot/metrics.py", "piebot/cli.py",
                     "piebot/runner.py", "piebot/logs.py", "piebot/settings.py")
SQL_WORDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "CREATE", "-c ")


def _refuses(node: ast.Raise) -> bool:
    """Whether a raise refuses a person, whose message they read (not an error for developers)."""
    raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    name = raised.attr if isinstance(raised, ast.Attribute) else getattr(raised, "id", None)
    return name in REFUSALS


def _prose_in(path: Path) -> list[str]:
    tree = _tree(path)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)):
            skip.add(id(body[0].value))
        called = node.func if isinstance(node, ast.Call) else None
        is_log = (isinstance(called, ast.Attribute) and isinstance(called.value, ast.Name)
                  and called.value.id in ("log", "logging", "logger")) or (
                  isinstance(called, ast.Name) and "log" in called.id)
        if is_log or isinstance(node, ast.Assert) or (isinstance(node, ast.Raise) and not _refuses(node)):
            skip.update(id(inner) for inner in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            words = [w for w in node.value.split() if any(c.isalpha() for c in w)]
            if len(words) >= WORDS_FOR_PEOPLE and not node.value.lstrip().startswith(SQL_WORDS):
                found.append(f"line {node.lineno}: {node.value[:60]!r}")
    return found


def _member_facing() -> list[Path]:
    return [p for p in _modules("piebot", "conversations")
            if not _name(p).startswith(NOT_MEMBER_FACING + ("conversations/texts/",))]


@pytest.mark.parametrize("path", _member_facing(), ids=_name)
def test_words_live_in_conversations_texts(path):
    assert _prose_in(path) == [], f"{_name(path)} has words for people; put them in conversations/texts"


def test_the_words_check_sees_words():
    assert _prose_in(ROOT / "conversations" / "texts" / "refusals.py")


def test_the_words_check_sees_a_refusal(tmp_path):
    # A refusal's words are for the person refused; an error's are for developers.
    sample = tmp_path / "sample.py"
    sample.write_text('def f():\n    raise NotAllowed("Only the facilitator can do that.")\n', encoding="utf-8")
    assert _prose_in(sample)
    sample.write_text('def f():\n    raise ValueError("not a place on the scale")\n', encoding="utf-8")
    assert _prose_in(sample) == []


# ---------------------------------------------------------------- no import circles


def _imports() -> dict[str, set[str]]:
    paths = {}
    for path in _modules(*PACKAGES):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        paths[".".join(parts)] = path

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(_tree(path)):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base for alias in node.names]
            for target in targets:
                found = known(target)
                if found and found != name:
                    graph[name].add(found)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                part.append(top)
                if top == node:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    for node in graph:
        if node not in index:
            visit(node)
    return circles


def test_no_import_circles():
    # Imports inside functions count too: a circle hidden in a function is still a circle.
    assert _circles(_imports()) == []


def test_the_circle_check_sees_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


# ---------------------------------------------------------------- short modules that say what they are for


@pytest.mark.parametrize("path", _modules(*PACKAGES, "tests", "bench"), ids=_name)
def test_module_is_short_and_says_what_it_is_for(path):
    tree = _tree(path)
    lines = len(path.read_text(encoding="utf-8").splitlines())
    doc = ast.get_docstring(tree) or ""
    if path.name != "__init__.py" or lines > 1:
        assert doc.strip(), f"{_name(path)} does not say in its first lines what it is for"
    if lines > LONGEST_MODULE:
        assert LONG_REASON in doc, f"{_name(path)} has {lines} lines; split it by concern (or say why not)"
