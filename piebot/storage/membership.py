"""Changes to who is in a team's chat, and to the chat itself: the bot arriving and leaving, people
joining (and opening their private chat), leaving, and the group becoming a supergroup."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import Session, SQLModel, select

from piebot.storage import teams
from piebot.storage.models import Dialog, Member, Prompt, Round, Team

log = logging.getLogger(__name__)


def bot_arrived(session: Session, chat_id: int, title: str, timezone: str) -> bool:
    """The bot was added to a group: a new team (False), or one it had left (whether it was paused)."""
    team = teams.team_for_chat(session, chat_id)
    if team is None:
        teams.ensure_team(session, chat_id, title, timezone)
        return False
    was_paused = team.paused
    team.paused = False
    team.chat_title = title
    return was_paused


def bot_left(session: Session, chat_id: int) -> None:
    team = teams.team_for_chat(session, chat_id)
    if team is not None:
        team.paused = True  # data kept; schedules skip paused teams


@dataclass(frozen=True)
class Joined:
    team_id: int
    team_name: str
    new: bool  # not counted in the team until now


def join_in_chat(session: Session, chat_id: int, telegram_user_id: int, display_name: str) -> Joined | None:
    """/join in a team's group; None while the group has no team that is set up."""
    team = teams.team_for_chat(session, chat_id)
    if team is None or not team.set_up:
        return None
    _, new = teams.join(session, team, telegram_user_id, display_name)
    return Joined(team.id, team.name, new)


def open_private_chat(session: Session, team_id: int, telegram_user_id: int, display_name: str) -> str | None:
    """The join link was opened: a member who can now be asked privately. Returns the team's name."""
    team = session.get(Team, team_id)
    if team is None:
        return None
    member, _ = teams.join(session, team, telegram_user_id, display_name)
    member.private_chat = True
    return team.name


def team_of_link(session: Session, team_id: int) -> Team | None:
    return session.get(Team, team_id)


def _tables_with_chat_id():
    # Every table that names a chat, including ones features add later, moves with the chat.
    return [t for t in SQLModel.metadata.sorted_tables if "chat_id" in t.columns]


def move_chat(session: Session, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup: its team and everything holding the old id take the new one.

    Both ends of a migration report it (the old chat and the new one), so this runs twice
    and the second run finds nothing to do. Returns whether anything moved.
    """
    if old_chat_id == new_chat_id:
        return False
    old = teams.team_for_chat(session, old_chat_id)
    if old is None:
        return False
    newcomer = teams.team_for_chat(session, new_chat_id)
    if newcomer is not None:
        if _is_empty(session, newcomer):
            # A command in the new supergroup got there before the migration notice did.
            session.exec(delete(Dialog).where(Dialog.chat_id == new_chat_id))
            session.exec(delete(Prompt).where(Prompt.team_id == newcomer.id))
            session.delete(newcomer)
            session.flush()
        else:
            log.warning("chat migration: both chats hold a team with data; left as they are")
            return False
    # Message ids start again in the supergroup: an old prompt sharing an id with a new one goes.
    new_ids = select(Prompt.message_id).where(Prompt.chat_id == new_chat_id)
    session.exec(delete(Prompt).where(Prompt.chat_id == old_chat_id, Prompt.message_id.in_(new_ids)))
    # Someone's newer conversation in the supergroup wins over the one left in the old group.
    new_users = select(Dialog.telegram_user_id).where(Dialog.chat_id == new_chat_id)
    session.exec(delete(Dialog).where(Dialog.chat_id == old_chat_id, Dialog.telegram_user_id.in_(new_users)))
    for table in _tables_with_chat_id():
        session.exec(update(table).where(table.c.chat_id == old_chat_id).values(chat_id=new_chat_id))
    session.flush()
    return True


def _is_empty(session: Session, team: Team) -> bool:
    has_members = session.exec(select(Member.id).where(Member.team_id == team.id)).first() is not None
    has_rounds = session.exec(select(Round.id).where(Round.team_id == team.id)).first() is not None
    return not team.set_up and not has_members and not has_rounds


def member_left(session: Session, chat_id: int, telegram_user_id: int) -> bool:
    """Someone left the team's chat: they stop being counted or reminded; their answers stay.

    Returns whether a member of a team was affected.
    """
    team = teams.team_for_chat(session, chat_id)
    if team is None:
        return False
    member = teams.member_of(session, team.id, telegram_user_id)
    # Whatever they were in the middle of in that chat can no longer be finished.
    session.exec(delete(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == telegram_user_id))
    if member is None or not member.active:
        return False
    member.active = False
    return True
