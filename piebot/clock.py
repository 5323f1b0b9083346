"""The one source of the current time for anything that runs on a clock (deadlines, nudges).

Tests replace `now` to move time on instead of waiting for it.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
