"""The end of a round in the group: the summary, the review date, then the on_round_closed hooks."""

from __future__ import annotations


async def post_round_summary(app_or_context_bot, round_id: int) -> None:
    raise NotImplementedError  # filled in below by the live-round work
