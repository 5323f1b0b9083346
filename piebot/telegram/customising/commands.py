"""/customise: the admin's presses and typed replies, each one change to the draft (or a kind refusal).

Presses and replies are checked against the draft's owner (the admin who started it, in this chat) and the
card it lives on, so a press on an older card or by someone else changes nothing. Typed answers are
ForceReply prompts: the draft remembers which prompt it is waiting on and what for. The card, its prompts
and its edits go through the outbox, committed with the draft (a card or prompt is kept with a pending id,
written in once it is sent), so a reply typed the instant a prompt appears is taken.
"""

from __future__ import annotations

import html
import logging

from telegram import ForceReply, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations import customising as rules
from conversations.texts import customising as texts
from conversations.texts import welcome
from piebot.storage import customising as store
from piebot.storage.db import AlreadyDone
from piebot.storage.outbox import fill_of, pending_id
from piebot.telegram import callbacks, replies
from piebot.telegram.customising.cards import KIND, render
from piebot.telegram.delivery.outbox import in_reply_to, queue_edit, queue_message
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

SCREENS = {"menu", "levels", "hide", "theme", "see"}
# What a typed reply is for: the prompt to send, and the reply box's placeholder.
PROMPTS = {
    "theme-name": (texts.THEME_NAME_PROMPT, texts.NAME_PLACEHOLDER),
    "theme-about": (texts.THEME_ABOUT_PROMPT, texts.LINE_PLACEHOLDER),
    "element-name": (texts.ELEMENT_NAME_PROMPT, texts.NAME_PLACEHOLDER),
    "element-questions": (texts.QUESTIONS_PROMPT, texts.QUESTIONS_PLACEHOLDER),
}


async def customise_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return
    if not await is_admin(update, context):
        await message.reply_html(texts.NOT_ADMIN)
        return
    rt = runtime_of(context)
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    team = await rt.read(lambda s: store.team_of_chat(s, chat_id))
    if team is None:
        await message.reply_html(welcome.NOT_SET_UP)
        return
    state = {"draft": rules.draft_of(team.customisation), "screen": "menu"}
    text, keyboard = render(state, team)
    await _send_and_keep(rt, update, message, user_id, text, keyboard, state, "card")


async def _send_and_keep(rt, update, replied, user_id: int, text: str, keyboard, state: dict, key: str) -> None:
    """Send a card or a prompt as a reply to `replied`, kept in the draft under `key` in the same
    transaction (a pending id until it is sent), so a press or reply the instant it appears finds it."""
    chat_id, replying = replied.chat.id, in_reply_to(replied)

    def work(session) -> None:
        sent = queue_message(session, chat_id, text, reply_markup=keyboard, **replying,
                             fill=fill_of(store.DRAFT_FILL, user_id))
        store.set_draft_state(session, chat_id, user_id, {**state, key: pending_id(sent)})

    try:
        await rt.apply(update, work)
    except AlreadyDone:
        pass


async def _keep(rt, update, chat_id: int, user_id: int, state: dict, *, show=None,
                edit: tuple[int, str] | None = None) -> None:
    """Keep the draft, and in the same transaction queue its card as it now stands (`show`, the team),
    or the card's last words without its buttons (`edit`: the card's message id and the words)."""
    card = render(state, show) if show is not None else None

    def work(session) -> None:
        store.set_draft_state(session, chat_id, user_id, state)
        if card is not None:
            queue_edit(session, chat_id, state.get("card"), card[0], reply_markup=card[1])
        elif edit is not None:
            queue_edit(session, chat_id, *edit)

    try:
        await rt.apply(update, work)
    except AlreadyDone:
        pass


async def _ask(query, rt, update, state: dict, typing: str, prompt_text: str, placeholder: str) -> None:
    markup = ForceReply(selective=True, input_field_placeholder=placeholder)
    await _send_and_keep(rt, update, query.message, query.from_user.id, prompt_text, markup,
                         {**state, "typing": typing}, "prompt")


# --- presses --------------------------------------------------------------------------------------


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "customising")
    if press is None:
        return
    rt = runtime_of(context)
    chat_id, user_id = update.effective_chat.id, query.from_user.id
    team = await rt.read(lambda s: store.team_of_chat(s, chat_id))
    if team is None or team.id != press.ref:
        log.warning("customising button refused: wrong chat")
        await query.answer(texts.EXPIRED, show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer(texts.NOT_ADMIN, show_alert=True)
        return
    state = await rt.read(lambda s: store.draft_state(s, chat_id, user_id))
    if state.get("card") != query.message.message_id or "draft" not in state:
        await query.answer(texts.NOT_YOURS, show_alert=True)
        return
    what, _, value = press.arg.partition(".")
    try:
        outcome = await _choose(update, context, team, state, what, value)
    except rules.NotUsable as refused:
        await query.answer(_plain(str(refused)), show_alert=True)
        return
    if outcome is None:
        return  # answered already (a prompt, a save, a cancel)
    if outcome is False:
        log.warning("customising button refused: unknown choice")
        await query.answer(texts.EXPIRED, show_alert=True)
        return
    await query.answer()
    await _keep(rt, update, chat_id, user_id, outcome, show=team)


def _plain(html_text: str) -> str:
    # Press answers are plain text: the refusals' <code> and escapes must not show.
    return html.unescape(html_text.replace("<code>", "").replace("</code>", ""))


async def _choose(update, context, team, state: dict, what: str, value: str):
    """The state after the press; None when the press was answered here; False when it isn't one we offer."""
    query = update.callback_query
    rt = runtime_of(context)
    variant, draft = team.framework_variant, rules.draft_of(state["draft"])
    fresh = {k: v for k, v in state.items() if k not in ("typing", "prompt")}
    if what == "m" and value in SCREENS:
        screen = {"theme": "theme-name", "see": "preview"}.get(value, value)
        return {**fresh, "screen": screen, "theme": None, "pending": None}
    if what == "l" and value == "reset":
        return {**fresh, "draft": rules.reset_levels(draft)}
    if what == "l" and value.isdigit() and 1 <= int(value) <= 4:
        label = rules.framework_with(variant, draft).scale.levels[int(value) - 1].label
        await query.answer()
        await _ask(query, rt, update, fresh, f"label:{value}", texts.rename_prompt(int(value), label),
                   texts.RENAME_PLACEHOLDER)
        return None
    if what == "h" and value.isdigit():
        choices = rules.elements_to_choose(variant, draft)
        if int(value) >= len(choices):
            return False
        used = await rt.read(lambda s: store.in_use(s, team.id))
        return {**fresh, "draft": rules.toggle_hidden(variant, draft, choices[int(value)][0], used)}
    if what == "t" and value == "rel":
        return {**fresh, "screen": "theme-review", "theme": rules.suggested_theme(variant, draft)}
    if what in ("t", "a", "e", "q") and value == "type":
        typing = {"t": "theme-name", "a": "theme-about", "e": "element-name", "q": "element-questions"}[what]
        await query.answer()
        await _ask(query, rt, update, fresh, typing, *PROMPTS[typing])
        return None
    theme = state.get("theme")
    if theme is None and what in ("a", "e", "q", "t"):
        return False
    if what == "a" and value == "use":
        return {**fresh, "screen": "theme-element"}
    if what == "e" and value == "same":
        return {**fresh, "screen": "theme-questions", "pending": theme["name"]}
    if what == "q" and value == "use" and state.get("pending"):
        theme = rules.add_element(variant, draft, theme, state["pending"])
        return {**fresh, "screen": "theme-review", "theme": theme, "pending": None}
    if what == "t" and value == "more":
        return {**fresh, "screen": "theme-element"}
    if what == "t" and value == "drop":
        return {**fresh, "screen": "menu", "theme": None, "pending": None}
    if what == "t" and value == "done":
        return {**fresh, "screen": "menu", "draft": rules.add_theme(variant, draft, theme), "theme": None}
    if what == "s" and value == "cancel":
        await query.answer(texts.CANCELLED)
        await _keep(rt, update, query.message.chat.id, query.from_user.id, {},
                    edit=(query.message.message_id, texts.CANCELLED))
        return None
    if what == "s" and value == "save":
        await _save(update, context, team, draft)
        return None
    return False


async def _save(update, context, team, draft: dict) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    if not rules.changed(team.customisation, draft):
        await query.answer(texts.NOTHING_TO_SAVE, show_alert=True)
        return
    chat_id, user_id, card_id = query.message.chat.id, query.from_user.id, query.message.message_id

    def save(session) -> None:
        saved = store.save_customisation(session, team.id, chat_id, user_id, draft)
        levels = [lv.label for lv in rules.framework_with(saved.framework_variant, draft).scale.levels]
        queue_edit(session, chat_id, card_id, texts.saved(levels))

    try:
        await rt.apply(update, save, first=lambda _: query.answer(texts.SAVED_ALERT))
    except AlreadyDone:
        return


# --- typed replies ----------------------------------------------------------------------------------


async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    message = update.effective_message
    user = update.effective_user
    if not in_group(update) or message.reply_to_message is None or user is None:
        return False
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    state = await rt.read(lambda s: store.draft_state(s, chat_id, user.id))
    if "draft" not in state or state.get("prompt") != message.reply_to_message.message_id:
        return False
    team = await rt.read(lambda s: store.team_of_chat(s, chat_id))
    if team is None or not await is_admin(update, context):
        await message.reply_html(texts.NOT_ADMIN)
        return True
    typing, text = state.get("typing") or "", message.text or ""
    variant, draft = team.framework_variant, rules.draft_of(state["draft"])
    fresh = {k: v for k, v in state.items() if k not in ("typing", "prompt")}
    theme = state.get("theme")
    try:
        if typing.startswith("label:"):
            new = {**fresh, "draft": rules.rename_level(variant, draft, int(typing[6:]), text), "screen": "levels"}
        elif typing == "theme-name":
            new = {**fresh, "theme": rules.start_theme(variant, draft, text), "screen": "theme-about"}
        elif typing == "theme-about" and theme:
            new = {**fresh, "theme": rules.describe_theme(theme, text), "screen": "theme-element"}
        elif typing == "element-name" and theme:
            rules.add_element(variant, draft, theme, text)  # checks the name now, before the questions
            new = {**fresh, "pending": " ".join(text.split()), "screen": "theme-questions"}
        elif typing == "element-questions" and theme and state.get("pending"):
            added = rules.add_element(variant, draft, theme, state["pending"], rules.read_questions(text))
            new = {**fresh, "theme": added, "pending": None, "screen": "theme-review"}
        else:
            return False
    except rules.NotUsable as refused:
        # The prompt stays open: a corrected reply to it is taken.
        await message.reply_html(str(refused))
        return True
    await _keep(rt, update, chat_id, user.id, new, show=team)
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("customise", customise_command))
    app.add_handler(CallbackQueryHandler(on_press, pattern=callbacks.pattern(KIND)))
    replies.add_consumer(app, on_reply)
