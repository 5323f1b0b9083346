"""`piebot demo`: the real bot against a local Bot API server, played by a team of four.

Works with no token and no network. Prints the group chat as a transcript and saves every
image and document the bot sent under the output folder.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from piebot import clock
from piebot.demo import scenes
from piebot.localapi import LocalBotApi
from piebot.runner import Bot
from piebot.settings import Settings
from piebot.telegram.delivery.ratelimit import PatientRateLimiter

TOKEN = "100000:DEMO-token-local-only"


async def run_demo(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    # The demo's own log lines would drown the transcript.
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        async with LocalBotApi(token=TOKEN) as api:
            settings = Settings(
                _env_file=None,
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_BASE_URL=api.base_url,
                DATABASE_URL=f"sqlite:///{Path(tmp) / 'demo.db'}",
                PIEBOT_SIGNING_SECRET="demo-signing-secret-not-for-real-teams",
            )
            # Telegram's 20-a-minute group limit would make the demo wait minutes between charts (and its
            # one a second in a private chat, many seconds); the local server has no such limits, so the
            # demo's bot does not keep to them.
            bot = Bot(settings, rate_limiter=PatientRateLimiter.without_chat_limits())
            await bot.start()
            real_now = clock.now  # the story moves the bot's clock on by weeks
            try:
                story = await scenes.play(api, bot)
            finally:
                await bot.stop()
                clock.now = real_now
            print(api.transcript(story.team.group))
            for person in story.team.everyone:
                private = api.transcript(person)
                if private.strip():
                    print(f"\n--- {person.first_name}'s private chat ---")
                    print(private)
            saved = save_files(api, story, out)
    print(f"\nSaved {len(saved)} file(s) in {out}/: " + ", ".join(p.name for p in saved))
    return 0


def save_files(api: LocalBotApi, story, out: Path) -> list[Path]:
    saved: list[Path] = []
    chats = [story.team.group, *story.team.everyone]
    for chat in chats:
        for message in api.chat_log(chat):
            if message.file:
                path = _unused(out / (message.filename or f"{message.kind}-{message.message_id}.png"), saved)
                path.write_bytes(message.file)
                saved.append(path)
    return saved


def _unused(path: Path, saved: list[Path]) -> Path:
    """The same chart drawn again later (the trend after more check-ins) is kept beside the first:
    responsiveness-over-time.png, then responsiveness-over-time-2.png."""
    n, candidate = 1, path
    while candidate in saved:
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
