"""Peer review, the last Pizazz stage: the facilitator gets a one-time code, a trusted colleague from
another team redeems it in a private chat, reads the round without anyone's name, and replies with
comments that the team then sees in its group.

Only a keyed hash of the code is stored, and a code works once: whoever holds the database cannot
turn a row back into a working code, and a forwarded code is useless after its first use.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update as sql_update
from sqlmodel import Session, select
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes

from conversations import welcome
from conversations.actions import Action as ActionLine
from conversations.pizazz import Scope, ScopeKind
from conversations.texts import peer_review as texts
from conversations.texts import refusals
from conversations.texts.walk import round_title
from framework import shared_framework
from piebot import clock
from piebot.storage import rounds, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import PeerReview, Prompt, Round, Team
from piebot.telegram import links, replies
from piebot.telegram.guards import chat_admin_ids, in_group, is_admin
from piebot.telegram.people import onboarding
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

LINK = "p"  # deep link: the facilitator fetches a code in private
PURPOSE = "peer_review"
CODE_DAYS = 14
# No 0/O, 1/I/L: the code is read off one screen and typed on another.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MESSAGE_LIMIT = 4000
KIND_WORDS = {"photo": "a photo", "voice": "a voice note", "document": "a document"}


def new_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))


def code_hash(secret: bytes, code: str) -> str:
    normalised = re.sub(r"[^A-Z0-9]", "", code.upper())
    return hmac.new(secret, b"peer-review:" + normalised.encode(), hashlib.sha256).hexdigest()


def _aware(moment):
    from datetime import timezone

    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def _last_closed_round(session: Session, team_id: int) -> Round | None:
    return session.exec(
        select(Round)
        .where(Round.team_id == team_id, Round.status == "closed", Round.audience == "staff")
        .order_by(Round.closed_at.desc(), Round.id.desc())
    ).first()


# --- the facilitator asks for a code ------------------------------------------------------------


async def _may_facilitate(update: Update, context, team_id: int) -> bool:
    if await is_admin(update, context):
        return True
    user = update.effective_user
    if user is None:
        return False
    member = await runtime_of(context).read(lambda s: teams.member_of(s, team_id, user.id))
    return member is not None and member.active and member.facilitator


async def peerreview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(welcome.GROUP_ONLY)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id

    def read(session):
        team = teams.team_for_chat(session, chat_id)
        if team is None or not team.set_up:
            return None, None, None
        user = update.effective_user
        member = teams.member_of(session, team.id, user.id) if user else None
        return team, _last_closed_round(session, team.id), member

    team, round_, member = await rt.read(read)
    if team is None:
        await message.reply_html(welcome.NOT_SET_UP)
        return
    if not await _may_facilitate(update, context, team.id):
        await message.reply_html(refusals.FACILITATOR_ONLY)
        return
    if message.sender_chat is not None:
        await message.reply_html(texts.WRITE_AS_YOURSELF)
        return
    if round_ is None:
        await message.reply_html(texts.NO_CLOSED_ROUND)
        return
    user = update.effective_user
    if member is not None and member.active and member.private_chat:
        try:
            await issue_code(context.application, user.id, team.id)
            await message.reply_html(texts.CODE_SENT_PRIVATELY)
            return
        except Forbidden:
            pass  # they closed the private chat since; the link below opens it again
    payload = links.sign(rt.settings.secret_bytes(), LINK, team.id, user.id)
    url = f"https://t.me/{context.bot.username}?start={payload}"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(texts.GET_CODE_BUTTON, url=url)]])
    await message.reply_html(texts.GET_CODE_PRIVATELY, reply_markup=keyboard)


async def issue_code(app: Application, user_id: int, team_id: int) -> bool:
    """Make a code for the team's last closed round and send it to `user_id` in private.
    The row is written first: a code that was shown must work."""
    rt = app.bot_data["runtime"]
    code = new_code()
    now = clock.now()

    def work(session):
        team = session.get(Team, team_id)
        round_ = _last_closed_round(session, team_id)
        if round_ is None:
            return None
        session.add(PeerReview(round_id=round_.id, code_hash=code_hash(rt.settings.secret_bytes(), code), created_at=now))
        return (now + timedelta(days=CODE_DAYS)).astimezone(ZoneInfo(team.timezone)).date()

    expires_on = await rt.apply(None, work)
    if expires_on is None:
        await app.bot.send_message(user_id, texts.NO_CLOSED_ROUND)
        return False
    await app.bot.send_message(user_id, texts.code_for_facilitator(code, expires_on))
    return True


async def _from_link(update: Update, context: ContextTypes.DEFAULT_TYPE, grant: links.Grant) -> None:
    """The signed link proves who asked; their right to a code is checked again now."""
    rt = runtime_of(context)
    user = update.effective_user

    def read(session):
        team = session.get(Team, grant.ref)
        member = teams.member_of(session, team.id, user.id) if team else None
        if member is not None:
            member.private_chat = True
        return team, member

    team, member = await rt.apply(update, read)
    if team is None:
        await update.effective_message.reply_html(welcome.BAD_LINK)
        return
    allowed = member is not None and member.active and member.facilitator
    if not allowed:
        try:
            allowed = user.id in await chat_admin_ids(context, team.chat_id)
        except TelegramError:
            allowed = False
    if not allowed:
        log.warning("peer review link refused: no longer facilitator or admin")
        await update.effective_message.reply_html(refusals.FACILITATOR_ONLY)
        return
    await issue_code(context.application, user.id, team.id)


# --- the reviewer redeems it ------------------------------------------------------------------------


def _views_shared(round_: Round, row) -> bool:
    # In a live round an element skipped before the reveal never had its views shown to the team
    # itself; a reviewer must not see more than the team did.
    return round_.mode != "live" or row.team_view is not None or row.stage is not None


def _pack(session: Session, round_: Round, team: Team) -> tuple[str, object]:
    framework = shared_framework(round_.framework_variant, team.customisation or None)
    elements = []
    for row in rounds.elements_of(session, round_.id):
        values = [v for _, v in rounds.ratings_of(session, round_.id, row.element_id)] if _views_shared(round_, row) else []
        answers = [
            texts.Answer(e.text or f"({KIND_WORDS.get(e.kind, 'a file')})", e.private)
            for e in rounds.evidence_of(session, round_.id, row.element_id)
            if e.stage != "review"
        ]
        elements.append(texts.ReviewElement(row.element_id, row.team_view, tuple(values), tuple(answers)))
    actions = [
        ActionLine(what=a.text, due=a.due, check=a.success_measure, element_id=a.element_id)
        for a in rounds.actions_of_round(session, round_.id)
    ]
    try:
        kind = ScopeKind(round_.scope)
    except ValueError:
        kind = ScopeKind.ALL
    pack = texts.ReviewPack(
        team_name=team.name,
        round_title=round_title(framework, Scope(kind, round_.scope_ref)),
        elements=elements,
        actions=actions,
        share_private_evidence=team.share_private_evidence_with_peer,
    )
    return texts.reviewer_view(framework, pack)


def _redeem(session: Session, hashed: str, user_id: int, now):
    review = session.exec(select(PeerReview).where(PeerReview.code_hash == hashed)).first()
    if review is None or review.redeemed_at is not None:
        return "invalid"
    if _aware(review.created_at) + timedelta(days=CODE_DAYS) < now:
        return "invalid"
    round_ = session.get(Round, review.round_id)
    team = session.get(Team, round_.team_id)
    member = teams.member_of(session, team.id, user_id)
    if member is not None and member.active:
        return "own_team"
    # Conditional, so two people racing with the same code can't both get in.
    taken = session.execute(
        sql_update(PeerReview)
        .where(PeerReview.id == review.id, PeerReview.redeemed_at.is_(None))
        .values(redeemed_at=now, reviewer_user_id=user_id)
    )
    if taken.rowcount != 1:
        return "invalid"
    return team.id, round_.id, _pack(session, round_, team)


def _chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    parts, current = [], ""
    for line in text.split("\n"):
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return parts


async def review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if chat.type != ChatType.PRIVATE:
        await message.reply_html(texts.HOW_TO_REDEEM)
        return
    if not context.args:
        await message.reply_html(texts.HOW_TO_REDEEM)
        return
    rt = runtime_of(context)
    hashed = code_hash(rt.settings.secret_bytes(), "".join(context.args))
    user_id = update.effective_user.id
    try:
        outcome = await rt.apply(update, lambda s: _redeem(s, hashed, user_id, clock.now()))
    except AlreadyDone:
        return
    if outcome == "invalid":
        log.warning("peer review code refused")
        await message.reply_html(texts.code_not_valid())
        return
    if outcome == "own_team":
        await message.reply_html(texts.NOT_FOR_OWN_TEAM)
        return
    team_id, round_id, view = outcome
    parts = _chunks(view)
    for part in parts[:-1]:
        await context.bot.send_message(chat.id, part)
    prompt = await context.bot.send_message(
        chat.id, parts[-1], reply_markup=ForceReply(input_field_placeholder="Your comments")
    )

    def keep(session):
        session.add(
            Prompt(chat_id=chat.id, message_id=prompt.message_id, team_id=team_id, purpose=PURPOSE, round_id=round_id)
        )

    await rt.apply(None, keep)


# --- the reviewer's comments go to the team ---------------------------------------------------------


async def on_comment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if chat is None or chat.type != ChatType.PRIVATE or message.reply_to_message is None or user is None:
        return False
    rt = runtime_of(context)
    replied = message.reply_to_message.message_id
    prompt = await rt.read(
        lambda s: s.exec(
            select(Prompt).where(Prompt.chat_id == chat.id, Prompt.message_id == replied, Prompt.purpose == PURPOSE)
        ).first()
    )
    if prompt is None:
        return False
    kind = "text" if message.text is not None else "other"
    problem = refusals.answer_problem(message.text, kind)
    if problem:
        await message.reply_html(problem)
        return True
    text = message.text.strip()

    def work(session):
        review_ = session.exec(
            select(PeerReview)
            .where(PeerReview.round_id == prompt.round_id, PeerReview.reviewer_user_id == user.id)
            .order_by(PeerReview.id.desc())
        ).first()
        if review_ is None:
            return None
        review_.comments = f"{review_.comments}\n\n{text}" if review_.comments else text
        return session.get(Team, prompt.team_id).chat_id

    try:
        group_id = await rt.apply(update, work)
    except AlreadyDone:
        return True
    if group_id is None:
        await message.reply_html(texts.code_not_valid())
        return True
    await context.bot.send_message(group_id, texts.comments_for_team(user.first_name, [text]))
    await message.reply_html(texts.comments_sent())
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("peerreview", peerreview))
    app.add_handler(CommandHandler("review", review))
    onboarding.DEEP_LINKS[LINK] = _from_link
    replies.add_consumer(app, on_comment)
