"""A local Telegram Bot API server for running the real PTB Application in tests, the demo and benchmarks.

Point PTB at it with ``ApplicationBuilder().token(api.token).base_url(api.base_url)
.base_file_url(api.base_file_url)`` and drive people and groups through the same object.
"""

from piebot.localapi.limits import Limits
from piebot.localapi.model import ApiError, Call, Chat, Member, SentMessage, Stats, StoredFile, User
from piebot.localapi.server import LocalBotApi

__all__ = [
    "ApiError",
    "Call",
    "Chat",
    "Limits",
    "LocalBotApi",
    "Member",
    "SentMessage",
    "Stats",
    "StoredFile",
    "User",
]
