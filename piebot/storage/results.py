"""From database rows to the charts' plain dataclasses, for one team, and what a team has to chart (the
facts /chart, /report and /export decide on).

Names leave the database only for named rounds: an anonymous round's ratings carry no member to
begin with, and its action owners are dropped here too, so no chart, report or export built on these
results can show who said what.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from conversations.actions import is_overdue, status_of
from conversations.checkin_figures import Answer
from conversations.texts import charts as texts
from framework import Framework, shared_framework
from piebot import clock
from piebot.charts.data import (
    ActionRow,
    CheckInPoint,
    CheckInSeries,
    ElementResult,
    RoundResult,
)
from piebot.storage import relationships, rounds, teams
from piebot.storage.actions import followed_since
from piebot.storage.models import (
    Action,
    CheckIn,
    Evidence,
    Firing,
    Member,
    PeerReview,
    Rating,
    Round,
    RoundElement,
    Schedule,
    Team,
)

# Evidence.stage -> the ElementResult list it feeds.
STAGE_LISTS = {"evidence": "evidence", "hindering": "hinders", "helping": "helps", "review": "review"}


def team_framework(team: Team) -> Framework:
    return shared_framework(team.framework_variant, team.customisation or None)


def team_zone(team: Team) -> ZoneInfo:
    try:
        return ZoneInfo(team.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; everything is stored as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone).date()


def team_today(team: Team) -> date:
    return local_date(clock.now(), team_zone(team))


@dataclass(frozen=True)
class Names:
    """Element and theme names in the team's own words, tolerant of ids the framework no longer has."""

    framework: Framework

    def element(self, element_id: str) -> tuple[str, str, bool]:
        """(element name, theme name, written in) for an element id."""
        for theme in self.framework.themes:
            for element in theme.elements:
                if element.id == element_id:
                    return element.name, theme.name, element.written_in or theme.written_in
        return element_id, texts.OTHER_THEME, False

    def theme_of_action(self, ref: str | None) -> tuple[str, str | None]:
        """(theme name, element name or None) for an action's element id, which may name a theme."""
        if not ref:
            return texts.NO_THEME, None
        for theme in self.framework.themes:
            if theme.id == ref:
                return theme.name, None
            for element in theme.elements:
                if element.id == ref:
                    return theme.name, element.name
        return texts.OTHER_THEME, ref

    @property
    def level_labels(self) -> list[str]:
        labels = [level.label for level in self.framework.scale.levels]
        return labels or list(texts.DEFAULT_LEVEL_LABELS)


def names_for(team: Team, framework: Framework | None = None) -> Names:
    return Names(framework if framework is not None else team_framework(team))


# ---- rounds -------------------------------------------------------------------------------------


def latest_rounds(session: Session, team_id: int, n: int = 2) -> list[Round]:
    """The team's last `n` closed staff rounds, newest first."""
    return list(
        session.exec(
            select(Round)
            .where(Round.team_id == team_id, Round.status == "closed", Round.audience == "staff")
            .order_by(Round.closed_at.desc(), Round.id.desc())
            .limit(n)
        )
    )


def closed_rounds(session: Session, team_id: int) -> list[Round]:
    """Every closed staff round of the team, oldest first."""
    return list(
        session.exec(
            select(Round)
            .where(Round.team_id == team_id, Round.status == "closed", Round.audience == "staff")
            .order_by(Round.closed_at, Round.id)
        )
    )


def round_result(session: Session, round_id: int, framework: Framework | None = None, *,
                 include_private: bool | None = None, today: date | None = None) -> RoundResult:
    """One round as the charts and the report see it.

    Evidence given privately is left out unless the team allows sharing it (`include_private`
    defaults to the team's own setting), since a report is made to be handed on.
    """
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise LookupError(f"no round {round_id}")
    team = session.get(Team, round_.team_id)
    names = names_for(team, framework)
    zone = team_zone(team)
    today = today or local_date(clock.now(), zone)
    if include_private is None:
        include_private = team.share_private_evidence_with_peer

    rows = list(
        session.exec(select(RoundElement).where(RoundElement.round_id == round_id).order_by(RoundElement.position))
    )
    earlier = rounds.previous_closed_round(session, round_)
    before: dict[str, int | None] = {}
    if earlier is not None:
        before = {
            e.element_id: e.team_view
            for e in session.exec(select(RoundElement).where(RoundElement.round_id == earlier.id))
        }

    ratings: dict[str, list[tuple[str | None, int]]] = {}
    # Ordered by value, never by time, so an anonymous answer's place in the list says nothing.
    for element_id, value, name in session.exec(
        select(Rating.element_id, Rating.value, Member.display_name)
        .join(Member, Member.id == Rating.member_id, isouter=True)
        .where(Rating.round_id == round_id)
        .order_by(Rating.element_id, Rating.value, Rating.id)
    ):
        ratings.setdefault(element_id, []).append((None if round_.anonymous else name, value))

    said: dict[tuple[str, str], list[str]] = {}
    held_back: dict[str, int] = {}
    for evidence in session.exec(select(Evidence).where(Evidence.round_id == round_id).order_by(Evidence.id)):
        target = STAGE_LISTS.get(evidence.stage)
        if target is None:
            continue
        if evidence.private and not include_private:
            held_back[evidence.element_id] = held_back.get(evidence.element_id, 0) + 1
            continue
        words = evidence.text.strip() or texts.FILE_WORDS.get(evidence.kind, "")
        if words:
            said.setdefault((evidence.element_id, target), []).append(words)

    elements = []
    for row in rows:
        name, theme, own = names.element(row.element_id)
        evidence = list(said.get((row.element_id, "evidence"), []))
        if held_back.get(row.element_id):
            evidence.append(texts.held_back(held_back[row.element_id]))
        elements.append(ElementResult(
            element_id=row.element_id,
            element_name=name,
            theme_name=theme,
            written_in=own,
            ratings=ratings.get(row.element_id, []),
            team_view=row.team_view,
            previous_team_view=before.get(row.element_id),
            evidence=evidence,
            hinders=list(said.get((row.element_id, "hinders"), [])),
            helps=list(said.get((row.element_id, "helps"), [])),
            review=list(said.get((row.element_id, "review"), [])),
        ))

    actions = _action_rows(session, team, names, today,
                           select(Action).where(Action.round_id == round_id).order_by(Action.id))
    followed = _action_rows(session, team, names, today, followed_since(round_, earlier))
    thread, _ = relationships.thread_items(session, round_id, names.framework, include_private=include_private)
    comments = [
        c.comments.strip()
        for c in session.exec(select(PeerReview).where(PeerReview.round_id == round_id).order_by(PeerReview.id))
        if c.comments and c.comments.strip()
    ]
    return RoundResult(
        round_id=round_.id,
        team_name=team.name or team.chat_title or "Our team",
        closed_on=local_date(round_.closed_at, zone) if round_.status == "closed" else None,
        anonymous=round_.anonymous,
        level_labels=names.level_labels,
        elements=elements,
        actions=actions,
        peer_comments=comments,
        earlier_actions=followed,
        relationships=thread,
        relationship_counts=relationships.counts_up_to(session, round_),
    )


# ---- actions ------------------------------------------------------------------------------------


def action_status(action: Action, today: date) -> str:
    """open, still_on, done or dropped; or overdue for one still open past its date."""
    status = status_of(action.status)
    return "overdue" if is_overdue(status, action.due, today) else str(status)


def _action_rows(session: Session, team: Team, names: Names, today: date, query) -> list[ActionRow]:
    actions = list(session.exec(query))
    anonymous = _anonymous_sources(session, actions)
    owner_ids = {a.owner_member_id for a in actions if a.owner_member_id is not None}
    owners = {}
    if owner_ids:
        owners = {m.id: m.display_name for m in session.exec(select(Member).where(Member.id.in_(owner_ids)))}
    rows = []
    for action in actions:
        theme, element = names.theme_of_action(action.element_id)
        hidden_owner = (("round", action.round_id) in anonymous) or (("checkin", action.checkin_id) in anonymous)
        rows.append(ActionRow(
            text=action.text,
            theme_name=theme,
            owner=None if hidden_owner else owners.get(action.owner_member_id),
            due=action.due,
            status=action_status(action, today),
            success_measure=action.success_measure or None,
            element_name=element,
            done_on=local_date(action.done_at, team_zone(team)) if action.status == "done" else None,
            reason=action.drop_reason or None,
            owner_hidden=hidden_owner and action.owner_member_id is not None,
        ))
    return rows


def _anonymous_sources(session: Session, actions: Iterable[Action]) -> set[tuple[str, int]]:
    round_ids = {a.round_id for a in actions if a.round_id is not None}
    checkin_ids = {a.checkin_id for a in actions if a.checkin_id is not None}
    found: set[tuple[str, int]] = set()
    if round_ids:
        found |= {("round", r.id) for r in session.exec(select(Round).where(Round.id.in_(round_ids))) if r.anonymous}
    if checkin_ids:
        found |= {("checkin", c.id) for c in session.exec(select(CheckIn).where(CheckIn.id.in_(checkin_ids)))
                  if c.anonymous}
    return found


def action_rows(session: Session, team_id: int, today: date | None = None,
                framework: Framework | None = None) -> list[ActionRow]:
    """Every action of the team, open, done or overdue (open and due before today in the team's time zone)."""
    team = session.get(Team, team_id)
    names = names_for(team, framework)
    today = today or team_today(team)
    return _action_rows(session, team, names, today,
                        select(Action).where(Action.team_id == team_id).order_by(Action.id))


# ---- check-ins ----------------------------------------------------------------------------------


def checkin_points(session: Session, team_id: int, element_id: str = "responsiveness") -> list[CheckInPoint]:
    """One point per check-in on the element, oldest first; slots the schedule missed show as missed points.

    A check-in still open (its window not yet over) is left out: its figures would still move.
    """
    team = session.get(Team, team_id)
    zone = team_zone(team)
    now = clock.now()
    checkins = [
        c for c in session.exec(
            select(CheckIn).where(CheckIn.team_id == team_id, CheckIn.element_id == element_id).order_by(CheckIn.id)
        )
        if c.closed_at is not None or _aware(c.closes_at) <= now
    ]
    values: dict[int, list[Answer]] = {}
    if checkins:
        for checkin_id, value, level_only in session.exec(
            select(Rating.checkin_id, Rating.value, Rating.level_only).where(
                Rating.checkin_id.in_([c.id for c in checkins]), Rating.element_id == element_id
            )
        ):
            values.setdefault(checkin_id, []).append(Answer.kept(value, level_only))
    points = []
    taken_slots: set[tuple[int | None, datetime]] = set()
    for c in checkins:
        if c.slot is not None:
            taken_slots.add((c.schedule_id, _aware(c.slot)))
        points.append(CheckInPoint(on=local_date(c.slot or c.opened_at, zone), answers=tuple(values.get(c.id, []))))
    schedules = list(session.exec(
        select(Schedule.id).where(Schedule.team_id == team_id, Schedule.kind == "checkin",
                                  Schedule.element_id == element_id)
    ))
    if schedules:
        for firing in session.exec(
            select(Firing).where(Firing.schedule_id.in_(schedules), Firing.outcome == "missed")
        ):
            if (firing.schedule_id, _aware(firing.slot)) in taken_slots:
                continue
            points.append(CheckInPoint(on=local_date(firing.slot, zone), missed=True))
    return sorted(points, key=lambda p: p.on)


def checkin_elements(session: Session, team_id: int) -> list[tuple[str, int]]:
    """(element id, id of its latest check-in) for each element the team has had check-ins on."""
    latest: dict[str, int] = {}
    for c in session.exec(select(CheckIn).where(CheckIn.team_id == team_id).order_by(CheckIn.id)):
        latest[c.element_id] = c.id
    return sorted(latest.items(), key=lambda item: (item[0] != "responsiveness", item[0]))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


# ---- export -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRows:
    rounds: list[RoundResult]
    checkins: list[CheckInSeries]
    actions: list[ActionRow]
    level_labels: list[str]


def export_rows(session: Session, team_id: int, today: date | None = None) -> ExportRows:
    """Everything `export_csv` needs: every closed round, every check-in series, every action."""
    team = session.get(Team, team_id)
    framework = team_framework(team)
    names = Names(framework)
    today = today or team_today(team)
    rounds = [round_result(session, r.id, framework, today=today) for r in closed_rounds(session, team_id)]
    series = [
        CheckInSeries(names.element(element_id)[0], checkin_points(session, team_id, element_id), names.level_labels)
        for element_id, _ in checkin_elements(session, team_id)
    ]
    return ExportRows(rounds, [s for s in series if s.points], action_rows(session, team_id, today, framework),
                      names.level_labels)


# ---- what a team has to chart, for /chart, /report and /export -------------------------------------

# The rounds offered to chart or report on; older ones are in the export.
RECENT_ROUNDS = 8


@dataclass(frozen=True)
class RoundInfo:
    id: int
    closed_on: date | None  # in the team's time zone
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


def _facts(session: Session, team: Team | None, user_id: int | None) -> TeamFacts | None:
    if team is None:
        return None
    member = teams.member_of(session, team.id, user_id) if user_id is not None else None
    zone = team_zone(team)
    found = [RoundInfo(r.id, local_date(r.closed_at, zone), r.anonymous)
             for r in latest_rounds(session, team.id, RECENT_ROUNDS)]
    names = names_for(team)
    elements = [(element_id, names.element(element_id)[0], newest)
                for element_id, newest in checkin_elements(session, team.id)]
    has_actions = session.exec(select(Action.id).where(Action.team_id == team.id)).first() is not None
    return TeamFacts(
        team_id=team.id, chat_id=team.chat_id, name=team.name or team.chat_title, set_up=team.set_up,
        joined=member is not None and member.active, lead=member is not None and member.active and member.facilitator,
        private_chat=member is not None and member.private_chat, rounds=found, checkin_elements=elements,
        has_actions=has_actions,
    )


def facts_for_chat(session: Session, chat_id: int, user_id: int | None) -> TeamFacts | None:
    """What the chat's team has to chart, and who `user_id` is in it."""
    return _facts(session, teams.team_for_chat(session, chat_id), user_id)


def facts_for_team(session: Session, team_id: int, user_id: int | None) -> TeamFacts | None:
    return _facts(session, session.get(Team, team_id), user_id)


def checkin_element(session: Session, checkin_id: int, team_id: int) -> str | None:
    """The element of the team's check-in; None if the check-in is gone or another team's."""
    checkin = session.get(CheckIn, checkin_id)
    return checkin.element_id if checkin is not None and checkin.team_id == team_id else None


@dataclass(frozen=True)
class RoundResults:
    team: Team
    audience: str
    current: RoundResult
    previous: RoundResult | None  # the previous closed round of the same audience, if any


def round_results(session: Session, round_id: int) -> RoundResults:
    """This round's results and the previous closed round's, in the team's framework."""
    round_ = session.get(Round, round_id)
    team = session.get(Team, round_.team_id)
    framework = team_framework(team)
    current = round_result(session, round_id, framework)
    earlier = rounds.previous_closed_round(session, round_)
    previous = round_result(session, earlier.id, framework) if earlier is not None else None
    return RoundResults(team, round_.audience, current, previous)


def two_rounds(session: Session, team_id: int, before_id: int, after_id: int) -> tuple[RoundResult, RoundResult]:
    """Two of the team's rounds, read in the team's framework, for the distance travelled between them."""
    framework = team_framework(session.get(Team, team_id))
    return round_result(session, before_id, framework), round_result(session, after_id, framework)


@dataclass(frozen=True)
class Trend:
    chat_id: int
    points: list[CheckInPoint]
    element_name: str
    level_labels: list[str]


def trend(session: Session, team_id: int, element_id: str) -> Trend:
    """The team's check-ins on the element, for its trend chart."""
    team = session.get(Team, team_id)
    names = names_for(team)
    return Trend(team.chat_id, checkin_points(session, team_id, element_id), names.element(element_id)[0],
                 names.level_labels)


def closed_checkin(session: Session, checkin_id: int) -> tuple[int, str] | None:
    """(team id, element id) of a check-in whose trend may be posted: None if it is gone or its team paused."""
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None:
        return None
    team = session.get(Team, checkin.team_id)
    return None if team.paused else (team.id, checkin.element_id)
