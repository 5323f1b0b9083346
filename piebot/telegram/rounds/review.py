"""The review reminder's one-tap button: it opens a live review round on the elements the team looked
at last time or still has actions on, as anonymous as the last round. Only the facilitator or a group
admin may press it; anyone else is told so kindly and nothing opens.

The reminder itself is sent by the scheduler (piebot.scheduling.tick, piebot.storage.reminders); this
module gives it its button and takes the press. Each element looked at before opens with the review
(piebot.telegram.rounds.card)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from conversations.pizazz import Scope, ScopeKind
from conversations.texts import assess as texts
from conversations.texts import review as review_texts
from conversations.texts.walk import round_title
from piebot.storage import actions, rounds, teams
from piebot.storage.db import AlreadyDone
from piebot.telegram import callbacks
from piebot.telegram.rounds.card import facilitators_press, post_card
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

OPEN_REVIEW = "rvo"  # ref: the team


def review_button(team_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        review_texts.OPEN_REVIEW_BUTTON, callback_data=callbacks.encode(OPEN_REVIEW, team_id, "go"))]])


async def on_open_review_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    pressed = await facilitators_press(update, context, "review reminder", review_texts.OPEN_REVIEW_FACILITATOR_ONLY)
    if pressed is None:
        return
    _, team = pressed
    rt = runtime_of(context)
    user_id = update.effective_user.id

    def work(session):
        plan = actions.review_plan(session, team.id)
        if not plan.element_ids:
            raise rounds.RoundRefused(review_texts.NOTHING_TO_REVIEW)
        one = len(plan.element_ids) == 1
        scope = Scope(ScopeKind.ELEMENT, plan.element_ids[0]) if one else Scope(ScopeKind.REVIEW)
        started = rounds.start_round(
            session, team_id=team.id, telegram_user_id=user_id, element_ids=plan.element_ids,
            scope=str(scope.kind), scope_ref=scope.ref, mode="live", anonymous=plan.anonymous,
            strengths_first=team.strengths_first, deadline=None)
        return started, scope, plan.anonymous

    try:
        started, scope, anonymous = await rt.apply(update, work)
    except AlreadyDone:
        await query.answer()
        return
    except rounds.RoundRefused as refusal:
        await query.answer(str(refusal), show_alert=True)
        return
    await query.answer()
    framework = teams.framework_of(team)
    await query.message.reply_html(texts.round_opened(round_title(framework, scope), "live", anonymous,
                                                      started.elements))
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except Exception:  # noqa: BLE001 - the reminder's button is only a convenience; the round is open
        log.info("the review reminder's button could not be taken off")
    await post_card(context.application, started.first_card_id)
