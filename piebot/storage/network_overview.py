"""The overview a network's lead sees: every team's views side by side, in seven queries whatever the
number of teams.

Only canonical PIEs 2.0 elements of teams on the same template are compared; a team's written-in
elements and teams on other templates are left out and the overview says so. Teams appear under the
label the network knows them by (piebot.storage.networks.labels_from_rows): their name or an alias.
"""

from __future__ import annotations

import functools
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from conversations.actions import STILL_OPEN
from conversations.checkin_figures import Answer
from conversations.texts import networks as texts
from framework import shared_framework
from piebot import clock
from piebot.charts.network_data import (
    MIN_ANSWERS,
    SYSTEM_ELEMENTS,
    CheckInMiddle,
    ElementRow,
    Hindrance,
    NetworkOverview,
    ServiceUserView,
    SharedAction,
    TeamCheckIns,
    TeamDistance,
    TeamView,
)
from piebot.storage.models import (
    Action,
    CheckIn,
    Evidence,
    Network,
    NetworkMembership,
    Rating,
    Round,
    RoundElement,
    Team,
)
from piebot.storage.networks import NetworkRefused, labels_from_rows

# The templates whose element ids are the canonical 15 (the short form drills into the same ids).
COMPARABLE = ("pies2", "pies2-short")
CHECKIN_POINTS = 6


@functools.cache
def _canonical() -> tuple[tuple[str, str, str], ...]:
    """(element id, name, theme name) of the 15 PIEs 2.0 elements, in the framework's order."""
    framework = shared_framework("pies2")
    return tuple((e.id, e.name, framework.theme(e.theme_id).name) for e in framework.elements)


@functools.cache
def _level_labels() -> tuple[str, ...]:
    return tuple(level.label for level in shared_framework("pies2").scale.levels)


def canonical_ids() -> tuple[str, ...]:
    return tuple(e[0] for e in _canonical())



@dataclass
class _Team:
    id: int
    label: str
    share_service_users: bool
    share_evidence: bool
    share_written: bool = False


def network_overview(session: Session, network_id: int, secret: bytes = b"", today: date | None = None) -> NetworkOverview:
    """Everything the lead's overview shows, in seven queries whatever the number of teams.

    Team views come from each team's latest closed staff round that rated the element (and the one
    before, for distance travelled); individual views from the same rounds; check-ins on Responsiveness
    from the latest few; hindrances from the latest rounds; open actions that depend on others.
    """
    network = session.get(Network, network_id)
    if network is None:
        raise NetworkRefused(texts.NETWORK_GONE)
    rows = session.exec(
        select(
            NetworkMembership.team_id,
            NetworkMembership.anonymous,
            Team.name,
            Team.framework_variant,
            Team.customisation,
            NetworkMembership.share_service_user_views,
            NetworkMembership.share_evidence,
            Team.service_user_permission,
            NetworkMembership.share_written,
        )
        .join(Team, Team.id == NetworkMembership.team_id)
        .where(NetworkMembership.network_id == network_id)
        .order_by(NetworkMembership.id)
    ).all()
    rows, waiting = _newcomers_held_back(rows)
    labels = labels_from_rows(network_id, secret, [(r[0], r[1], r[2]) for r in rows])
    teams: dict[int, _Team] = {}
    other_templates: list[str] = []
    with_own = 0
    for team_id, _anonymous, _name, variant, customisation, share_su, share_ev, permission, written in rows:
        if variant not in COMPARABLE:
            other_templates.append(labels[team_id])
            continue
        teams[team_id] = _Team(team_id, labels[team_id], bool(share_su and permission), bool(share_ev), bool(written))
        if (customisation or {}).get("written_in_themes"):
            with_own += 1
    order = sorted(teams.values(), key=lambda t: (t.label.casefold(), t.id))
    ids = canonical_ids()

    views = _team_views(session, network_id, ids)
    individual = _individual_views(session, network_id, ids)
    service_users = _service_user_views(session, network_id, ids, {t.id for t in order if t.share_service_users})

    elements: list[ElementRow] = []
    distances: dict[int, dict[str, int]] = {t.id: defaultdict(int) for t in order}
    for element_id, name, theme in _canonical():
        row = ElementRow(element_id, name, theme)
        for team in order:
            latest = views.get((team.id, element_id))
            if latest is None:
                continue
            value, previous, round_id = latest
            answers = individual.get((round_id, element_id), [])
            shown = tuple(sorted(answers)) if len(answers) >= MIN_ANSWERS else ()
            row.views.append(TeamView(team.label, value, previous, shown, bool(answers) and not shown))
            moved = distances[team.id]
            moved["rated"] += 1
            if previous is not None:
                moved["compared"] += 1
                moved["places"] += value - previous
                moved["up" if value > previous else "down" if value < previous else "held"] += 1
        for team in order:
            su = service_users.get((team.id, element_id))
            if su and len(su) >= MIN_ANSWERS:
                row.service_users.append(ServiceUserView(team.label, statistics.median(su), len(su)))
        elements.append(row)

    names = {e[0]: e[1] for e in _canonical()}
    return NetworkOverview(
        network_name=network.name,
        made_on=today or clock.now().date(),
        level_labels=list(_level_labels()),
        teams=[t.label for t in order],
        anonymous_teams=sum(1 for r in rows if r[1] and r[0] in teams),
        elements=elements,
        distances=[TeamDistance(t.label, **distances[t.id]) for t in order],
        checkins=_checkins(session, network_id, order),
        hinders=_hinders(session, network_id, ids, teams, names),
        actions=_actions(session, network_id, teams, names),
        other_templates=sorted(other_templates, key=str.casefold),
        with_own_elements=with_own,
        service_user_teams=sum(1 for t in order if t.share_service_users),
        waiting_anonymous=waiting,
        round_ids=tuple(sorted({round_id for (team_id, _), (_, _, round_id) in views.items() if team_id in teams})),
    )


# Teams that joined under an alias appear together, in threes: a lead who invites one team at a time
# could otherwise tell which new "Team K" is the one they just invited.
ANONYMOUS_TOGETHER = 3


def _newcomers_held_back(rows: list) -> tuple[list, int]:
    """The rows (in the order teams joined) less the latest anonymous ones short of a group of three,
    and how many wait."""
    anonymous = [r[0] for r in rows if r[1]]
    waiting = set(anonymous[len(anonymous) - len(anonymous) % ANONYMOUS_TOGETHER:])
    return [r for r in rows if r[0] not in waiting], len(waiting)


def _ranked_elements(network_id: int, ids: tuple[str, ...], audience: str):
    """Every closed round's rated elements of the network's teams, newest first per (team, element)."""
    query = (
        select(
            Round.team_id.label("team_id"),
            Round.id.label("round_id"),
            RoundElement.element_id.label("element_id"),
            RoundElement.team_view.label("team_view"),
            func.row_number()
            .over(
                partition_by=(Round.team_id, RoundElement.element_id),
                order_by=(Round.closed_at.desc(), Round.id.desc()),
            )
            .label("rank"),
        )
        .join(RoundElement, RoundElement.round_id == Round.id)
        .join(NetworkMembership, NetworkMembership.team_id == Round.team_id)
        .where(
            NetworkMembership.network_id == network_id,
            Round.status == "closed",
            Round.audience == audience,
            RoundElement.element_id.in_(ids),
        )
    )
    if audience == "staff":
        query = query.where(Round.framework_variant.in_(COMPARABLE), RoundElement.team_view.is_not(None))
    return query.subquery()


def _team_views(session: Session, network_id: int, ids) -> dict[tuple[int, str], tuple[int, int | None, int]]:
    """(team, element) -> (latest team view, the one before or None, the latest round's id)."""
    ranked = _ranked_elements(network_id, ids, "staff")
    found: dict[tuple[int, str], tuple[int, int | None, int]] = {}
    rows = session.execute(
        select(ranked.c.team_id, ranked.c.element_id, ranked.c.team_view, ranked.c.round_id, ranked.c.rank)
        .where(ranked.c.rank <= 2)
        .order_by(ranked.c.rank)
    ).all()
    for team_id, element_id, view, round_id, rank in rows:
        key = (team_id, element_id)
        if rank == 1:
            found[key] = (view, None, round_id)
        elif key in found:
            found[key] = (found[key][0], view, found[key][2])
    return found


def _individual_views(session: Session, network_id: int, ids) -> dict[tuple[int, str], list[int]]:
    """(round, element) -> the individual views given in each team's latest round of that element."""
    ranked = _ranked_elements(network_id, ids, "staff")
    rows = session.execute(
        select(Rating.round_id, Rating.element_id, Rating.value).join(
            ranked,
            and_(ranked.c.round_id == Rating.round_id, ranked.c.element_id == Rating.element_id, ranked.c.rank == 1),
        )
    ).all()
    found: dict[tuple[int, str], list[int]] = defaultdict(list)
    for round_id, element_id, value in rows:
        found[(round_id, element_id)].append(value)
    return found


def _service_user_views(session: Session, network_id: int, ids, allowed: set[int]) -> dict[tuple[int, str], list[int]]:
    """(team, element) -> the people's views in the team's latest service users' round of it, if shared."""
    if not allowed:
        return {}
    ranked = _ranked_elements(network_id, ids, "service_users")
    rows = session.execute(
        select(ranked.c.team_id, Rating.element_id, Rating.value).join(
            ranked,
            and_(ranked.c.round_id == Rating.round_id, ranked.c.element_id == Rating.element_id, ranked.c.rank == 1),
        )
    ).all()
    found: dict[tuple[int, str], list[int]] = defaultdict(list)
    for team_id, element_id, value in rows:
        if team_id in allowed:
            found[(team_id, element_id)].append(value)
    return found


def _checkins(session: Session, network_id: int, order: list[_Team]) -> list[TeamCheckIns]:
    ranked = (
        select(
            CheckIn.id.label("checkin_id"),
            CheckIn.team_id.label("team_id"),
            CheckIn.opened_at.label("opened_at"),
            func.row_number()
            .over(partition_by=CheckIn.team_id, order_by=(CheckIn.opened_at.desc(), CheckIn.id.desc()))
            .label("rank"),
        )
        .join(NetworkMembership, NetworkMembership.team_id == CheckIn.team_id)
        .where(NetworkMembership.network_id == network_id, CheckIn.element_id == "responsiveness")
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.team_id, ranked.c.checkin_id, ranked.c.opened_at, Rating.value, Rating.level_only)
        .join(Rating, Rating.checkin_id == ranked.c.checkin_id, isouter=True)
        .where(ranked.c.rank <= CHECKIN_POINTS)
    ).all()
    per_checkin: dict[int, tuple[int, date, list[Answer]]] = {}
    for team_id, checkin_id, opened_at, value, level_only in rows:
        entry = per_checkin.setdefault(checkin_id, (team_id, opened_at, []))
        if value is not None:
            entry[2].append(Answer.kept(value, bool(level_only)))
    per_team: dict[int, list[tuple]] = defaultdict(list)
    for checkin_id, (team_id, opened_at, values) in per_checkin.items():
        per_team[team_id].append((opened_at, checkin_id, values))
    found = []
    for team in order:
        points = [
            CheckInMiddle(opened.date(), tuple(values))
            for opened, _, values in sorted(per_team.get(team.id, []), key=lambda p: (p[0], p[1]))
        ]
        if points:
            found.append(TeamCheckIns(team.label, points))
    return found


def _hinders(session: Session, network_id: int, ids, teams: dict[int, _Team], names: dict[str, str]) -> list[Hindrance]:
    """What gets in the way, from each team's latest round of each element: only from teams whose admin
    switched sharing their written answers on (off to start with); private words only if shared too."""
    ranked = _ranked_elements(network_id, ids, "staff")
    rows = session.execute(
        select(ranked.c.team_id, Evidence.element_id, Evidence.text, Evidence.private)
        .join(
            ranked,
            and_(ranked.c.round_id == Evidence.round_id, ranked.c.element_id == Evidence.element_id, ranked.c.rank == 1),
        )
        .where(Evidence.stage == "hindering", Evidence.kind == "text")
        .order_by(Evidence.id)
    ).all()
    found = []
    for team_id, element_id, text, private in rows:
        team = teams.get(team_id)
        if team is None or not team.share_written or not (text or "").strip() or (private and not team.share_evidence):
            continue
        found.append(Hindrance(team.label, element_id, names[element_id], text.strip()))
    return _systems_first(found, lambda h: (h.element_id, h.team))


def _actions(session: Session, network_id: int, teams: dict[int, _Team], names: dict[str, str]) -> list[SharedAction]:
    rows = session.execute(
        select(Action.team_id, Action.element_id, Action.text, Action.due, Action.depends_on_others)
        .join(NetworkMembership, NetworkMembership.team_id == Action.team_id)
        .where(
            NetworkMembership.network_id == network_id,
            Action.status.in_(STILL_OPEN),
            or_(Action.depends_on_others, Action.element_id.in_(SYSTEM_ELEMENTS)),
        )
        .order_by(Action.id)
    ).all()
    found = []
    for team_id, element_id, text, due, depends in rows:
        team = teams.get(team_id)
        if team is None:
            continue
        name = names.get(element_id or "", texts.OWN_ELEMENT if element_id else texts.WHOLE_SERVICE)
        found.append(SharedAction(team.label, element_id, name, text, due, bool(depends)))
    return _systems_first(found, lambda a: (a.element_id or "", a.team))


def _systems_first(items: list, key) -> list:
    """Pathways, then sector engagement, then the other elements in the framework's order; teams by label."""
    position: dict[str, int] = {}
    for element_id in SYSTEM_ELEMENTS + canonical_ids():
        position.setdefault(element_id, len(position))
    return sorted(items, key=lambda item: (position.get(key(item)[0], len(position)), key(item)[1].casefold()))
