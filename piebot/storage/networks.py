"""Organisations and local networks: the teams that accepted, and the overview their lead sees.

A lead sees only teams that accepted an invitation, under their name or, if they chose, an alias.
Only canonical PIEs 2.0 elements of teams on the same template are compared; a team's written-in
elements and teams on other templates are left out and the overview says so.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from framework import shared_framework
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
    UsedToken,
    utcnow,
)

# The templates whose element ids are the canonical 15 (the short form drills into the same ids).
COMPARABLE = ("pies2", "pies2-short")
CHECKIN_POINTS = 6
NAME_LIMIT = 64


class NetworkRefused(Exception):
    """A kind, plain reason why this can't be done; shown to the person as it is."""


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


# --- networks and memberships ------------------------------------------------------------------


def create_network(session: Session, name: str, lead_user_id: int) -> Network:
    name = " ".join(name.split())
    if not 1 <= len(name) <= NAME_LIMIT:
        raise NetworkRefused(f"Please give the network a name of 1 to {NAME_LIMIT} characters.")
    network = Network(name=name, lead_user_id=lead_user_id)
    session.add(network)
    session.flush()
    return network


def led_by(session: Session, lead_user_id: int) -> list[tuple[Network, int]]:
    """The networks this person leads, with how many teams accepted each."""
    rows = session.exec(
        select(Network, func.count(NetworkMembership.id))
        .join(NetworkMembership, NetworkMembership.network_id == Network.id, isouter=True)
        .where(Network.lead_user_id == lead_user_id)
        .group_by(Network.id)
        .order_by(Network.id)
    )
    return list(rows)


def network_of_lead(session: Session, network_id: int, lead_user_id: int) -> Network | None:
    """The network, only if this person leads it: the one check every lead action goes through."""
    network = session.get(Network, network_id)
    if network is None or network.lead_user_id != lead_user_id:
        return None
    return network


def invite_nonce_key(network_id: int, nonce: int) -> str:
    return f"network:{network_id}:{nonce}"


def invite_spent(session: Session, network_id: int, nonce: int) -> bool:
    return session.get(UsedToken, invite_nonce_key(network_id, nonce)) is not None


def accept_invite(
    session: Session,
    *,
    network_id: int,
    nonce: int,
    team_id: int,
    anonymous: bool,
) -> NetworkMembership:
    """Spend the invitation and add the team, in one go: an invitation brings in one team only."""
    network = session.get(Network, network_id)
    if network is None:
        raise NetworkRefused("That network doesn't exist any more.")
    if invite_spent(session, network_id, nonce):
        raise NetworkRefused("That invitation has been used already. Ask the network lead for a new one.")
    existing = membership(session, network_id, team_id)
    if existing is not None:
        raise NetworkRefused(f"This team is already in {network.name}.")
    session.add(UsedToken(nonce=invite_nonce_key(network_id, nonce)))
    joined = NetworkMembership(network_id=network_id, team_id=team_id, anonymous=anonymous)
    session.add(joined)
    session.flush()
    return joined


def membership(session: Session, network_id: int, team_id: int) -> NetworkMembership | None:
    return session.exec(
        select(NetworkMembership).where(NetworkMembership.network_id == network_id, NetworkMembership.team_id == team_id)
    ).first()


def networks_of_team(session: Session, team_id: int) -> list[tuple[NetworkMembership, Network]]:
    return list(
        session.exec(
            select(NetworkMembership, Network)
            .join(Network, Network.id == NetworkMembership.network_id)
            .where(NetworkMembership.team_id == team_id)
            .order_by(Network.name, Network.id)
        )
    )


SHARING = {"a": "anonymous", "s": "share_service_user_views", "e": "share_evidence"}


def toggle(session: Session, network_id: int, team_id: int, what: str) -> NetworkMembership:
    row = membership(session, network_id, team_id)
    if row is None:
        raise NetworkRefused("This team isn't in that network any more.")
    field = SHARING[what]
    setattr(row, field, not getattr(row, field))
    return row


def leave(session: Session, network_id: int, team_id: int) -> bool:
    """Take the team out of the network; its data stays with the team and leaves the overview at once."""
    row = membership(session, network_id, team_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# --- aliases -----------------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SINGLE_TRIES = 12


def _candidate(secret: bytes, network_id: int, team_id: int, attempt: int) -> str:
    digest = hmac.new(secret, f"{network_id}:{team_id}:{attempt}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    if attempt < _SINGLE_TRIES:
        return _LETTERS[number % 26]
    return _LETTERS[number % 26] + _LETTERS[(number // 26) % 26] + ("" if attempt < 400 else str(number % 1000))


def aliases(secret: bytes, network_id: int, anonymous_team_ids_in_join_order: list[int]) -> dict[int, str]:
    """'Team K' and so on: stable per network, and the letter says nothing about the order of joining.

    Each team's letter comes from a keyed hash of (network, team), so Team A is not the first to join.
    On a clash the team that joined earlier keeps its letter and the later one tries the next hash, so
    letters already shown never change when another team joins.
    """
    taken: dict[int, str] = {}
    used: set[str] = set()
    for team_id in anonymous_team_ids_in_join_order:
        attempt = 0
        while (letter := _candidate(secret, network_id, team_id, attempt)) in used:
            attempt += 1
        used.add(letter)
        taken[team_id] = f"Team {letter}"
    return taken


def labels_of(session: Session, network_id: int, secret: bytes) -> dict[int, str]:
    """team id -> how the network sees it (name or alias)."""
    rows = session.exec(
        select(NetworkMembership.team_id, NetworkMembership.anonymous, Team.name)
        .join(Team, Team.id == NetworkMembership.team_id)
        .where(NetworkMembership.network_id == network_id)
        .order_by(NetworkMembership.id)
    ).all()
    return _labels(network_id, secret, rows)


def _labels(network_id: int, secret: bytes, rows) -> dict[int, str]:
    hidden = aliases(secret, network_id, [team_id for team_id, anonymous, _ in rows if anonymous])
    return {team_id: hidden.get(team_id) or (name or "A team") for team_id, anonymous, name in rows}


# --- the overview ------------------------------------------------------------------------------


@dataclass
class _Team:
    id: int
    label: str
    share_service_users: bool
    share_evidence: bool


def network_overview(session: Session, network_id: int, secret: bytes = b"", today: date | None = None) -> NetworkOverview:
    """Everything the lead's overview shows, in seven queries whatever the number of teams.

    Team views come from each team's latest closed staff round that rated the element (and the one
    before, for distance travelled); individual views from the same rounds; check-ins on Responsiveness
    from the latest few; hindrances from the latest rounds; open actions that depend on others.
    """
    network = session.get(Network, network_id)
    if network is None:
        raise NetworkRefused("That network doesn't exist any more.")
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
        )
        .join(Team, Team.id == NetworkMembership.team_id)
        .where(NetworkMembership.network_id == network_id)
        .order_by(NetworkMembership.id)
    ).all()
    labels = _labels(network_id, secret, [(r[0], r[1], r[2]) for r in rows])
    teams: dict[int, _Team] = {}
    other_templates: list[str] = []
    with_own = 0
    for team_id, _anonymous, _name, variant, customisation, share_su, share_ev, permission in rows:
        if variant not in COMPARABLE:
            other_templates.append(labels[team_id])
            continue
        teams[team_id] = _Team(team_id, labels[team_id], bool(share_su and permission), bool(share_ev))
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
            if su:
                row.service_users.append(ServiceUserView(team.label, statistics.median(su), len(su)))
        elements.append(row)

    names = {e[0]: e[1] for e in _canonical()}
    return NetworkOverview(
        network_name=network.name,
        made_on=today or utcnow().date(),
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
    )


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
        select(ranked.c.team_id, ranked.c.checkin_id, ranked.c.opened_at, Rating.value)
        .join(Rating, Rating.checkin_id == ranked.c.checkin_id, isouter=True)
        .where(ranked.c.rank <= CHECKIN_POINTS)
    ).all()
    per_checkin: dict[int, tuple[int, date, list[int]]] = {}
    for team_id, checkin_id, opened_at, value in rows:
        entry = per_checkin.setdefault(checkin_id, (team_id, opened_at, []))
        if value is not None:
            entry[2].append(value)
    per_team: dict[int, list[tuple]] = defaultdict(list)
    for checkin_id, (team_id, opened_at, values) in per_checkin.items():
        per_team[team_id].append((opened_at, checkin_id, values))
    found = []
    for team in order:
        points = [
            CheckInMiddle(opened.date(), statistics.median(values) if values else None, len(values))
            for opened, _, values in sorted(per_team.get(team.id, []), key=lambda p: (p[0], p[1]))
        ]
        if points:
            found.append(TeamCheckIns(team.label, points))
    return found


def _hinders(session: Session, network_id: int, ids, teams: dict[int, _Team], names: dict[str, str]) -> list[Hindrance]:
    """What gets in the way, from each team's latest round of each element; private words only if shared."""
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
        if team is None or not (text or "").strip() or (private and not team.share_evidence):
            continue
        found.append(Hindrance(team.label, element_id, names[element_id], text.strip()))
    return _systems_first(found, lambda h: (h.element_id, h.team))


def _actions(session: Session, network_id: int, teams: dict[int, _Team], names: dict[str, str]) -> list[SharedAction]:
    rows = session.execute(
        select(Action.team_id, Action.element_id, Action.text, Action.due, Action.depends_on_others)
        .join(NetworkMembership, NetworkMembership.team_id == Action.team_id)
        .where(
            NetworkMembership.network_id == network_id,
            Action.status == "open",
            or_(Action.depends_on_others, Action.element_id.in_(SYSTEM_ELEMENTS)),
        )
        .order_by(Action.id)
    ).all()
    found = []
    for team_id, element_id, text, due, depends in rows:
        team = teams.get(team_id)
        if team is None:
            continue
        name = names.get(element_id or "", "one of the team's own elements" if element_id else "the whole service")
        found.append(SharedAction(team.label, element_id, name, text, due, bool(depends)))
    return _systems_first(found, lambda a: (a.element_id or "", a.team))


def _systems_first(items: list, key) -> list:
    """Pathways, then sector engagement, then the other elements in the framework's order; teams by label."""
    position: dict[str, int] = {}
    for element_id in SYSTEM_ELEMENTS + canonical_ids():
        position.setdefault(element_id, len(position))
    return sorted(items, key=lambda item: (position.get(key(item)[0], len(position)), key(item)[1].casefold()))
