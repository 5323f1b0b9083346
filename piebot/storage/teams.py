"""Teams and their members: finding a team by its chat, joining, facilitators, and the framework a
team assesses against."""

from __future__ import annotations

from sqlmodel import Session, select

from framework import Framework, shared_framework
from piebot.storage.models import Member, Prompt, Team


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


def set_up_step(
    session: Session, team_id: int, *, name: str | None = None, framework_variant: str | None = None,
    timezone: str | None = None,
) -> None:
    """One answer of /setup (the team's name, framework or time zone); the others stay as they are."""
    team = session.get(Team, team_id)
    chosen = {"name": name, "framework_variant": framework_variant, "timezone": timezone}
    for key, value in chosen.items():
        if value is not None:
            setattr(team, key, value)


def finish_setup(session: Session, team_id: int, customisation: dict) -> Team:
    """The last answer of /setup (the written-in themes): the team is set up."""
    team = session.get(Team, team_id)
    team.customisation = customisation
    team.set_up = True
    return team


def await_setup_reply(session: Session, chat_id: int, message_id: int, team_id: int, purpose: str) -> None:
    """A /setup question asked with ForceReply ("setup-name", "setup-timezone"): a reply to it answers it."""
    session.add(Prompt(chat_id=chat_id, message_id=message_id, team_id=team_id, purpose=purpose))


def awaited_setup_reply(session: Session, chat_id: int, message_id: int) -> tuple[str, int] | None:
    """(purpose, team id) when the message `message_id` asked a /setup question."""
    prompt = session.exec(select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id)).first()
    return (prompt.purpose, prompt.team_id) if prompt and prompt.purpose.startswith("setup-") else None


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
