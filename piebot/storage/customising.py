"""The /customise draft and saving it: the admin's draft lives in their Dialog row (under its own key, beside
other features' keys) until Save writes it, checked again, to `Team.customisation`.

Also what a draft must not take away: the elements the team's check-ins or open rounds are using.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from conversations.customising import framework_with
from piebot.storage import outbox, teams
from piebot.storage.models import Dialog, Round, Schedule, Team

# The key of a draft in the admin's Dialog row; other features keep their own keys there.
DIALOG_KEY = "cu"


def _dialog(session: Session, chat_id: int, user_id: int, create: bool = False) -> Dialog | None:
    dialog = session.exec(select(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == user_id)).first()
    if dialog is None and create:
        dialog = Dialog(chat_id=chat_id, telegram_user_id=user_id, state={})
        session.add(dialog)
    return dialog


def draft_state(session: Session, chat_id: int, user_id: int) -> dict:
    """The admin's customising state in this chat (empty when there is none)."""
    dialog = _dialog(session, chat_id, user_id)
    return dict((dialog.state or {}).get(DIALOG_KEY) or {}) if dialog else {}


def set_draft_state(session: Session, chat_id: int, user_id: int, state: dict) -> None:
    """Replace this admin's customising state; an empty dict ends it. Other features' keys are kept."""
    dialog = _dialog(session, chat_id, user_id, create=True)
    others = {k: v for k, v in (dialog.state or {}).items() if k != DIALOG_KEY}
    # Through JSON now, so what is kept reads back the same as what a restart would read.
    dialog.state = {**others, DIALOG_KEY: json.loads(json.dumps(state))} if state else others


DRAFT_FILL = "customising"  # the draft's card or question in the outbox (ref: the admin's Telegram id)


@outbox.fills(DRAFT_FILL)
def _fill_draft(session: Session, chat_id: int, pending: int, message_id: int, user_id: int | None) -> None:
    """The draft's card or question, sent: its message id where the draft holds its pending id."""
    dialog = _dialog(session, chat_id, user_id)
    state = dict((dialog.state or {}).get(DIALOG_KEY) or {}) if dialog is not None else {}
    filled = outbox.sent_into(state, pending, message_id)
    if filled is not None:
        dialog.state = {**dialog.state, DIALOG_KEY: filled}


def in_use(session: Session, team_id: int) -> set[str]:
    """Elements the team's check-in schedule or its open rounds are on: hiding them would break those."""
    used = set(session.exec(
        select(Schedule.element_id).where(Schedule.team_id == team_id, Schedule.kind == "checkin", Schedule.active)
    ))
    for element_ids in session.exec(select(Round.element_ids).where(Round.team_id == team_id,
                                                                     Round.status != "closed")):
        used.update(element_ids or [])
    return used


def save_customisation(session: Session, team_id: int, chat_id: int, user_id: int, draft: dict) -> Team:
    """Check the draft against the team's framework once more, keep it on the team, and end the draft."""
    team = session.get(Team, team_id)
    framework_with(team.framework_variant, draft)  # NotUsable if it no longer fits; nothing is written then
    team.customisation = json.loads(json.dumps(draft))
    set_draft_state(session, chat_id, user_id, {})
    session.flush()
    return team


def team_of_chat(session: Session, chat_id: int) -> Team | None:
    team = teams.team_for_chat(session, chat_id)
    return team if team is not None and team.set_up else None
