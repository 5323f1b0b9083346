"""Charts posted to the group: drawn off the event loop, sent as photos with their figures in the caption.

Used by /chart's buttons (piebot.telegram.charts.commands) and after a round or a check-in closes
(`on_round_closed`, `on_checkin_closed`, hooks the other features call).

One member pressing a chart button again and again must not queue a drawing and a photo per press
into the group's 20 messages a minute: `draw_once` lets one drawing of a chart per team run at a time
(the turn is kept in the database, so every worker shares it), and answers the other presses that the
chart is on its way, or just above.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from telegram import CallbackQuery, InputFile
from telegram.error import TelegramError
from telegram.ext import Application

from conversations.texts import charts as texts
from piebot.charts import (
    Chart,
    NothingToChart,
    RoundResult,
    action_table,
    distance_travelled,
    render,
    responsiveness_trend,
    spread,
    team_profile,
)
from piebot.storage import pacing, results
from piebot.telegram.runtime import Runtime

log = logging.getLogger(__name__)

# A drawing that never finished (its process died) frees the chart after this long.
DRAWING_HOLD_SECONDS = 120.0
# Pressed again this soon after it was posted, the same chart is still in view: it is not drawn again.
JUST_POSTED_SECONDS = 10.0


def _runtime(app: Application) -> Runtime:
    return app.bot_data["runtime"]


async def _send_chart(app: Application, chat_id: int, fn, *args, quiet: bool = False,
                      filename: str | None = None) -> bool:
    """Render off the event loop and post the picture; say the kind message instead if there is nothing.

    `quiet` keeps NothingToChart to itself (for an optional picture after a round closes).
    """
    try:
        chart: Chart = await render(fn, *args)
    except NothingToChart as nothing:
        if not quiet:
            # The message quotes element names as they are: plain text, not HTML.
            await app.bot.send_message(chat_id, str(nothing), parse_mode=None)
        return False
    await app.bot.send_photo(chat_id, photo=InputFile(chart.png, filename=filename or f"{chart.kind}.png"),
                             caption=chart.caption, parse_mode=None)
    return True


async def draw_once(app: Application, query: CallbackQuery, team_id: int, chart: str,
                    draw: Callable[[], Awaitable[object]]) -> None:
    """Answer the press and draw `chart` (a kind and its rounds or element, e.g. "p.12") unless the same
    chart of this team is being drawn or was just posted; then the answer says so, and nothing is drawn."""
    rt = _runtime(app)
    key = f"chart:{team_id}:{chart}"
    try:
        held = await rt.apply(None, lambda s: pacing.claim_turn(s, key, DRAWING_HOLD_SECONDS))
    except Exception as exc:  # noqa: BLE001 - without the shared turn, draw anyway: better twice than never
        log.info("no turn to draw a chart (%s); drawing anyway", type(exc).__name__)
        held = 0.0
    if held > 0:
        await query.answer(texts.ON_ITS_WAY if held > JUST_POSTED_SECONDS else texts.JUST_POSTED)
        return
    await query.answer(texts.DRAWING)
    try:
        await draw()
    finally:
        try:
            await rt.apply(None, lambda s: pacing.release_turn(s, key, keep=JUST_POSTED_SECONDS))
        except Exception as exc:  # noqa: BLE001 - the hold lapses by itself
            log.info("could not free a chart's turn (%s)", type(exc).__name__)


async def send_round_chart(app: Application, chat_id: int, what: str, round_id: int) -> None:
    """The team profile ("p") or the spread ("s") of one round."""
    found = await _runtime(app).read(lambda s: results.round_results(s, round_id))
    if what == "p":
        await _send_chart(app, chat_id, team_profile, found.current, found.previous,
                          filename=f"team-profile-round-{round_id}.png")
    else:
        await _send_chart(app, chat_id, spread, found.current, filename=f"spread-round-{round_id}.png")


async def send_distance(app: Application, team_id: int, chat_id: int, before_id: int, after_id: int) -> None:
    before, after = await _runtime(app).read(lambda s: results.two_rounds(s, team_id, before_id, after_id))
    await _send_chart(app, chat_id, distance_travelled, same_elements(before, after), after,
                      filename=f"distance-travelled-{before_id}-to-{after_id}.png")


def same_elements(before: RoundResult, after: RoundResult) -> RoundResult:
    """The earlier round cut to the later round's elements: a round on one element is compared on that one,
    not listed against the eighteen it did not cover."""
    kept = {e.element_id for e in after.elements}
    return replace(before, elements=[e for e in before.elements if e.element_id in kept])


async def send_actions(app: Application, team_id: int, chat_id: int) -> None:
    rows = await _runtime(app).read(lambda s: results.action_rows(s, team_id))
    await _send_chart(app, chat_id, action_table, rows, filename="our-actions.png")


async def send_trend(app: Application, team_id: int, element_id: str) -> None:
    found = await _runtime(app).read(lambda s: results.trend(s, team_id, element_id))
    await _send_chart(app, found.chat_id, responsiveness_trend, found.points, found.element_name,
                      found.level_labels, filename=f"{element_id}-over-time.png")


# ---- hooks: after a round or a check-in closes ------------------------------------------------------


async def on_round_closed(app: Application, round_id: int) -> None:
    """Post the team profile and the spread (and the distance travelled, given an earlier round).

    Awaited, not left to run in the background: a chat's updates are handled in order, so the charts
    come straight after the summary, before whatever the team does next.
    """
    found = await _runtime(app).read(lambda s: results.round_results(s, round_id))
    team, current, previous = found.team, found.current, found.previous
    if team.paused or found.audience != "staff":
        # Service users' views are shown only with their permission, which the summary handles.
        return
    try:
        await _send_chart(app, team.chat_id, team_profile, current, previous,
                          filename=f"team-profile-round-{round_id}.png")
        await _send_chart(app, team.chat_id, spread, current, filename=f"spread-round-{round_id}.png")
        if previous is not None:
            await _send_chart(app, team.chat_id, distance_travelled, same_elements(previous, current), current,
                              quiet=True,
                              filename=f"distance-travelled-{previous.round_id}-to-{round_id}.png")
    except TelegramError as exc:
        log.warning("charts after round %s not posted: %s", round_id, type(exc).__name__)


async def on_checkin_closed(app: Application, checkin_id: int) -> None:
    """Post the trend of the check-in's element, this check-in included."""
    found = await _runtime(app).read(lambda s: results.closed_checkin(s, checkin_id))
    if found is None:
        return
    try:
        await send_trend(app, *found)
    except TelegramError as exc:
        log.warning("trend after check-in %s not posted: %s", checkin_id, type(exc).__name__)
