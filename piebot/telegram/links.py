"""Signed deep-link payloads for t.me/<bot>?start=<payload>.

Telegram allows 64 characters of [A-Za-z0-9_-]. A payload names what it grants (join a
team, redeem something) and for whom, and carries an HMAC so it cannot be forged or
pointed at another team.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

_SIG_BYTES = 12
# 12 bytes are 16 base64 characters, always: the signature is the payload's fixed-length tail,
# since '-' and '_' may occur inside it.
_SIG_CHARS = 16


class BadLink(ValueError):
    pass


@dataclass(frozen=True)
class Grant:
    action: str  # "j" join a team
    ref: int
    user_id: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sig(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest()[:_SIG_BYTES])


def sign(secret: bytes, action: str, ref: int, user_id: int) -> str:
    body = f"{action}{ref}-{user_id}"
    payload = body + _sig(secret, body)
    assert len(payload) <= 64
    return payload


def verify(secret: bytes, payload: str) -> Grant:
    try:
        body, sig = payload[:-_SIG_CHARS], payload[-_SIG_CHARS:]
        head, user = body.split("-", 1)
        action, ref = head[0], int(head[1:])
        user_id = int(user)
    except (ValueError, IndexError):
        raise BadLink("malformed") from None
    if not hmac.compare_digest(_sig(secret, body), sig):
        raise BadLink("signature")
    return Grant(action, ref, user_id)
