"""The two bots the benchmarks run as child processes, configured from the environment.

    python -m bench.bot_process piebot   # piebot as `piebot run` runs it, posting each open round's card
    python -m bench.bot_process echo     # the floor: a bare PTB bot, one Bot API call per update

The floor is a standard PTB Application polling with its own Updater (`run_polling`), handling
updates concurrently, and answering each update with exactly one call and no database: a press
with answerCallbackQuery (the call piebot makes for a press, so latency compares like with like),
a message with sendMessage. Whatever piebot spends beyond that is its own work: the database,
the checks, the handler routing, the card edits.

The cards and stage questions are posted by the live round's own code (`post_card`,
`post_stage_prompt`) for rounds the benchmark opened in the database, so the buttons pressed are
the real ones on real messages.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler


def wire_live_round(app: Application) -> None:
    """The live round's handlers come with piebot (piebot.telegram.rounds.assess registers them); the
    benchmark adds only the posting of the cards of the rounds it opened in the database."""
    app.bot_data.setdefault("on_start", []).append(post_cards)


async def post_cards(app: Application) -> None:
    """The current element's card of every open live round, and its stage question when at a stage."""
    from piebot.storage.live import cards_to_post
    from piebot.telegram.rounds.card import post_card, post_stage_prompt

    for card in await app.bot_data["runtime"].read(cards_to_post):
        await post_card(app, card.card_id)
        if card.stage is not None:
            await post_stage_prompt(app, card.round_id, card.element_id, card.stage)


async def run_piebot() -> int:
    from piebot.logs import setup_logging
    from piebot.runner import Bot
    from piebot.settings import get_settings

    settings = get_settings()
    setup_logging(settings)
    bot = Bot(settings)
    wire_live_round(bot.app)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, bot.stop_event.set)
    profile = os.environ.get("PIEBOT_BENCH_PROFILE")
    if profile:
        # Where the CPU goes, every thread included (the database work runs in worker threads):
        # `pip install yappi` into .venv first; not a dependency.
        import yappi

        yappi.set_clock_type(os.environ.get("PIEBOT_BENCH_PROFILE_CLOCK", "cpu"))
        yappi.start()
    await bot.run_until_stopped()
    if profile:
        yappi.stop()
        write_profile(f"{profile}.{os.getpid()}.txt")
    return 0


def write_profile(path: str) -> None:
    import yappi

    with open(path, "w") as out:
        yappi.get_func_stats().sort("ttot").print_all(out=out, columns={
            0: ("name", 90), 1: ("ncall", 10), 2: ("tsub", 8), 3: ("ttot", 8), 4: ("tavg", 8)})


def run_echo() -> int:
    logging.basicConfig(level=logging.WARNING)
    token = os.environ["TELEGRAM_BOT_TOKEN"]
    base = os.environ["TELEGRAM_API_BASE_URL"]

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer("ok")
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, "ok")

    app = ApplicationBuilder().token(token).base_url(base).concurrent_updates(True).build()
    app.add_handler(TypeHandler(Update, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=25)
    return 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "piebot"
    sys.exit(run_echo() if mode == "echo" else asyncio.run(run_piebot()))
