"""The schema, in the domain's words.

A *team* is one group chat. Its *members* rate *elements* of the framework in *rounds*
(a Pizazz self-assessment) and in *check-ins* (short scheduled pulses). Ratings and
evidence of an anonymous round or check-in carry no member at all: whether somebody has
answered is kept apart in *participation*, only to count and to stop double votes, and the
answer itself waits as a *sealed ballot* until it enters the answers in a shuffled batch
(piebot.storage.ballots and piebot.storage.ballot_box; the design is in docs/anonymity.md).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import JSON, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def big(**kwargs) -> Column:
    # Telegram ids exceed 32 bits (supergroups are -100...), so they need BIGINT on PostgreSQL.
    return Column(BigInteger, **kwargs)


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=big(unique=True, nullable=False))
    chat_title: str = ""
    name: str = ""
    framework_variant: str = "pies2"
    # A framework.Customisation as JSON: written-in themes, renamed labels, hidden elements.
    customisation: dict = Field(default_factory=dict, sa_type=JSON)
    timezone: str = "Europe/London"
    set_up: bool = False
    strengths_first: bool = False
    anonymous_by_default: bool = False
    share_private_evidence_with_peer: bool = False
    # Days answers are kept; None keeps them until the team deletes them.
    retention_days: int | None = None
    paused: bool = False
    support_contacts: str = ""
    support_requests: int = 0
    service_user_permission: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Member(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("team_id", "telegram_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    telegram_user_id: int = Field(sa_column=big(nullable=False, index=True))
    display_name: str = ""
    facilitator: bool = False
    active: bool = True
    # Set once the member opened the private chat; the bot cannot write first otherwise.
    private_chat: bool = False
    away_until: date | None = None
    joined_at: datetime = Field(default_factory=utcnow)


class Round(SQLModel, table=True):
    """One Pizazz self-assessment: a set of elements taken through the stages."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    framework_variant: str = "pies2"
    # "staff", or "service_users" for a parallel round a scribe enters for the people served.
    audience: str = "staff"
    scope: str = "element"  # all | theme | element
    scope_ref: str | None = None
    element_ids: list = Field(default_factory=list, sa_type=JSON)
    mode: str = "live"  # live | async
    anonymous: bool = False
    status: str = "open"  # open | paused | closed
    current_index: int = 0
    deadline: datetime | None = None
    status_message_id: int | None = Field(default=None, sa_column=big(nullable=True))
    opened_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    opened_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    review_date: date | None = None
    # Named rounds: whether the names stand beside the beads once the views are shared ("named and
    # shown"), a choice made at the start; otherwise the team sees the beads without names.
    names_shown: bool = False
    # When the round's results first left the team (a report sent or exported, a peer review asked,
    # a network overview that included it): from then on evidence can no longer be edited or removed.
    left_team_at: datetime | None = None


class RoundElement(SQLModel, table=True):
    """Where one element of a round stands: its card, its phase, the agreed team view."""

    __table_args__ = (UniqueConstraint("round_id", "element_id"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    element_id: str
    position: int = 0
    phase: str = "pending"  # pending | review | rating | revealed | stages | closed
    stage: str | None = None
    card_message_id: int | None = Field(default=None, sa_column=big(nullable=True))
    team_view: int | None = None  # index 1..20, Level One
    closed_at: datetime | None = None
    # The team agreed a view on it in an earlier round, so it opens with the review (set when the round opens).
    looked_at_before: bool = False


class CheckIn(SQLModel, table=True):
    """One reflective pulse, posted at a schedule's slot and open for its answer window."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    schedule_id: int | None = Field(default=None, foreign_key="schedule.id")
    element_id: str = "responsiveness"
    anonymous: bool = False
    slot: datetime | None = None
    opened_at: datetime = Field(default_factory=utcnow)
    closes_at: datetime
    closed_at: datetime | None = None
    message_id: int | None = Field(default=None, sa_column=big(nullable=True))


class Rating(SQLModel, table=True):
    """One member's own view (Level Two) of one element, in a round or a check-in."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id", index=True)
    element_id: str
    # None in anonymous rounds and check-ins: the link to the author is never written.
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    value: int  # 1..20
    # A bead tapped in a check-in's group post names a level only: `value` is then the level's first
    # place and the answer covers the whole level (see conversations.checkin_figures).
    level_only: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Anonymous answers only, while their round or check-in is open: a keyed hash (piebot.storage.ballots)
    # by which the bot finds a person's own answer; cleared at the close.
    owner_key: str | None = Field(default=None, index=True)


class Participation(SQLModel, table=True):
    """That a member has answered, kept apart from what they answered.

    No id, no timestamp, and (on SQLite) no rowid: rows sort by their key, so nothing about
    their order or time can be lined up against the anonymous ratings to re-link them.
    """

    __table_args__ = {"sqlite_with_rowid": False}
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    # "round:12" or "checkin:7": one column, so the key never holds a NULL.
    subject: str = Field(primary_key=True)
    element_id: str = Field(default="", primary_key=True)
    part: str = Field(default="rating", primary_key=True)  # rating | finished | a stage name


class Evidence(SQLModel, table=True):
    """What someone said at a stage: evidence, what hinders, what helps, review comments."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id", index=True)
    element_id: str
    stage: str  # evidence | hindering | helping | action_plan | review | a check-in question id
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    kind: str = "text"  # text | photo | voice | document
    text: str = ""
    file_id: str | None = None
    # Given in a private chat and not to be shown beyond the team unless it allows.
    private: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    owner_key: str | None = Field(default=None, index=True)  # as Rating.owner_key
    # Evidence, hinders or helps that speak of relationships: gathered into the relationships thread,
    # since relationships run through every element rather than sitting in one.
    about_relationships: bool = False


class RelationshipMark(SQLModel, table=True):
    """An anonymous item marked about relationships (by a facilitator, from /items): kept apart from the
    answer row, keyed by its random key and naming nobody, so the marking never touches the answer (nor
    shares its transaction). Goes with the item; the close carries it over to the item's new key."""

    evidence_id: int = Field(foreign_key="evidence.id", ondelete="CASCADE", primary_key=True)


class Action(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id")
    element_id: str | None = None
    text: str
    owner_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    due: date | None = None
    success_measure: str = ""  # how we will know it worked
    status: str = "open"  # open | still_on | done | dropped (conversations.actions.Status)
    depends_on_others: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
    # Who wrote it, in named rounds and check-ins (the owner may be someone else): /forgetme finds it so.
    author_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    owner_key: str | None = Field(default=None, index=True)  # as Rating.owner_key
    drop_reason: str = ""


class ActionChange(SQLModel, table=True):
    """One change of an action's status, kept so its history shows when it was done and who said so."""

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    status: str  # what it became
    due: date | None = None  # its date after the change (a new one when still on)
    due_before: date | None = None  # and before it, so the date first agreed is never lost
    reason: str = ""  # why it was dropped
    changed_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    role: str = ""  # owner | facilitator | admin: an admin need not have joined the team
    changed_at: datetime = Field(default_factory=utcnow)


class ActionQuestion(SQLModel, table=True):
    """A reply prompt about one action (its new date, or why it is dropped), so the reply finds it.

    Deleted once answered; `origin_message_id` is the reminder or list whose buttons led here, put
    right once the answer is in.
    """

    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=big(nullable=False))
    message_id: int = Field(sa_column=big(nullable=False))
    action_id: int = Field(foreign_key="action.id", index=True)
    asking: str  # date | reason
    origin: str = ""  # r (a reminder) | g (the group's list) | p (a private list) | e (elsewhere)
    origin_message_id: int | None = Field(default=None, sa_column=big(nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class Schedule(SQLModel, table=True):
    """A team's rhythm. These rows are the source of truth; in-memory jobs are rebuilt from them."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    kind: str = "checkin"  # checkin | reassessment | action_reminders
    cadence: str = "weekly"  # weekly | fortnightly | monthly
    weekday: int = 1  # 0 = Monday
    day_of_month: int | None = None
    local_time: str = "14:00"
    window_hours: int = 24
    # The answer window to the minute (15 at the least); None on rows saved before minutes were kept.
    window_minutes: int | None = None
    quiet_start: str | None = "21:00"
    quiet_end: str | None = "08:00"
    element_id: str = "responsiveness"
    anonymous: bool = False
    anchor: date | None = None
    review_date: date | None = None
    remind_days_before: int = 2
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Firing(SQLModel, table=True):
    """A slot of a schedule that was taken; its uniqueness is what stops a slot firing twice."""

    __table_args__ = (UniqueConstraint("schedule_id", "slot"),)
    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    slot: datetime
    outcome: str = "sent"  # sent | late | missed
    fired_at: datetime = Field(default_factory=utcnow)


class Nudge(SQLModel, table=True):
    """A private reminder sent, so the same one is never sent twice."""

    __table_args__ = (UniqueConstraint("member_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    key: str
    sent_at: datetime = Field(default_factory=utcnow)


class Dialog(SQLModel, table=True):
    """What the bot is waiting for from one person in one chat (a wizard step, a reply, a walk).

    Kept in the database, not in PTB's ConversationHandler, so it survives restarts and
    several worker processes.
    """

    __table_args__ = (UniqueConstraint("chat_id", "telegram_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=big(nullable=False))
    telegram_user_id: int = Field(sa_column=big(nullable=False))
    state: dict = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)


class Prompt(SQLModel, table=True):
    """A message of the bot's that members answer by replying to it (ForceReply)."""

    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=big(nullable=False))
    message_id: int = Field(sa_column=big(nullable=False))
    team_id: int = Field(foreign_key="team.id", index=True)
    purpose: str  # stage | checkin | action | setup | ...
    round_id: int | None = Field(default=None, foreign_key="round.id")
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id")
    element_id: str | None = None
    stage: str | None = None
    # For "new words for this item" (purpose "evidence_edit"): the named item the reply replaces.
    evidence_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PeerReview(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    # Only a hash of the one-time code is kept, so a database leak does not grant access.
    code_hash: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    redeemed_at: datetime | None = None
    reviewer_user_id: int | None = Field(default=None, sa_column=big(nullable=True))
    comments: str = ""


class UsedToken(SQLModel, table=True):
    """Single-use deep-link nonces that have been spent."""

    nonce: str = Field(primary_key=True)
    used_at: datetime = Field(default_factory=utcnow)


class SealedBallot(SQLModel, table=True):
    """An anonymous answer between the press and its batch, readable only with the signing secret.

    It is written in the person's own transaction, so it holds nothing in clear but its team and scope
    (the round or check-in): a random key, no timestamp, no member, and (on SQLite) no rowid, whose
    order would follow the order of answering.
    """

    __table_args__ = {"sqlite_with_rowid": False}
    key: str = Field(primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    scope: str = Field(index=True)  # "round:12", "checkin:7", "support:3"
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ProcessedUpdate(SQLModel, table=True):
    """Updates whose effect is committed; a repeated update_id has no second effect."""

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(default_factory=utcnow)


class Network(SQLModel, table=True):
    """An organisation or local network whose lead looks across member teams."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    lead_user_id: int = Field(sa_column=big(nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow)


class NetworkMembership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("network_id", "team_id"),)
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    # Shown to the network as "Team B" instead of its name when anonymous.
    anonymous: bool = False
    share_service_user_views: bool = False
    share_evidence: bool = False
    # Whether the lead sees the team's written answers (what gets in the way): off until the admin says.
    share_written: bool = False
    joined_at: datetime = Field(default_factory=utcnow)


Index("ix_rating_round_element", Rating.round_id, Rating.element_id)
# Every scheduler tick looks for open actions falling due, across all teams.
Index("ix_action_open_due", Action.status, Action.due)


class OutboxMessage(SQLModel, table=True):
    """A Bot API call queued in the transaction whose effect it reports, sent after that commits.

    Deleted once Telegram has taken it. A row names its chat: a private receipt must never carry an
    anonymous answer, nor be queued in the transaction that stores one (see piebot.storage.outbox).
    """

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=big(nullable=False))
    method: str
    payload: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    # Seconds since the epoch until which one worker holds the row; a lapsed claim is anyone's again.
    claimed_until: float | None = None


class EditPace(SQLModel, table=True):
    """When a message (a live card) may next be edited, shared by every worker that edits it."""

    key: str = Field(primary_key=True)
    # Seconds since the epoch: the next free turn to edit.
    next_edit_at: float
