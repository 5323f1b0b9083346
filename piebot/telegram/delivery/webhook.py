"""Serves Telegram's webhook, answering 200 only once an update's effect is committed.

PTB's built-in webhook server queues an update and answers 200 at once, so a worker that dies with
a queue full of answers loses them. Here the update is handled inside the request: 200 after its
handlers returned without failing, 500 otherwise, and Telegram delivers it again (to this worker
or another; the processed-update rows make the repeat harmless).

Several workers can serve one bot behind a load balancer: PostgreSQL takes a chat's updates in
turn (advisory transaction locks in apply_once) and one elected worker runs the scheduler.

Some updates are answered 200 without a handler's success, so that Telegram does not send them
for ever: one whose effect is already committed (delivered twice, to two workers, say), one PTB
cannot read (logged by id and kind), and one whose handler failed ATTEMPTS times. A stop answers
new deliveries 503 (Telegram takes them elsewhere or later), lets those in progress finish for a
short grace, then cancels them: no 200, so they come again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import OrderedDict

from aiohttp import web
from telegram.ext import Application

from piebot import metrics
from piebot.storage.db import Database
from piebot.telegram.delivery.polling import (
    CANCEL_SECONDS,
    STOP_GRACE_SECONDS,
    database_unreachable,
    kind_of,
    process_update,
    read_update,
    trace_of,
    watch_failures,
)

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram"
# Telegram retries a failed delivery for a long time and holds the chat's later updates meanwhile,
# so an update that fails for a reason of its own is accepted (and logged) after this many tries.
ATTEMPTS = 5
_REMEMBERED_FAILURES = 10_000


class WebhookServer:
    """POST <path> for Telegram, GET /healthz for the load balancer, GET /metrics for Prometheus."""

    def __init__(self, app: Application, db: Database, *, secret: str, listen: str = "0.0.0.0",
                 port: int = 8080, path: str = DEFAULT_PATH) -> None:
        if not secret:
            raise ValueError("a webhook needs PIEBOT_WEBHOOK_SECRET")
        self.app = app
        self.db = db
        watch_failures(app)
        self.secret = secret.encode()
        self.listen = listen
        self.port = port
        self.path = path
        self._attempts: OrderedDict[int, int] = OrderedDict()
        self._runner: web.AppRunner | None = None
        self._deliveries: set[asyncio.Task] = set()
        self._closing = False

    def web_app(self) -> web.Application:
        web_app = web.Application()
        web_app.router.add_post(self.path, self._receive)
        web_app.router.add_get("/healthz", self._health)
        web_app.router.add_get("/metrics", self._metrics)
        return web_app

    async def start(self) -> None:
        # No handler cancellation: a delivery Telegram gave up waiting for is still worth finishing.
        # (A stop cancels deliveries itself, after its grace: see stop.)
        self._runner = web.AppRunner(self.web_app(), access_log=None, handler_cancellation=False,
                                     shutdown_timeout=CANCEL_SECONDS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]
        log.info("webhook server listening on %s:%d%s", self.listen, self.port, self.path)

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Refuse new deliveries, let those in progress finish for `grace` seconds, cancel the rest."""
        self._closing = True
        if self._deliveries:
            await asyncio.wait(set(self._deliveries), timeout=max(grace, 0))
        left = set(self._deliveries)
        if left:
            log.info("stopping: %d delivery(ies) still in progress are cancelled; Telegram sends them again",
                     len(left))
            for task in left:
                task.cancel()
            await asyncio.wait(left, timeout=CANCEL_SECONDS)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            try:
                await asyncio.wait_for(runner.cleanup(), CANCEL_SECONDS * 4)
            except TimeoutError:
                log.warning("the webhook server took too long to close; left behind")

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            metrics.WEBHOOK_REFUSED.labels("secret").inc()
            log.warning("webhook request refused: wrong or missing secret token")
            return web.Response(status=403)
        if self._closing:
            return web.Response(status=503, text="stopping")
        try:
            body = await request.json()
        except (ValueError, json.JSONDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
            metrics.WEBHOOK_REFUSED.labels("malformed").inc()
            log.warning("webhook request refused: not an update")
            return web.Response(status=400)
        update = read_update(self.app, body)
        if update is None:
            return web.Response(text="unreadable; skipped")
        delivery = asyncio.ensure_future(process_update(self.app, update))
        self._deliveries.add(delivery)
        delivery.add_done_callback(self._deliveries.discard)
        error = await delivery
        if error is None:
            self._attempts.pop(update.update_id, None)
            return web.Response(text="ok")
        attempts = self._count_attempt(update.update_id)
        if not database_unreachable(error) and attempts >= ATTEMPTS:
            self._attempts.pop(update.update_id, None)
            metrics.UPDATES_GIVEN_UP.inc()
            log.error("gave up on update %d (%s) after %d attempts: %s\n%s", update.update_id, kind_of(update),
                      attempts, type(error).__name__, trace_of(error))
            return web.Response(text="given up")
        return web.Response(status=500, text="retry")

    def _count_attempt(self, update_id: int) -> int:
        attempts = self._attempts.pop(update_id, 0) + 1
        self._attempts[update_id] = attempts
        while len(self._attempts) > _REMEMBERED_FAILURES:
            self._attempts.popitem(last=False)
        return attempts

    async def _health(self, request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(asyncio.to_thread(self.db.ping), 5)
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", and the log says which
            log.warning("health check: database unreachable (%s)", type(exc).__name__)
            return web.Response(status=503, text="database unreachable")
        return web.Response(text="ok")

    async def _metrics(self, request: web.Request) -> web.Response:
        body, content_type = metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response
