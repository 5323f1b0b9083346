"""The bot starts lean: `piebot run` answers its first message without having loaded matplotlib, fpdf or
Alembic (tens of megabytes and most of a second); they load when a chart, a report or a migration is
first needed."""

from __future__ import annotations

import asyncio
import json

from piebot.storage.db import Database
from tests.test_crash import BotProcess, bot_env

HEAVY = ("matplotlib", "fpdf", "alembic", "numpy", "PIL")

# `python -m piebot run`, writing the names of the modules it loaded to a file as it exits.
RUN_AND_LIST_MODULES = (
    "import atexit, json, runpy, sys\n"
    "listed = sys.argv[1]\n"
    "atexit.register(lambda: open(listed, 'w').write(json.dumps(sorted(sys.modules))))\n"
    "sys.argv = ['piebot', 'run']\n"
    "runpy.run_module('piebot', run_name='__main__', alter_sys=True)\n"
)


async def test_the_bot_answers_without_loading_charts_reports_or_migrations(api, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'lean.db'}"
    Database(database_url).upgrade()  # as `piebot db upgrade` would; the bot then finds nothing to do
    listed = tmp_path / "modules.json"
    bot = BotProcess(bot_env(api, database_url), tmp_path / "bot.log",
                     argv=("-c", RUN_AND_LIST_MODULES, str(listed)))
    person = api.create_user("Ann")
    try:
        await bot.start()
        await api.start_private(person)
        for _ in range(300):
            if api.chat_log(person):
                break
            await asyncio.sleep(0.05)
        assert api.chat_log(person), bot.log()
    finally:
        await bot.stop()
    loaded = set(json.loads(listed.read_text()))
    assert "piebot.telegram.app" in loaded
    assert not {name for name in loaded if name.split(".")[0] in HEAVY}, bot.log()
