"""The `piebot` command: run, demo, db upgrade, framework check."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import ValidationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="piebot", description="PIEs 2.0 reflective self-assessment on Telegram.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true", help="serve Telegram's webhook instead of polling")
    demo = sub.add_parser("demo", help="play a team through piebot offline, no token needed")
    demo.add_argument("--out", default="demo-out", help="folder for images and documents (default demo-out)")
    db = sub.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    fw = sub.add_parser("framework", help="framework files")
    fw.add_argument("action", choices=["check"])
    fw.add_argument("file", type=Path)
    args = parser.parse_args(argv)

    if args.command == "framework":
        return _framework_check(args.file)
    try:
        from piebot.settings import get_settings

        settings = get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"piebot: {'.'.join(map(str, error['loc']))}: {error['msg']}", file=sys.stderr)
        return 2
    from piebot.logs import setup_logging

    setup_logging(settings)
    if args.command == "db":
        from piebot.storage.db import Database

        Database(settings.database_url).upgrade()
        print("Database is up to date.")
        return 0
    if args.command == "demo":
        from piebot.demo import run_demo

        return asyncio.run(run_demo(Path(args.out)))
    if settings.telegram_bot_token is None:
        print(
            "piebot: set TELEGRAM_BOT_TOKEN (from @BotFather) to run the bot, "
            "or try `piebot demo` to see it work offline.",
            file=sys.stderr,
        )
        return 2
    from piebot.runner import serve, serve_webhook

    return asyncio.run(serve_webhook(settings) if args.webhook else serve(settings))


def _framework_check(path: Path) -> int:
    from framework import check_file

    problems = check_file(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"{path}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
