"""Charts in the group, the round report and the CSV export.

Who may:
- /chart: any joined member. The pictures never show who said what (the spread draws no names,
  in named rounds too), so everyone in the team may see them, in the group.
- /report and /export: a group admin or the team's facilitator, and the files go to that person's
  private chat. A report or a spreadsheet is made to be handed on, outside the group, so handing it on
  is a deliberate act of whoever is responsible; the export of a named round has each person's own
  answers, which the group itself never sees. The group is told that a report was made, so nobody
  wonders. Anonymous answers carry no names in either file (see piebot.storage.results).

Buttons: "ch" (which chart, which rounds; ref = team id) and "rp" (a report of an earlier round;
ref = team id, arg = round id). Every press is checked against the chat, the team and the presser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.texts import charts as texts
from piebot.charts import (
    Chart,
    NothingToChart,
    RoundResult,
    actions_by_theme,
    distance_travelled,
    render,
    responsiveness_trend,
    spread,
    team_profile,
)
from piebot.charts.export import export_csv
from piebot.charts.layout import nice_date
from piebot.charts.report import round_report_pdf
from piebot.storage import results, teams
from piebot.storage.models import Action, CheckIn, Round, Team
from piebot.telegram import callbacks
from piebot.telegram.guards import chat_admin_ids, in_group, is_admin
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

CHART = "ch"
REPORT = "rp"
ROUND_BUTTONS = 8  # rounds offered in a picker; older ones are in the export
EARLIER_REPORT_BUTTONS = 4


# ---- what a team has to chart ---------------------------------------------------------------------


@dataclass(frozen=True)
class RoundInfo:
    id: int
    closed_on: str  # "3 Mar 2025", in the team's time zone
    anonymous: bool


@dataclass(frozen=True)
class TeamFacts:
    team_id: int
    chat_id: int
    name: str
    set_up: bool
    joined: bool
    lead: bool  # the presser is the team's facilitator (Telegram admins are checked separately)
    private_chat: bool
    rounds: list[RoundInfo]  # closed staff rounds, newest first
    checkin_elements: list[tuple[str, str, int]]  # (element id, name, latest check-in id)
    has_actions: bool


def _facts(session, team: Team | None, user_id: int | None) -> TeamFacts | None:
    if team is None:
        return None
    member = teams.member_of(session, team.id, user_id) if user_id is not None else None
    zone = results.team_zone(team)
    rounds = [RoundInfo(r.id, nice_date(results.local_date(r.closed_at, zone)), r.anonymous)
              for r in results.latest_rounds(session, team.id, ROUND_BUTTONS)]
    names = results.names_for(team)
    elements = [(element_id, names.element(element_id)[0], latest)
                for element_id, latest in results.checkin_elements(session, team.id)]
    has_actions = session.exec(select(Action.id).where(Action.team_id == team.id)).first() is not None
    return TeamFacts(
        team_id=team.id, chat_id=team.chat_id, name=team.name or team.chat_title, set_up=team.set_up,
        joined=member is not None and member.active, lead=member is not None and member.active and member.facilitator,
        private_chat=member is not None and member.private_chat, rounds=rounds, checkin_elements=elements,
        has_actions=has_actions,
    )


def _facts_for_chat(session, chat_id: int, user_id: int | None) -> TeamFacts | None:
    return _facts(session, teams.team_for_chat(session, chat_id), user_id)


def _facts_for_team(session, team_id: int, user_id: int | None) -> TeamFacts | None:
    return _facts(session, session.get(Team, team_id), user_id)


# ---- /chart -----------------------------------------------------------------------------------------


def _chart_button(label: str, team_id: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(CHART, team_id, arg))


def _menu(facts: TeamFacts) -> tuple[str, InlineKeyboardMarkup]:
    rows: list[list[InlineKeyboardButton]] = []
    notes: list[str] = []
    if facts.rounds:
        rows.append([_chart_button("Where we are now", facts.team_id, "p"),
                     _chart_button("How far apart we are", facts.team_id, "s")])
        notes.append(texts.MENU_LATEST.format(date=facts.rounds[0].closed_on))
        if len(facts.rounds) >= 2:
            rows.append([_chart_button("How far we've travelled", facts.team_id, "d")])
        else:
            notes.append(texts.MENU_ONE_ROUND)
    else:
        notes.append(texts.MENU_NO_ROUND)
    for _element_id, name, latest in facts.checkin_elements[:4]:
        rows.append([_chart_button(f"{name[:40]} over time", facts.team_id, f"t.{latest}")])
    if not facts.checkin_elements:
        notes.append(texts.MENU_NO_CHECKINS)
    if facts.has_actions:
        rows.append([_chart_button("Our actions", facts.team_id, "a")])
    text = texts.MENU + "\n" + "\n".join(notes)
    return text, InlineKeyboardMarkup(rows)


async def chart_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    user_id = update.effective_user.id if update.effective_user and message.sender_chat is None else None
    facts = await rt.read(lambda s: _facts_for_chat(s, chat_id, user_id))
    if facts is None or not facts.set_up:
        await message.reply_html(texts.NOT_SET_UP)
        return
    if not facts.joined:
        await message.reply_html(texts.NOT_JOINED)
        return
    if not (facts.rounds or facts.checkin_elements or facts.has_actions):
        await message.reply_html(texts.NOTHING_YET)
        return
    text, keyboard = _menu(facts)
    await message.reply_html(text, reply_markup=keyboard)


async def on_chart_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "charts")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    facts = await rt.read(lambda s: _facts_for_chat(s, chat.id, query.from_user.id))
    if facts is None or facts.team_id != press.ref:
        log.warning("chart button refused: wrong chat")
        await query.answer(texts.WRONG_CHAT, show_alert=True)
        return
    if not facts.joined:
        log.info("chart button refused: not a joined member")
        await query.answer(texts.NOT_JOINED, show_alert=True)
        return
    what, _, rest = press.arg.partition(".")
    known = {r.id: r for r in facts.rounds}
    try:
        ids = [int(x) for x in rest.split(".")] if rest else []
    except ValueError:
        ids = None
    if ids is None or what not in ("p", "s", "d", "t", "a"):
        log.warning("chart button refused: unknown choice")
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return

    if what in ("p", "s"):
        round_id = ids[0] if ids else (facts.rounds[0].id if facts.rounds else None)
        if round_id is None or (ids and round_id not in known):
            await query.answer(texts.ROUND_GONE, show_alert=True)
            return
        await query.answer(texts.DRAWING)
        await _send_round_chart(context.application, facts, what, round_id)
    elif what == "d":
        await _distance_press(update, context, facts, ids, known)
    elif what == "t":
        if len(ids) != 1:
            await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
            return
        element_id = await rt.read(lambda s: _checkin_element(s, ids[0], facts.team_id))
        if element_id is None:
            log.warning("chart button refused: check-in of another team")
            await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
            return
        await query.answer(texts.DRAWING)
        await send_trend(context.application, facts.team_id, element_id)
    else:
        await query.answer(texts.DRAWING)
        await _send_actions(context.application, facts)


def _checkin_element(session, checkin_id: int, team_id: int) -> str | None:
    checkin = session.get(CheckIn, checkin_id)
    return checkin.element_id if checkin is not None and checkin.team_id == team_id else None


async def _distance_press(update: Update, context, facts: TeamFacts, ids: list[int],
                          known: dict[int, RoundInfo]) -> None:
    query = update.callback_query
    if len(facts.rounds) < 2:
        await query.answer(texts.NEED_TWO_ROUNDS, show_alert=True)
        return
    if any(i not in known for i in ids) or len(ids) > 2:
        await query.answer(texts.ROUND_GONE, show_alert=True)
        return
    if not ids and len(facts.rounds) == 2:
        ids = [facts.rounds[1].id, facts.rounds[0].id]
    if len(ids) == 2:
        before, after = sorted(ids, key=lambda i: [r.id for r in facts.rounds[::-1]].index(i))
        if before == after:
            await query.answer(texts.ROUND_GONE, show_alert=True)
            return
        await query.answer(texts.DRAWING)
        await _send_distance(context.application, facts, before, after)
        return
    # Let the team pick: first the earlier round, then the later one. The picker replaces the menu.
    oldest_first = facts.rounds[::-1]
    if not ids:
        latest_two = {facts.rounds[0].id, facts.rounds[1].id}
        rows = [[_chart_button(f"{r.closed_on} · round {r.id}" + (" ✓" if r.id in latest_two else ""),
                               facts.team_id, f"d.{r.id}")] for r in oldest_first[:-1]]
        rows.insert(0, [_chart_button(f"The last two ({facts.rounds[1].closed_on} → {facts.rounds[0].closed_on})",
                                      facts.team_id, f"d.{facts.rounds[1].id}.{facts.rounds[0].id}")])
        text = texts.PICK_FROM
    else:
        first = known[ids[0]]
        later = [r for r in oldest_first if oldest_first.index(r) > oldest_first.index(first)]
        rows = [[_chart_button(f"{r.closed_on} · round {r.id}", facts.team_id, f"d.{first.id}.{r.id}")]
                for r in later]
        text = texts.PICK_TO.format(date=first.closed_on)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))
    except TelegramError as exc:
        if "not modified" not in str(exc):
            raise


# ---- sending charts -----------------------------------------------------------------------------


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


async def _round_results(rt: Runtime, round_id: int):
    """(team, this round's results, the previous closed round's results or None)."""

    def read(session):
        round_ = session.get(Round, round_id)
        team = session.get(Team, round_.team_id)
        framework = results.team_framework(team)
        current = results.round_result(session, round_id, framework)
        earlier = session.exec(
            select(Round).where(Round.team_id == team.id, Round.status == "closed",
                                Round.audience == round_.audience, Round.id < round_id).order_by(Round.id.desc())
        ).first()
        previous = results.round_result(session, earlier.id, framework) if earlier is not None else None
        return team, current, previous

    return await rt.read(read)


async def _send_round_chart(app: Application, facts: TeamFacts, what: str, round_id: int) -> None:
    rt: Runtime = app.bot_data["runtime"]
    _, current, previous = await _round_results(rt, round_id)
    if what == "p":
        await _send_chart(app, facts.chat_id, team_profile, current, previous,
                          filename=f"team-profile-round-{round_id}.png")
    else:
        await _send_chart(app, facts.chat_id, spread, current, filename=f"spread-round-{round_id}.png")


async def _send_distance(app: Application, facts: TeamFacts, before_id: int, after_id: int) -> None:
    rt: Runtime = app.bot_data["runtime"]

    def read(session):
        team = session.get(Team, facts.team_id)
        framework = results.team_framework(team)
        return (results.round_result(session, before_id, framework),
                results.round_result(session, after_id, framework))

    before, after = await rt.read(read)
    await _send_chart(app, facts.chat_id, distance_travelled, _same_elements(before, after), after,
                      filename=f"distance-travelled-{before_id}-to-{after_id}.png")


def _same_elements(before: RoundResult, after: RoundResult) -> RoundResult:
    """The earlier round cut to the later round's elements: a round on one element is compared on that one,
    not listed against the eighteen it did not cover."""
    kept = {e.element_id for e in after.elements}
    return replace(before, elements=[e for e in before.elements if e.element_id in kept])


async def _send_actions(app: Application, facts: TeamFacts) -> None:
    rt: Runtime = app.bot_data["runtime"]
    rows = await rt.read(lambda s: results.action_rows(s, facts.team_id))
    await _send_chart(app, facts.chat_id, actions_by_theme, rows, filename="actions-by-theme.png")


async def send_trend(app: Application, team_id: int, element_id: str) -> None:
    rt: Runtime = app.bot_data["runtime"]

    def read(session):
        team = session.get(Team, team_id)
        names = results.names_for(team)
        return (team.chat_id, results.checkin_points(session, team_id, element_id),
                names.element(element_id)[0], names.level_labels)

    chat_id, points, name, labels = await rt.read(read)
    await _send_chart(app, chat_id, responsiveness_trend, points, name, labels,
                      filename=f"{element_id}-over-time.png")


# ---- hooks: after a round or a check-in closes ------------------------------------------------------


async def on_round_closed(app: Application, round_id: int) -> None:
    """Post the team profile and the spread (and the distance travelled, given an earlier round).

    Awaited, not left to run in the background: a chat's updates are handled in order, so the charts
    come straight after the summary, before whatever the team does next.
    """
    await _post_round_charts(app, round_id)


async def on_checkin_closed(app: Application, checkin_id: int) -> None:
    """Post the trend of the check-in's element, this check-in included."""
    await _post_trend(app, checkin_id)


async def _post_round_charts(app: Application, round_id: int) -> None:
    rt: Runtime = app.bot_data["runtime"]
    team, current, previous = await _round_results(rt, round_id)
    audience = await rt.read(lambda s: s.get(Round, round_id).audience)
    if team.paused or audience != "staff":
        # Service users' views are shown only with their permission, which the summary handles.
        return
    try:
        await _send_chart(app, team.chat_id, team_profile, current, previous,
                          filename=f"team-profile-round-{round_id}.png")
        await _send_chart(app, team.chat_id, spread, current, filename=f"spread-round-{round_id}.png")
        if previous is not None:
            await _send_chart(app, team.chat_id, distance_travelled, _same_elements(previous, current), current,
                              quiet=True,
                              filename=f"distance-travelled-{previous.round_id}-to-{round_id}.png")
    except TelegramError as exc:
        log.warning("charts after round %s not posted: %s", round_id, type(exc).__name__)


async def _post_trend(app: Application, checkin_id: int) -> None:
    rt: Runtime = app.bot_data["runtime"]

    def read(session):
        checkin = session.get(CheckIn, checkin_id)
        if checkin is None:
            return None
        team = session.get(Team, checkin.team_id)
        return None if team.paused else (team.id, checkin.element_id)

    found = await rt.read(read)
    if found is None:
        return
    try:
        await send_trend(app, *found)
    except TelegramError as exc:
        log.warning("trend after check-in %s not posted: %s", checkin_id, type(exc).__name__)


# ---- /report and /export ------------------------------------------------------------------------------


async def _may_hand_on(update: Update, context, facts: TeamFacts) -> bool:
    return facts.lead or await is_admin(update, context)


async def _lead_facts(update: Update, context) -> TeamFacts | None:
    """The team's facts if the sender may make reports and exports here; otherwise says why and returns None."""
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return None
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    if message.sender_chat is not None or update.effective_user is None:
        await message.reply_html(texts.AS_YOURSELF if await is_admin(update, context) else texts.ONLY_LEADS)
        return None
    user_id = update.effective_user.id
    facts = await rt.read(lambda s: _facts_for_chat(s, chat_id, user_id))
    if facts is None or not facts.set_up:
        await message.reply_html(texts.NOT_SET_UP)
        return None
    if not await _may_hand_on(update, context, facts):
        log.info("report or export refused: not an admin or facilitator")
        await message.reply_html(texts.ONLY_LEADS)
        return None
    return facts


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    facts = await _lead_facts(update, context)
    if facts is None:
        return
    if not facts.rounds:
        await update.effective_message.reply_html(texts.NO_ROUND_FOR_REPORT)
        return
    user = update.effective_user
    sent = await _send_report(context.application, facts, facts.rounds[0], user.id)
    if sent is None:
        await update.effective_message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    await update.effective_message.reply_html(
        texts.report_sent(user.first_name, facts.rounds[0].closed_on, facts.rounds[0].anonymous, sent))


async def _send_report(app: Application, facts: TeamFacts, info: RoundInfo, user_id: int) -> int | None:
    """Send the round's report to the user privately; the number of parts, or None if they can't be reached."""
    rt: Runtime = app.bot_data["runtime"]
    _, current, previous = await _round_results(rt, info.id)
    parts = await render(round_report_pdf, current, previous)
    earlier = [r for r in facts.rounds if r.id != info.id][:EARLIER_REPORT_BUTTONS]
    markup = None
    if earlier:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            f"{r.closed_on} · round {r.id}", callback_data=callbacks.encode(REPORT, facts.team_id, str(r.id)))]
            for r in earlier])
    try:
        for number, (filename, data) in enumerate(parts, start=1):
            last = number == len(parts)
            await app.bot.send_document(
                user_id, document=InputFile(data, filename=filename),
                caption=texts.report_caption(facts.name, info.closed_on, number, len(parts)),
                parse_mode=None, reply_markup=markup if last else None)
    except (Forbidden, BadRequest) as exc:
        if isinstance(exc, BadRequest) and "chat not found" not in str(exc).lower():
            raise
        return None
    return len(parts)


async def on_report_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    try:
        press = callbacks.decode(query.data)
        round_id = int(press.arg)
    except (callbacks.BadButton, ValueError):
        log.warning("report button refused: malformed")
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    rt = runtime_of(context)
    user = query.from_user
    if update.effective_chat.type != ChatType.PRIVATE or update.effective_chat.id != user.id:
        log.warning("report button refused: wrong chat")
        await query.answer(texts.WRONG_CHAT, show_alert=True)
        return
    facts = await rt.read(lambda s: _facts_for_team(s, press.ref, user.id))
    if facts is None:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    admin = user.id in await chat_admin_ids(context, facts.chat_id)
    if not (facts.lead or admin):
        log.info("report button refused: not an admin or facilitator")
        await query.answer(texts.ONLY_LEADS, show_alert=True)
        return
    info = next((r for r in facts.rounds if r.id == round_id), None)
    if info is None:
        await query.answer(texts.ROUND_GONE, show_alert=True)
        return
    await query.answer(texts.MAKING)
    await _send_report(context.application, facts, info, user.id)


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    facts = await _lead_facts(update, context)
    if facts is None:
        return
    rt = runtime_of(context)
    rows = await rt.read(lambda s: results.export_rows(s, facts.team_id))
    files = export_csv(rows.rounds, rows.checkins, rows.actions)
    user = update.effective_user
    try:
        for filename, data in files:
            await context.bot.send_document(user.id, document=InputFile(data, filename=filename),
                                            caption=texts.EXPORT_CAPTIONS.get(filename), parse_mode=None)
    except (Forbidden, BadRequest) as exc:
        if isinstance(exc, BadRequest) and "chat not found" not in str(exc).lower():
            raise
        await update.effective_message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    await update.effective_message.reply_html(texts.export_sent(user.first_name))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("chart", chart_command))
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CallbackQueryHandler(on_chart_press, pattern=callbacks.pattern(CHART)))
    app.add_handler(CallbackQueryHandler(on_report_press, pattern=callbacks.pattern(REPORT)))
    app.bot_data.setdefault("on_round_closed", []).append(on_round_closed)
    app.bot_data.setdefault("on_checkin_closed", []).append(on_checkin_closed)

