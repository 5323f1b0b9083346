"""The HTTP side of the local Bot API server: routing, update queue, long polling, webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import json
import socket
import time
import zlib
from collections import deque
from collections.abc import Callable
from typing import Any, Self

import aiohttp
from aiohttp import web

from piebot.localapi.faults import FaultInjection, Outage
from piebot.localapi.limits import FloodControl, Limits
from piebot.localapi.methods import BotApiMethods, Described
from piebot.localapi.model import ApiError, Call, Chat, SentMessage, Stats, StoredFile, User
from piebot.localapi.params import read_params
from piebot.localapi.people import Simulation

# How long a test or the demo waits for the bot by default. A wait, not a measure of speed (the
# benchmarks measure that): generous, so a machine busy with other work does not fail a test.
WAIT_SECONDS = 15.0
# Telegram leaves these out unless a bot asks for them by name in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
_CONFLICT_POLLER = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


class LocalBotApi(BotApiMethods, FaultInjection, Simulation):
    """A Telegram Bot API server on 127.0.0.1 plus the people and groups that talk to the bot.

    ``clock`` drives rate limits, message dates and callback-query expiry so tests can move time on
    without sleeping; it defaults to ``time.time``, and ``move_clock`` moves either on.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        enforce_limits: bool = False,
        clock: Callable[[], float] | None = None,
        limits: Limits | None = None,
        privacy_mode: bool = True,
        strict_html: bool = True,
        bot_username: str = "piebot_test_bot",
        bot_name: str = "piebot",
        callback_query_ttl: float = 15.0,
    ) -> None:
        self.token = token
        self.enforce_limits = enforce_limits
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self.callback_query_ttl = callback_query_ttl
        self._base_clock = clock or time.time
        self._clock_shift = 0.0
        self._wall_offset = time.time() - self._clock()
        head = token.split(":", 1)[0]
        bot_id = int(head) if head.isdigit() else zlib.crc32(token.encode()) % 10**9 + 10**9
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.flood = FloodControl(self._clock, limits)
        self.stats = Stats()
        self.calls: list[Call] = []
        self.chat_actions: list[tuple[int, str, float]] = []
        #: Group messages the bot never saw because of privacy mode.
        self.hidden_messages: list[dict[str, Any]] = []
        #: Exceptions raised inside the server itself; a non-empty list means a bug in the server.
        self.server_errors: list[Exception] = []

        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._next_ids = {"user": 100_000_001, "group": 4_000_000_001, "supergroup": 1_002_000_000_001}
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._sent: dict[tuple[int, int], SentMessage] = {}
        self._sent_order: list[SentMessage] = []
        self._deleted: set[tuple[int, int]] = set()
        # The bot's reaction on each message it reacted to: (chat id, message id) -> emoji, newest set.
        self._reactions: dict[tuple[int, int], list[str]] = {}
        self._timeline: dict[Chat, list[tuple[Any, ...]]] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._commands: dict[tuple[Any, str], list[dict[str, str]]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._queries: dict[str, tuple[dict[str, Any], float]] = {}
        self._answers: dict[str, dict[str, Any]] = {}
        self._next_query_id = 4_211_000_000_000_000_001

        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._update_event = asyncio.Event()
        self._poll_generation = 0
        self._webhook: dict[str, Any] | None = None

        self._faults: dict[str, deque[tuple[int | None, ApiError]]] = {}
        self._delays: dict[str, deque[float]] = {}
        self._held_answers: dict[str, deque[tuple[int | None, float]]] = {}
        self._outages: dict[str, Outage] = {}
        self._paused = False
        self._in_flight = 0
        self._last_activity = 0.0
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.port = 0
        self._method_table = {
            name[len("_api_"):].lower(): getattr(self, name) for name in dir(self) if name.startswith("_api_")
        }

    # ----------------------------------------------------------------------------------- lifecycle

    def _clock(self) -> float:
        return self._base_clock() + self._clock_shift

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> Self:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._session = aiohttp.ClientSession()
        self._stopping = False
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="localapi-webhook")
        self._last_activity = asyncio.get_running_loop().time()
        return self

    async def stop(self) -> None:
        self._stopping = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------------------------------- HTTP

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        if path.startswith("file/bot"):
            return self._serve_file(path[len("file/bot"):])
        if not path.startswith("bot") or "/" not in path:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        token, method = path[len("bot"):].split("/", 1)
        if method.lower() == "getupdates":
            body, status = await self._process(token, method, request)
        else:
            # A client that gives up (timeout) does not stop Telegram from carrying out the call,
            # so the work must outlive the cancelled request handler.
            work = asyncio.ensure_future(self._process(token, method, request))
            body, status = await asyncio.shield(work)
        return web.json_response(body, status=status, dumps=_dumps)

    async def _process(self, token: str, method: str, request: web.Request) -> tuple[dict[str, Any], int]:
        loop = asyncio.get_running_loop()
        self._last_activity = loop.time()
        self.stats.requests += 1
        call = Call(method, {}, self._clock())
        self.calls.append(call)
        is_poll = method.lower() == "getupdates"
        if not is_poll:
            self._in_flight += 1
        try:
            result = await self._run(token, method, request, call)
            body: dict[str, Any] = {"ok": True, "result": result}
            if isinstance(result, Described):
                body = {"ok": True, "result": result.result, "description": result.description}
            status = 200
        except ApiError as error:
            body, status = error.payload(), error.code
            call.description = error.description
            self.stats.errors += 1
            if error.code == 429:
                self.stats.too_many_requests += 1
        except Exception as exc:  # noqa: BLE001 - a bug here must reach the test, not vanish in a log
            self.server_errors.append(exc)
            body, status = ApiError(500, f"Internal Server Error: {exc!r}").payload(), 500
            call.description = body["description"]
        finally:
            if not is_poll:
                self._in_flight -= 1
        call.status = status
        if not is_poll or body.get("result"):
            self._last_activity = loop.time()
        return body, status

    async def _run(self, token: str, method: str, request: web.Request, call: Call) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        call.params = await read_params(request)
        key = method.lower()
        await self._misbehave(key, call.params)
        handler = self._method_table.get(key)
        if handler is None:
            raise ApiError(404, "Not Found")
        result = handler(call.params)
        if inspect.isawaitable(result):
            result = await result
        await self._answer_late(key, call.params)
        return result

    def _serve_file(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self._files_by_path.get(file_path)
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------------------------- updates

    def _notify(self) -> None:
        self._update_event.set()
        self._update_event = asyncio.Event()

    def _update_allowed(self, kind: str) -> bool:
        allowed = self._allowed_updates
        if not allowed:
            return kind not in _OPT_IN_UPDATES
        return kind in allowed

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        # Telegram filters when an update is created, not when it is fetched.
        if not self._update_allowed(kind):
            return None
        update = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
        self._next_update_id += 1
        self._updates.append(update)
        self._notify()
        return update

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset or a webhook 200."""
        return copy.deepcopy(self._updates)

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    async def _api_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(409, _CONFLICT_WEBHOOK)
        if p.get("allowed_updates") is not None:
            self._allowed_updates = list(p["allowed_updates"])
        self._confirm(p.get("offset"))
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = max(float(p.get("timeout") or 0), 0.0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # lets an older long poll notice it has been superseded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT_POLLER)
            if self._webhook is not None:
                raise ApiError(409, _CONFLICT_WEBHOOK)
            batch = [] if self._paused else self._updates[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._stopping:
                return copy.deepcopy(batch)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), remaining)

    # ------------------------------------------------------------------------------------ webhooks

    async def _webhook_loop(self) -> None:
        backoff = 0.02
        while True:
            hook = self._webhook
            if hook is None or not self._updates or self._paused:
                await self._update_event.wait()
                continue
            update = self._updates[0]
            error = await self._post_update(hook, update)
            if error is None:
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                self.stats.webhook_deliveries += 1
                self._last_activity = asyncio.get_running_loop().time()
                backoff = 0.02
                self._notify()
                continue
            hook["last_error_date"] = self._date()
            hook["last_error_message"] = error
            self.stats.webhook_failures += 1
            # Telegram keeps retrying with growing pauses; the cap keeps tests quick.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 0.5)

    async def _post_update(self, hook: dict[str, Any], update: dict[str, Any]) -> str | None:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        try:
            async with self._session.post(
                hook["url"], data=_dumps(update), headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc.__class__.__name__}"

    # ------------------------------------------------------------------------------------- waiting

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
        """Poll ``predicate`` (sync or async) while the bot runs; return its first truthy value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # The longest the loop went without coming back here: a blocked loop, not a slow bot, if large.
        last, longest_gap = loop.time(), 0.0
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            now = loop.time()
            longest_gap, last = max(longest_gap, now - last), now
            if now >= deadline:
                raise AssertionError(f"condition not met within {timeout}s: {_describe(predicate)}\n"
                                     f"{self._situation()}; longest pause of the event loop {longest_gap:.2f}s")
            await asyncio.sleep(0.01)

    async def wait_idle(self, timeout: float = WAIT_SECONDS, quiet: float = 0.05) -> None:
        """Wait until every update was confirmed and the bot made no request for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = loop.time()
            if not self._updates and self._in_flight == 0 and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                raise AssertionError(f"the bot did not go idle within {timeout}s\n{self._situation()}")
            await asyncio.sleep(0.01)

    def _situation(self) -> str:
        pending = [next(k for k in u if k != "update_id") + f"#{u['update_id']}" for u in self._updates]
        recent = ", ".join(
            f"{c.method}->{c.status}" + (f" ({c.description})" if c.description else "") for c in self.calls[-8:]
        )
        return (f"unconfirmed updates: {pending or 'none'}; last calls: {recent or 'none'}; "
                f"requests in progress: {self._in_flight}; the bot's tasks: {_bot_tasks() or 'none'}")

    def _date(self) -> int:
        return int(self._clock() + self._wall_offset)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _bot_tasks() -> str:
    """Where each of the bot's named tasks is waiting: the innermost line of its coroutine chain that is
    the project's own (not Python's library or an installed package)."""
    where = []
    for task in asyncio.all_tasks():
        if not task.get_name().startswith("piebot-") or task.done():
            continue
        stack = task.get_stack()
        own = [f for f in stack if "/lib/python" not in f.f_code.co_filename]
        frame = (own or stack or [None])[-1]
        place = f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno}" if frame else "?"
        where.append(f"{task.get_name()} at {place}")
    return ", ".join(sorted(where))


def _describe(predicate: Callable[[], Any]) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
