"""Organisations and local networks: who leads one, the teams that accepted an invitation, what each team
shares with it, and the label the network knows each team by (its name, or an alias).

A lead sees only teams that accepted an invitation, under their name or, if they chose, an alias. An
invitation brings in one team: its nonce is spent when the team joins. The lead's overview itself is
read in piebot.storage.network_overview.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from conversations.texts import networks as texts
from piebot.storage import teams
from piebot.storage.models import Dialog, Network, NetworkMembership, Team, UsedToken

NAME_LIMIT = 64
# The key of an acceptance in progress in the admin's Dialog row; other features keep their own keys there.
DIALOG_KEY = "nw"


class NetworkRefused(Exception):
    """A kind, plain reason why this can't be done; shown to the person as it is."""


# --- networks and memberships ------------------------------------------------------------------


def create_network(session: Session, name: str, lead_user_id: int) -> Network:
    name = " ".join(name.split())
    if not 1 <= len(name) <= NAME_LIMIT:
        raise NetworkRefused(texts.name_limits(NAME_LIMIT))
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
        raise NetworkRefused(texts.NETWORK_GONE)
    if invite_spent(session, network_id, nonce):
        raise NetworkRefused(texts.INVITATION_SPENT)
    existing = membership(session, network_id, team_id)
    if existing is not None:
        raise NetworkRefused(texts.already_in_alert(network.name))
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


SHARING = {"a": "anonymous", "s": "share_service_user_views", "e": "share_evidence", "w": "share_written"}


def toggle(session: Session, network_id: int, team_id: int, what: str) -> NetworkMembership:
    row = membership(session, network_id, team_id)
    if row is None:
        raise NetworkRefused(texts.NOT_IN_NETWORK)
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
        taken[team_id] = texts.alias(letter)
    return taken


def labels_of(session: Session, network_id: int, secret: bytes) -> dict[int, str]:
    """team id -> how the network sees it (name or alias)."""
    rows = session.exec(
        select(NetworkMembership.team_id, NetworkMembership.anonymous, Team.name)
        .join(Team, Team.id == NetworkMembership.team_id)
        .where(NetworkMembership.network_id == network_id)
        .order_by(NetworkMembership.id)
    ).all()
    return labels_from_rows(network_id, secret, rows)


def labels_from_rows(network_id: int, secret: bytes, rows) -> dict[int, str]:
    """team id -> label, from (team id, anonymous, team name) rows in the order the teams joined."""
    hidden = aliases(secret, network_id, [team_id for team_id, anonymous, _ in rows if anonymous])
    return {team_id: hidden.get(team_id) or (name or texts.UNNAMED_TEAM) for team_id, anonymous, name in rows}


# --- what a team's admins do, one transaction each ----------------------------------------------


def _dialog(session: Session, chat_id: int, user_id: int) -> Dialog | None:
    return session.exec(select(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == user_id)).first()


@dataclass(frozen=True)
class Invited:
    """An invitation held for the admin who sent it, waiting for their choice of name or alias."""

    network_id: int
    network_name: str
    team_name: str


def hold_invitation(session: Session, chat_id: int, user_id: int, network_id: int, nonce: int) -> Invited | str:
    """Check a signed invitation for the chat's team and remember it for this admin only; or the reply
    (HTML) that says why not. The refusal is returned, not raised, so the update still counts as handled.
    """
    team = teams.team_for_chat(session, chat_id)
    if team is None or not team.set_up:
        return texts.NOT_SET_UP
    network = session.get(Network, network_id)
    if network is None:
        return texts.BAD_CODE
    if invite_spent(session, network.id, nonce):
        return texts.INVITATION_SPENT
    if membership(session, network.id, team.id) is not None:
        return texts.already_in(network.name)
    # The buttons carry no secret, so a press is checked against what is remembered here.
    dialog = _dialog(session, chat_id, user_id)
    if dialog is None:
        dialog = Dialog(chat_id=chat_id, telegram_user_id=user_id, state={})
        session.add(dialog)
    # Other features keep their own keys in the same row; only ours is touched.
    dialog.state = {**(dialog.state or {}), DIALOG_KEY: {"network": network.id, "nonce": nonce}}
    return Invited(network.id, network.name, team.name)


@dataclass(frozen=True)
class Sharing:
    """How a team appears in one network and what it shares there."""

    network_id: int
    network_name: str
    label: str
    anonymous: bool
    share_service_user_views: bool
    share_evidence: bool
    share_written: bool = False  # what the team wrote gets in the way, in its words: off until switched on


def _sharing(session: Session, network_id: int, team_id: int, row: NetworkMembership, secret: bytes) -> Sharing:
    network = session.get(Network, network_id)
    label = labels_of(session, network.id, secret)[team_id]
    return Sharing(network.id, network.name, label, row.anonymous, row.share_service_user_views, row.share_evidence,
                   row.share_written)


def join_network(session: Session, chat_id: int, user_id: int, network_id: int, anonymous: bool,
                 secret: bytes) -> Sharing | None:
    """The admin's choice on the invitation they hold: the team joins. None if they hold none for it."""
    dialog = _dialog(session, chat_id, user_id)
    state = dict((dialog.state or {}).get(DIALOG_KEY) or {}) if dialog else {}
    if state.get("network") != network_id or "nonce" not in state:
        return None
    team = teams.team_for_chat(session, chat_id)
    if team is None:
        return None
    joined = accept_invite(session, network_id=network_id, nonce=int(state["nonce"]), team_id=team.id,
                           anonymous=anonymous)
    dialog.state = {k: v for k, v in dialog.state.items() if k != DIALOG_KEY}
    session.flush()
    return _sharing(session, network_id, team.id, joined, secret)


def sharing_of_chat(session: Session, chat_id: int, secret: bytes) -> list[Sharing]:
    """Every network the chat's team is in, and what it shares with each."""
    team = teams.team_for_chat(session, chat_id)
    if team is None:
        return []
    return [_sharing(session, network.id, team.id, row, secret) for row, network in networks_of_team(session, team.id)]


def change_sharing(session: Session, chat_id: int, network_id: int, what: str, secret: bytes) -> Sharing:
    """Turn one sharing choice (a key of SHARING) of the chat's team over."""
    team = teams.team_for_chat(session, chat_id)
    if team is None:
        raise NetworkRefused(texts.NOT_IN_NETWORK)
    row = toggle(session, network_id, team.id, what)
    session.flush()
    return _sharing(session, network_id, team.id, row, secret)


def networks_of_chat(session: Session, chat_id: int) -> list[tuple[int, str]]:
    """(network id, name) of every network the chat's team is in."""
    team = teams.team_for_chat(session, chat_id)
    return [] if team is None else [(n.id, n.name) for _, n in networks_of_team(session, team.id)]


def leave_from_chat(session: Session, chat_id: int, network_id: int) -> str | None:
    """Take the chat's team out of the network; the network's name, or None if the team wasn't in it."""
    team = teams.team_for_chat(session, chat_id)
    network = session.get(Network, network_id)
    if team is None or network is None or not leave(session, network.id, team.id):
        return None
    return network.name
