"""Logging that never shows the bot token or the signing secret."""

from __future__ import annotations

import logging

from piebot.settings import Settings


class Redact(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    secrets = [s.get_secret_value() for s in (settings.telegram_bot_token, settings.signing_secret) if s]
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # httpx logs every request URL, and Telegram's URLs contain the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# Loggers of the libraries under the bot. PTB logs every request's parameters and every update
# at DEBUG (what members wrote), httpx every URL at INFO (the token is in the path). A filter on
# a logger only sees records created there, so each one is named.
LIBRARY_LOGGERS = (
    "telegram", "telegram.Bot", "telegram.BaseRequest", "telegram.HTTPXRequest",
    "telegram.ext", "telegram.ext.ExtBot", "telegram.ext.Application", "telegram.ext.Updater",
    "telegram.ext.AIORateLimiter", "telegram.ext.JobQueue", "telegram.ext.ConversationHandler",
    "httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
    "apscheduler.scheduler", "apscheduler.executors.default", "aiohttp.server", "aiohttp.web",
)


class ContentFree(logging.Filter):
    """Keeps a library's record but drops anything in it that could carry content.

    Numbers and short strings stay (an endpoint name, a status code); dicts, updates, requests
    and other objects are replaced; secrets are cut out of whatever text is left.
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def _arg(self, value):
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self._clean(value)
        if type(value).__name__ == "URL":  # httpx.URL: the path is worth keeping, minus the token
            return self._clean(str(value))
        return "[content hidden]"

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self._clean(record.msg)
        else:
            record.msg = "[content hidden]"
        if isinstance(record.args, tuple):
            record.args = tuple(self._arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._arg(v) for k, v in record.args.items()}
        return True


def keep_content_out_of_logs(settings: Settings) -> None:
    """Install ContentFree on the libraries' loggers (again on each build, for new secrets)."""
    secrets = [s.get_secret_value() for s in (settings.telegram_bot_token, settings.signing_secret) if s]
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, ContentFree)]:
            logger.removeFilter(old)
        logger.addFilter(ContentFree(secrets))
