"""/serviceusers: a parallel round for the people a team serves, entered by a scribe in a private chat.

In the group an admin or facilitator gets a signed link to the private chat (deep-link action "v"), and
an admin toggles the team's permission with `/serviceusers permission`. In private the scribe picks an
element (in street language, the `pies2-street` variant) and enters each person's view, one after another.

Button kinds: "sv" (pick the team or the element; ref = team id), "svr" (a person's view and the flow of
the round; ref = round id). The scribe's place in the round is kept by piebot.storage.service_users.
"""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations import keyboards
from conversations.texts import scale as scale_words
from conversations.texts import service_users as texts
from framework import Scale, shared_framework
from piebot.storage import service_users, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Member, Team
from piebot.telegram import callbacks, links, replies
from piebot.telegram.delivery.outbox import in_reply_to, queue_edit, queue_message
from piebot.telegram.guards import chat_admin_ids, in_group, is_admin
from piebot.telegram.people import onboarding
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

LINK = "v"


def _street():
    return shared_framework(service_users.VARIANT)


def _canonical_name(element_id: str) -> str:
    return shared_framework("pies2").element(element_id).name


def _button(label: str, kind: str, ref: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(kind, ref, arg))


def _keyboard(kind: str, ref: int, rows: keyboards.Keyboard) -> list[list[InlineKeyboardButton]]:
    return [[_button(b.label, kind, ref, b.data) for b in row] for row in rows]


async def _may_scribe(context: ContextTypes.DEFAULT_TYPE, team: Team, member: Member | None, user_id: int) -> bool:
    if member is not None and member.active and member.facilitator:
        return True
    try:
        return user_id in await chat_admin_ids(context, team.chat_id)
    except BadRequest:
        return False


# --- in the group -------------------------------------------------------------------------------


async def service_users_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await _private_start(update, context)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    user = update.effective_user
    team = await rt.read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None or not team.set_up:
        await message.reply_html(texts.NOT_SET_UP)
        return
    admin = await is_admin(update, context)
    if context.args and context.args[0].lower() == "permission":
        if not admin:
            await message.reply_html(texts.ADMIN_ONLY)
            return
        try:
            on = await rt.apply(update, lambda s: service_users.toggle_permission(s, team.id))
        except AlreadyDone:
            return
        await message.reply_html(texts.permission_now(on))
        return
    member = await rt.read(lambda s: teams.member_of(s, team.id, user.id)) if user else None
    if not admin and not (member is not None and member.facilitator):
        await message.reply_html(texts.NOT_ALLOWED)
        return
    comparison = []
    if team.service_user_permission:
        comparison = _comparison(teams.framework_of(team).scale,
                                 *await rt.read(lambda s: service_users.views_beside_staff(s, team.id)))
    payload = links.sign(rt.settings.secret_bytes(), LINK, team.id, user.id)
    url = f"https://t.me/{context.bot.username}?start={payload}"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(texts.OPEN_PRIVATE, url=url)]])
    await message.reply_html(texts.intro(team.name, team.service_user_permission, comparison), reply_markup=keyboard)


def _comparison(scale: Scale, theirs: dict[str, list[int]], ours: dict[str, int]) -> list[str]:
    lines = []
    for element in shared_framework("pies2").elements:
        values = theirs.get(element.id)
        if values:
            lines.append(texts.comparison_line(element.name, len(values),
                                               scale_words.place(scale, scale_words.middle(values)),
                                               _place_or_none(scale, ours.get(element.id))))
    return lines


def _place_or_none(scale: Scale, value: float | None) -> str | None:
    # A middle of an even number of views falls between two places: the lower one, as everywhere.
    return scale_words.place(scale, int(value)) if value is not None else None


# --- in private: choosing the team and the element --------------------------------------------------


async def _private_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime_of(context)
    user = update.effective_user
    found = await rt.read(lambda s: [(m, t) for m, t in teams.memberships(s, user.id) if t.set_up and m.active])
    allowed = [(m, t) for m, t in found if await _may_scribe(context, t, m, user.id)]
    if not allowed:
        await update.effective_message.reply_html(texts.NO_TEAM)
        return
    if len(allowed) == 1:
        await _pick_element(update.effective_message, allowed[0][1].id)
        return
    rows = [[_button(t.name[:40], "sv", t.id, "t")] for _, t in allowed]
    await update.effective_message.reply_html(texts.PICK_TEAM, reply_markup=InlineKeyboardMarkup(rows))


async def _from_link(update: Update, context: ContextTypes.DEFAULT_TYPE, grant: links.Grant) -> None:
    rt = runtime_of(context)
    user = update.effective_user
    try:
        team, member = await rt.apply(update, lambda s: service_users.scribe_arrives(s, grant.ref, user.id,
                                                                                     user.first_name))
    except AlreadyDone:
        return
    if team is None or not await _may_scribe(context, team, member, user.id):
        await update.effective_message.reply_html(texts.NOT_ALLOWED)
        return
    await _pick_element(update.effective_message, team.id)


async def _pick_element(message, team_id: int) -> None:
    rows = [[_button(element.name[:60], "sv", team_id, f"e.{i}")] for i, element in enumerate(_street().elements)]
    await message.reply_html(texts.PICK_ELEMENT, reply_markup=InlineKeyboardMarkup(rows))


async def on_team_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "service users")
    if press is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        await query.answer(texts.PRIVATE_ONLY, show_alert=True)
        return
    rt = runtime_of(context)
    user = query.from_user
    team, member = await rt.read(lambda s: service_users.team_and_member(s, press.ref, user.id))
    if team is None or member is None or not await _may_scribe(context, team, member, user.id):
        log.warning("service users button refused: not a scribe of this team")
        await query.answer(texts.NOT_ALLOWED, show_alert=True)
        return
    if press.arg == "t":
        await query.answer()
        await _pick_element(query.message, team.id)
        return
    step, _, index = press.arg.partition(".")
    elements = _street().elements
    if step != "e" or not index.isdigit() or int(index) >= len(elements):
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return
    element = elements[int(index)]
    chat_id = update.effective_chat.id

    def begin(session) -> None:
        round_id = service_users.begin(session, team.id, element.id, member.id, chat_id, user.id)
        _queue_ask_person(session, chat_id, round_id, 1, element)

    try:
        await rt.apply(update, begin, first=lambda _: query.answer(element.name[:60]))
    except AlreadyDone:
        return


def _queue_ask_person(session, chat_id: int, round_id: int, n: int, element) -> None:
    questions = list(element.questions["assessment"])
    keyboard = _keyboard("svr", round_id, keyboards.rating_levels(_street().scale))
    queue_message(session, chat_id, texts.ask_person(n, element.name, questions),
                  reply_markup=InlineKeyboardMarkup(keyboard))


# --- in private: each person's view -------------------------------------------------------------


async def on_round_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "service users")
    if press is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        await query.answer(texts.PRIVATE_ONLY, show_alert=True)
        return
    rt = runtime_of(context)
    chat_id, user_id = update.effective_chat.id, query.from_user.id
    place = await rt.read(lambda s: service_users.place_of(s, chat_id, user_id))
    if place.get("round") != press.ref:
        log.warning("service users button refused: not this scribe's round")
        await query.answer(texts.NOT_THIS_SCRIBES_ROUND, show_alert=True)
        return
    street = _street()
    element = street.element(await rt.read(lambda s: service_users.element_of(s, press.ref)))
    n = int(place.get("person", 1))
    chosen = keyboards.read_press(press.arg, street.scale)
    if isinstance(chosen, keyboards.LevelChosen) and not chosen.team and place.get("step") == "rate":
        await query.answer()
        keyboard = _keyboard("svr", press.ref, keyboards.rating_positions(street.scale, chosen.level))
        await _edit(query, texts.ask_person(n, element.name, list(element.questions["assessment"]))
                    + "\n\n" + keyboards.positions_caption(street.scale, chosen.level), keyboard)
    elif chosen == keyboards.Command.BACK and place.get("step") == "rate":
        await query.answer()
        keyboard = _keyboard("svr", press.ref, keyboards.rating_levels(street.scale))
        await _edit(query, texts.ask_person(n, element.name, list(element.questions["assessment"])), keyboard)
    elif isinstance(chosen, keyboards.PlaceChosen) and not chosen.team and place.get("step") == "rate":
        value = chosen.index(street.scale)
        message_id = query.message.message_id

        def record(session) -> None:
            service_users.record_view(session, press.ref, value, chat_id, user_id, place)
            # What was saved shows on the question itself, committed with the view.
            queue_edit(session, chat_id, message_id, texts.rated(n, scale_words.place(street.scale, value)),
                       reply_markup=InlineKeyboardMarkup(_after_keyboard(press.ref)))

        await _apply(context, update, query, record, answer=texts.SAVED)
    elif chosen == keyboards.Command.NEXT and place.get("step") == "words":
        def next_person(session) -> None:
            service_users.remember_place(session, chat_id, user_id, {**place, "person": n + 1, "step": "rate"})
            _queue_ask_person(session, chat_id, press.ref, n + 1, element)

        await _apply(context, update, query, next_person)
    elif chosen == keyboards.Command.CLOSE:
        if not await _apply(context, update, query,
                            lambda s: service_users.finish_round(s, press.ref, chat_id, user_id), answer=texts.FINISHED):
            return
        # Read after the close, once its sealed views have gone in (in a transaction of their own); the two
        # messages still go through the outbox, so they are sent even if the process stops right after.
        done = await rt.read(lambda s: service_users.finished(s, press.ref))
        team = await rt.read(lambda s: teams.team_for_chat(s, done.chat_id))
        scale = teams.framework_of(team).scale

        def tell(session) -> None:
            queue_message(session, chat_id, texts.finished(element.name, done.people))
            queue_message(session, done.chat_id, texts.group_news(
                _canonical_name(done.element_id), done.people, _place_or_none(scale, done.middle),
                _place_or_none(scale, done.staff_view), done.permission))

        await rt.apply(None, tell)
    else:
        await query.answer(texts.BUTTON_GONE, show_alert=True)


async def _apply(context: ContextTypes.DEFAULT_TYPE, update: Update, query, work, *, answer: str | None = None,
                 ) -> bool:
    """Commit the work and what it queued; the press is answered as soon as it is committed (or told
    why not). Whether it was committed now."""
    try:
        await runtime_of(context).apply(update, work, first=lambda _: query.answer(answer))
    except AlreadyDone:
        return False
    except service_users.ServiceUsersRefused as refused:
        await query.answer(str(refused), show_alert=True)
        return False
    return True


def _after_keyboard(round_id: int) -> list[list[InlineKeyboardButton]]:
    return [[_button(texts.WORDS_BUTTONS_NEXT, "svr", round_id, keyboards.Command.NEXT.value),
             _button(texts.FINISH, "svr", round_id, keyboards.Command.CLOSE.value)]]


async def _edit(query, text: str, keyboard) -> None:
    try:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(keyboard))
    except BadRequest as error:
        if "not modified" not in str(error):
            raise


async def on_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """What a person said, typed in by the scribe after their view. Returns whether it was ours."""
    message = update.effective_message
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE or update.effective_user is None:
        return False
    rt = runtime_of(context)
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    place = await rt.read(lambda s: service_users.place_of(s, chat_id, user_id))
    if place.get("step") != "words" or not (message.text or "").strip():
        return False
    text = message.text.strip()[:2000]

    def note(session) -> None:
        service_users.add_words(session, place["round"], text, int(place.get("person", 1)))
        # Committed with the words, so a crash in between cannot lose the reply.
        queue_message(session, chat_id, texts.WORDS_NOTED,
                      reply_markup=InlineKeyboardMarkup(_after_keyboard(place["round"])), **in_reply_to(message))

    try:
        await rt.apply(update, note)
    except AlreadyDone:
        return True
    except service_users.ServiceUsersRefused as refused:
        await message.reply_html(html.escape(str(refused)))
        return True
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("serviceusers", service_users_command))
    app.add_handler(CallbackQueryHandler(on_team_press, pattern=callbacks.pattern("sv")))
    app.add_handler(CallbackQueryHandler(on_round_press, pattern=callbacks.pattern("svr")))
    replies.add_consumer(app, on_words)
    onboarding.DEEP_LINKS[LINK] = _from_link
