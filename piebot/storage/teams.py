"""Teams and their members: finding a team by its chat, joining, facilitators, and the framework a
team assesses against."""

from __future__ import annotations

from sqlmodel import Session, select

from framework import Framework, shared_framework
from piebot.storage.models import Member, Team


def framework_of(team: Team) -> Framework:
    """The framework this team assesses against: its variant, with its own written-in elements."""
    return shared_framework(team.framework_variant, team.customisation or None)


def team_for_chat(session: Session, chat_id: int) -> Team | None:
    return session.exec(select(Team).where(Team.chat_id == chat_id)).first()


def ensure_team(session: Session, chat_id: int, title: str, timezone: str) -> Team:
    team = team_for_chat(session, chat_id)
    if team is None:
        team = Team(chat_id=chat_id, chat_title=title, name=title, timezone=timezone)
        session.add(team)
        session.flush()
    else:
        team.chat_title = title
        team.paused = False
    return team


def member_of(session: Session, team_id: int, telegram_user_id: int) -> Member | None:
    return session.exec(
        select(Member).where(Member.team_id == team_id, Member.telegram_user_id == telegram_user_id)
    ).first()


def member_by_id(session: Session, member_id: int) -> Member | None:
    return session.get(Member, member_id)


def make_facilitator(session: Session, member_id: int, on: bool | None) -> str:
    """Name (True), un-name (False) or toggle (None) a facilitator; returns their name."""
    member = session.get(Member, member_id)
    member.facilitator = (not member.facilitator) if on is None else on
    return member.display_name


def join(session: Session, team: Team, telegram_user_id: int, display_name: str) -> tuple[Member, bool]:
    """Register a member (or bring one back). Returns the member and whether they are new."""
    member = member_of(session, team.id, telegram_user_id)
    if member is None:
        member = Member(team_id=team.id, telegram_user_id=telegram_user_id, display_name=display_name)
        session.add(member)
        session.flush()
        return member, True
    was_active = member.active
    member.active = True
    member.display_name = display_name or member.display_name
    return member, not was_active


def active_members(session: Session, team_id: int) -> list[Member]:
    return list(
        session.exec(select(Member).where(Member.team_id == team_id, Member.active).order_by(Member.id))
    )


def memberships(session: Session, telegram_user_id: int) -> list[tuple[Member, Team]]:
    rows = session.exec(
        select(Member, Team).join(Team, Team.id == Member.team_id).where(
            Member.telegram_user_id == telegram_user_id
        )
    )
    return list(rows)
