"""Thousands of generated updates through the real bot: nothing escapes the handlers, the data stays sound.

People do what people (and tampering clients) can do on Telegram: commands with odd arguments,
button presses with forged data, replies to any message, text in any script, photos, voice notes,
documents, leaving and coming back. The local Bot API server delivers it all to the real
Application, polling as in production. Afterwards the database must still keep its promises.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up
from piebot.runner import Bot
from piebot.storage.models import Evidence, Member, Participation, Rating, Round, RoundElement, Team
from piebot.telegram import gatekeeper
from piebot.telegram.delivery.ratelimit import PatientRateLimiter
from tests.conftest import make_settings

COMMANDS = ["start", "help", "join", "setup", "status", "assess", "next", "back", "skip", "pause", "resume",
            "close", "withdraw", "facilitator", "chart", "report", "export", "schedule", "support", "away",
            "mydata", "forgetme", "retention", "deleteteam", "network", "networks", "acceptnetwork",
            "leavenetwork", "nonsense"]
KINDS = ["su", "as", "fa", "rt", "fc", "tv", "ev", "rv", "wk", "wv", "ch", "rp", "ci", "sc", "fm", "kp", "dt", "nw",
         "nwa", "nwl", "nws", "sv", "svr", "zz"]
WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
HOSTILE = st.sampled_from(["<b>", "&", "<script>x</script>", "&amp;", "</i>", "🙂", "\u202e", "\x00", " ", "1",
                           "Europe/London", "365", "off", "@piebot_test_bot", "a" * 300])
ARG = st.one_of(st.integers(-5, 10**6).map(str), HOSTILE, WORDS.map(lambda t: t.replace(" ", "")[:20]))

# One step a person can take, drawn as plain data and played against the server.
STEP = st.one_of(
    st.tuples(st.just("command"), st.sampled_from(COMMANDS), st.lists(ARG, max_size=3), st.booleans()),
    st.tuples(st.just("press"), st.sampled_from(KINDS), st.integers(0, 40), ARG, st.booleans()),
    st.tuples(st.just("press_real"), st.integers(0, 10**6), st.booleans()),
    st.tuples(st.just("reply"), st.one_of(WORDS, HOSTILE), st.integers(0, 10**6)),
    st.tuples(st.just("private"), st.one_of(WORDS, HOSTILE)),
    st.tuples(st.just("media"), st.sampled_from(["photo", "voice", "document"]), st.booleans()),
    st.tuples(st.just("membership"), st.sampled_from(["leave", "return"])),
    st.tuples(st.just("raw"), st.binary(max_size=64).map(lambda b: b.decode("latin-1"))),
)


@pytest.fixture
async def fuzz_bot(api, sqlite_url) -> AsyncIterator[Bot]:
    # Telegram's 20-a-minute per group would make the bot, rightly, take minutes over a burst; the
    # fuzz is about what the handlers do, so the group limit is lifted for it.
    bot = Bot(make_settings(api, sqlite_url), rate_limiter=PatientRateLimiter(group_max_rate=10_000))
    await bot.start()
    bot.app.bot_data[gatekeeper.COMMANDS] = gatekeeper.FloodLimit(count=40, seconds=10)
    bot.app.bot_data[gatekeeper.PRESSES] = gatekeeper.FloodLimit(count=200, seconds=10)
    try:
        yield bot
    finally:
        await bot.stop()
        bot.db.dispose()


def check_invariants(db) -> None:
    """What the data must always be, whatever people did."""
    with db.session() as s:
        assert s.exec(select(Rating).where((Rating.value < 1) | (Rating.value > 20))).all() == []
        anonymous = select(Round.id).where(Round.anonymous)
        assert s.exec(select(Rating).where(Rating.round_id.in_(anonymous), Rating.member_id.is_not(None))).all() == []
        assert s.exec(select(Evidence).where(Evidence.round_id.in_(anonymous), Evidence.member_id.is_not(None))).all() == []
        open_staff = s.exec(
            select(Round.team_id, func.count()).where(Round.status.in_(("open", "paused")), Round.audience == "staff")
            .group_by(Round.team_id)
        ).all()
        assert all(n <= 1 for _, n in open_staff), open_staff
        members = set(s.exec(select(Member.id)))
        assert set(s.exec(select(Participation.member_id))) <= members
        assert {m for m in s.exec(select(Rating.member_id)) if m is not None} <= members
        chats = list(s.exec(select(Team.chat_id)))
        assert len(chats) == len(set(chats))
        pairs = list(s.exec(select(Member.team_id, Member.telegram_user_id)))
        assert len(pairs) == len(set(pairs))
        # A rating belongs to its own team's round.
        cross = select(Rating).join(Round, Round.id == Rating.round_id).where(Round.team_id != Rating.team_id)
        assert s.exec(cross).all() == []
        elements = list(s.exec(select(RoundElement.round_id, RoundElement.element_id)))
        assert len(elements) == len(set(elements))


class Crowd:
    """Plays steps as the people of one team, keeping to what Telegram lets them do."""

    def __init__(self, api, team) -> None:
        self.api, self.team = api, team
        self.people = team.everyone
        self.away: list = []

    def _someone(self, rnd: random.Random):
        return rnd.choice([p for p in self.people if p not in self.away])

    def _bot_messages(self, chat):
        return [m for m in self.api.chat_log(chat) if m.chat_id == self.api._as_chat(chat).id]

    async def play(self, step, rnd: random.Random) -> None:
        api, group = self.api, self.team.group
        who = self._someone(rnd)
        kind = step[0]
        if kind == "command":
            _, name, args, private = step
            chat = who if private else group
            await api.send(who, chat, " ".join(["/" + name, *args])[:4000])
        elif kind in ("press", "press_real", "raw"):
            private = step[-1] if kind != "raw" else False
            chat = who if private else group
            messages = self._bot_messages(chat) or self._bot_messages(group)
            if not messages:
                return
            message = messages[rnd.randrange(len(messages))]
            if message.chat_id != group.id and message.chat_id != who.id:
                return
            if kind == "press":
                data = f"v1:{step[1]}:{step[2]}:{step[3]}"
            elif kind == "press_real":
                real = [d for m in messages for row in m.buttons for _, d in row if d and d.startswith("v1:")]
                if not real:
                    return
                data = real[step[1] % len(real)]
            else:
                data = step[1]
            await api.press(who, message, data, forged=True)
        elif kind == "reply":
            messages = self._bot_messages(group)
            if messages:
                target = messages[step[2] % len(messages)]
                await api.send(who, group, step[1] or "…", reply_to=target)
        elif kind == "private":
            await api.send(who, who, step[1] or "…")
        elif kind == "media":
            _, media, private = step
            chat = who if private else group
            replies = self._bot_messages(chat)
            reply_to = replies[-1] if replies and not private else None
            if media == "photo":
                await api.send_photo(who, chat, caption="<b>x</b>", reply_to=reply_to)
            elif media == "voice":
                await api.send_voice(who, chat, reply_to=reply_to)
            else:
                await api.send_document(who, chat, reply_to=reply_to)
        elif kind == "membership":
            if step[1] == "leave" and who is not self.team.admin and len(self.away) < len(self.people) - 2:
                await api.leave(group, who)
                self.away.append(who)
            elif step[1] == "return" and self.away:
                back = self.away.pop(0)
                await api.join(group, back)


@pytest.fixture
async def crowd(api, fuzz_bot) -> Crowd:
    team = await add_bot_and_set_up(api, members=4)
    # Something to poke at: the /assess wizard open in the group.
    await api.send(team.admin, team.group, "/assess")
    await api.wait_idle()
    return Crowd(api, team)


PLAYED: list[str] = []


# The fixtures are made once and shared by every example: the bot and its database live on and
# collect whatever the examples leave behind, as a real bot would.
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, min_size=1, max_size=10), seed=st.integers(0, 2**16))
async def test_generated_updates_never_escape_the_handlers_and_keep_the_data_sound(
    api, fuzz_bot, crowd, caplog, steps, seed
):
    caplog.set_level(logging.WARNING)
    rnd = random.Random(seed)
    for step in steps:
        await crowd.play(step, rnd)
        PLAYED.append(step[0])
    await api.wait_idle(timeout=30)
    check_invariants(fuzz_bot.db)
    escaped = [r.getMessage() for r in caplog.records
               if "error while handling" in r.getMessage() or "escaped the handlers" in r.getMessage()
               or "gave up on update" in r.getMessage()]
    assert escaped == [], escaped[:5]
    assert api.server_errors == []


def test_the_fuzz_played_enough():
    # Runs after the fuzz in file order: hypothesis must really have played hundreds of steps.
    assert len(PLAYED) >= 300, len(PLAYED)
