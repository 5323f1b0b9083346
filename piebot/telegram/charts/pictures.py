"""Charts posted to the group: drawn off the event loop, sent as photos with a short caption.

Used by /chart's buttons (piebot.telegram.charts.commands) and after a round or a check-in closes
(`on_round_closed`, `on_checkin_closed`, hooks the other features call). A chart sent on its own carries
an "In words" button (piebot.telegram.charts.details) for its figures; the end of a round sends its charts
as one album (one bubble, one notification), whose figures in words are in /chart and the report.

One member pressing a chart button again and again must not queue a drawing and a photo per press
into the group's 20 messages a minute: `draw_once` lets one drawing of a chart per team run at a time
(the turn is kept in the database, so every worker shares it), and answers the other presses that the
chart is on its way, or just above.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, InputFile, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application

from conversations.texts import charts as texts
from piebot import charts
from piebot.charts import Chart, NothingToChart, RoundResult, render
from piebot.charts.data import same_elements
from piebot.storage import pacing, results
from piebot.telegram.charts import details
from piebot.telegram.runtime import Runtime

log = logging.getLogger(__name__)

# A drawing that never finished (its process died) frees the chart after this long.
DRAWING_HOLD_SECONDS = 120.0
# Pressed again this soon after it was posted, the same chart is still in view: it is not drawn again.
JUST_POSTED_SECONDS = 10.0


def _runtime(app: Application) -> Runtime:
    return app.bot_data["runtime"]


async def _send_chart(app: Application, chat_id: int, fn, *args, quiet: bool = False,
                      filename: str | None = None, markup=None) -> bool:
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
                             caption=chart.caption, parse_mode=None, reply_markup=markup)
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
    markup = details.markup(found.team.id, f"{what}.{round_id}")
    if what == "p":
        await _send_chart(app, chat_id, charts.team_profile, found.current, found.previous,
                          filename=f"team-profile-round-{round_id}.png", markup=markup)
    else:
        await _send_chart(app, chat_id, charts.spread, found.current, filename=f"spread-round-{round_id}.png",
                          markup=markup)


async def send_distance(app: Application, team_id: int, chat_id: int, before_id: int, after_id: int) -> None:
    before, after = await _runtime(app).read(lambda s: results.two_rounds(s, team_id, before_id, after_id))
    await _send_chart(app, chat_id, charts.distance_travelled, same_elements(before, after), after,
                      filename=f"distance-travelled-{before_id}-to-{after_id}.png",
                      markup=details.markup(team_id, f"d.{before_id}.{after_id}"))


async def send_actions(app: Application, team_id: int, chat_id: int) -> None:
    rows = await _runtime(app).read(lambda s: results.action_rows(s, team_id))
    await _send_chart(app, chat_id, charts.action_table, rows, filename="our-actions.png",
                      markup=details.markup(team_id, "a"))


async def send_trend(app: Application, team_id: int, element_id: str, quiet: bool = False) -> None:
    found = await _runtime(app).read(lambda s: results.trend(s, team_id, element_id))
    latest = dict(await _runtime(app).read(lambda s: results.checkin_elements(s, team_id))).get(element_id)
    await _send_chart(app, found.chat_id, charts.responsiveness_trend, found.points, found.element_name,
                      found.level_labels, filename=f"{element_id}-over-time.png", quiet=quiet,
                      markup=details.markup(team_id, f"t.{latest}") if latest is not None else None)


# ---- hooks: after a round or a check-in closes ------------------------------------------------------


async def on_round_closed(app: Application, round_id: int) -> None:
    """Post the round's charts as one album under the summary: the team profile, the spread and (given an
    earlier round) the distance travelled, each with a caption of a line or two.

    One album is one bubble and one notification in the group, where three photos were three. A chart
    with nothing to show is left out without a word (the summary already says what was not agreed); a
    single chart goes as a photo, since an album holds two to ten.
    """
    found = await _runtime(app).read(lambda s: results.round_results(s, round_id))
    team, current, previous = found.team, found.current, found.previous
    if team.paused or found.audience != "staff":
        # Service users' views are shown only with their permission, which the summary handles.
        return
    wanted = [(charts.team_profile, (current, previous), f"team-profile-round-{round_id}.png"),
              (charts.spread, (current,), f"spread-round-{round_id}.png")]
    if previous is not None and _compared(previous, current) > 1:
        wanted.append((charts.distance_travelled, (same_elements(previous, current), current),
                       f"distance-travelled-{previous.round_id}-to-{round_id}.png"))
    drawn = await asyncio.gather(*(render(fn, *args) for fn, args, _ in wanted), return_exceptions=True)
    album = []
    for (_, _, filename), chart in zip(wanted, drawn, strict=True):
        if isinstance(chart, NothingToChart):
            continue
        if isinstance(chart, BaseException):
            raise chart
        album.append((chart, filename))
    try:
        await send_album(app, team.chat_id, album)
    except TelegramError as exc:
        log.warning("charts after round %s not posted: %s", round_id, type(exc).__name__)


def _compared(previous: RoundResult, current: RoundResult) -> int:
    """Elements with a team view in both rounds. With one, the profile already shows where it was and where
    it is (and its caption says the move), so a distance chart would only say it again."""
    before = {e.element_id for e in previous.elements if e.team_view is not None}
    return sum(1 for e in current.elements if e.team_view is not None and e.element_id in before)


async def send_album(app: Application, chat_id: int, charts: list[tuple[Chart, str]],
                     captions: list[str] | None = None) -> None:
    """Charts (with their file names) as one album; one chart as a photo; none, nothing. Each carries its
    own plain caption, or the HTML one given for it in `captions`."""
    if captions is None:
        captions, mode = [chart.caption for chart, _ in charts], None
    else:
        mode = ParseMode.HTML
    if len(charts) == 1:
        chart, filename = charts[0]
        await app.bot.send_photo(chat_id, photo=InputFile(chart.png, filename=filename), caption=captions[0],
                                 parse_mode=mode)
    elif charts:
        await app.bot.send_media_group(chat_id, [
            InputMediaPhoto(InputFile(chart.png, filename=filename, attach=True), caption=caption, parse_mode=mode)
            for (chart, filename), caption in zip(charts, captions, strict=True)])


async def on_checkin_closed(app: Application, checkin_id: int) -> None:
    """Post the trend of the check-in's element, this check-in included."""
    found = await _runtime(app).read(lambda s: results.closed_checkin(s, checkin_id))
    if found is None:
        return
    try:
        # Quiet: a check-in's close is its summary and at most one picture, never a second message.
        await send_trend(app, *found, quiet=True)
    except TelegramError as exc:
        log.warning("trend after check-in %s not posted: %s", checkin_id, type(exc).__name__)
