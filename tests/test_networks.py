"""Networks end to end: a lead invites teams, they accept (by name or anonymously), the lead sees the
overview with the right figures, and nothing reaches anyone it shouldn't."""

from __future__ import annotations

import re
import zlib
from datetime import timedelta

from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage import networks, rounds
from piebot.storage.db import session_scope
from piebot.storage.models import CheckIn, Member, NetworkMembership, Rating, Round, Team, utcnow
from piebot.telegram import callbacks, links
from tests.test_charts_bot import album_of

NETWORK = "Riverside Homeless Network"


# ---- helpers ------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """Text of an fpdf2 PDF: streams inflated, then decoded through each font's ToUnicode map."""
    def inflate(m: re.Match) -> bytes:
        try:
            return b"stream\n" + zlib.decompress(m.group(1)) + b"\nendstream"
        except zlib.error:
            return m.group(0)

    data = re.sub(rb"stream\r?\n(.*?)\r?\nendstream", inflate, data, flags=re.DOTALL)
    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.DOTALL)}

    def cmap(font_obj: int) -> dict[int, str]:
        ref = re.search(rb"/ToUnicode (\d+) 0 R", objects[font_obj])
        pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]+)>", objects[int(ref.group(1))])
        return {int(c, 16): bytes.fromhex(u.decode()).decode("utf-16-be") for c, u in pairs}

    fonts = {name: cmap(int(ref)) for name, ref in set(re.findall(rb"/(F\d+) (\d+) 0 R", data))}
    out, current = [], {}
    token = re.compile(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", re.DOTALL)
    for m in token.finditer(data):
        if m.group(1):
            current = fonts[m.group(1)]
            continue
        raw = re.sub(rb"\\([nrtbf()\\])", lambda e: {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b",
                                                      b"f": b"\f"}.get(e.group(1), e.group(1)), m.group(2))
        out.append("".join(current.get(int.from_bytes(raw[i:i + 2], "big"), "?") for i in range(0, len(raw), 2)))
    return " ".join(out)


def code_in(message) -> str:
    return re.search(r"/acceptnetwork (\S+)", message.text).group(1)


async def new_network(api, lead, name: str = NETWORK):
    await api.start_private(lead)
    await api.wait_for(lambda: api.chat_log(lead))
    before = len(api.chat_log(lead))
    await api.send(lead, lead, f"/network new {name}")
    await api.wait_for(lambda: len(api.chat_log(lead)) >= before + 2)
    card = api.chat_log(lead)[before + 1]
    assert "Invitation to" in card.text
    return card


async def fresh_code(api, lead, card) -> str:
    before = len(api.chat_log(lead))
    await press(api, lead, card, "Invite a team")
    await api.wait_for(lambda: len(api.chat_log(lead)) > before)
    return code_in(api.chat_log(lead)[before])


async def accept(api, team, code: str, how: str = "Show our name"):
    question = await say(api, team.admin, team.group, f"/acceptnetwork {code}")
    assert "How should your team appear" in question.text, question.text
    # Before joining, the admin is told what the lead will see, and that written answers are off to start with.
    assert "Only if you switch it on" in question.text and "what gets in the way" in question.text
    answer = await press(api, team.admin, question, how)
    await api.wait_for(lambda: "You're in" in api.chat_log(team.group)[-2].text if len(api.chat_log(team.group)) > 1
                       else False)
    return answer


def team_row(db, chat_id: int) -> tuple[int, list[int]]:
    with db.session() as s:
        team = s.exec(select(Team).where(Team.chat_id == chat_id)).one()
        members = s.exec(select(Member).where(Member.team_id == team.id).order_by(Member.id)).all()
        return team.id, [m.id for m in members]


def add_checkins(db, group_id: int) -> None:
    """Three weekly check-ins on responsiveness, three answers each, rising over the weeks."""
    team_id, _ = team_row(db, group_id)
    with db.session() as s:
        start = utcnow() - timedelta(days=21)
        for week, values in enumerate(([6, 7, 9], [8, 9, 9], [10, 11, 12])):
            opened = start + timedelta(days=7 * week)
            checkin = CheckIn(team_id=team_id, opened_at=opened, closes_at=opened + timedelta(days=1))
            s.add(checkin)
            s.flush()
            for value in values:
                s.add(Rating(team_id=team_id, checkin_id=checkin.id, element_id="responsiveness", value=value))
        s.commit()


def run_round(db, chat_id: int, views: dict[str, tuple[int, list[int]]], *, hinders: dict[str, str] | None = None,
              private: bool = False, actions: list[tuple[str, str, bool]] = (), audience: str = "staff") -> None:
    """A closed round through storage: per element (team view, individual views), hindrances and actions."""
    team_id, member_ids = team_row(db, chat_id)
    with db.session() as s:
        members = [s.get(Member, i) for i in member_ids]
        round_ = rounds.open_round(s, team_id=team_id, element_ids=list(views), scope="all", scope_ref=None,
                                   mode="async", anonymous=False, framework_variant="pies2", opened_by=None,
                                   audience=audience)
        for element_id, (view, individual) in views.items():
            for member, value in zip(members, individual, strict=False):
                rounds.record_rating(s, round_, member, element_id, value)
            rounds.set_team_view(s, round_, element_id, view)
        for element_id, text in (hinders or {}).items():
            rounds.add_evidence(s, round_, members[0], element_id, "hindering", text=text, private=private)
        for element_id, text, depends in actions:
            rounds.add_action(s, team_id=team_id, round_id=round_.id, element_id=element_id, text=text,
                              depends_on_others=depends)
        rounds.close_round(s, round_)
        s.commit()


async def overview(api, lead, card):
    before = len(api.chat_log(lead))
    await press(api, lead, card, "Overview")
    await api.wait_for(lambda: any(m.kind == "document" for m in api.chat_log(lead)[before:]), timeout=30)
    return api.chat_log(lead)[before:]


def sends(messages) -> int:
    """How many sends the messages came in: an album is one."""
    albums = {album_of(m) for m in messages if album_of(m) is not None}
    return len(albums) + sum(1 for m in messages if album_of(m) is None)


def everything(messages) -> str:
    return "\n".join(m.text for m in messages)


async def share_written_answers(api, team) -> None:
    """The team's admin switches on sharing what the team wrote, on the card shown after joining."""
    shown = "What your team wrote gets in the way, in its own words: "
    card = [m for m in api.chat_log(team.group) if shown + "not shared" in m.text][-1]
    await press(api, team.admin, card, "Share what we wrote")
    await api.wait_for(lambda: any(shown + "shared" in m.text for m in api.chat_log(team.group)))


# ---- the tests ---------------------------------------------------------------------------------------


async def three_teams(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    ash = await add_bot_and_set_up(api, title="Ash House", members=3)
    birch = await add_bot_and_set_up(api, title="Birch Court", members=3)
    cedar = await add_bot_and_set_up(api, title="Cedar Lodge", members=3)
    await accept(api, ash, code_in(card))
    await accept(api, birch, await fresh_code(api, lead, card))
    await accept(api, cedar, await fresh_code(api, lead, card), "Stay anonymous")
    return lead, card, (ash, birch, cedar)


async def test_three_teams_two_rounds_each_give_the_right_overview(api, harness):
    lead, card, (ash, birch, cedar) = await three_teams(api, harness)
    db = harness.db
    # Round one, then round two: pathways moves +2 / held / −1; empathy is new in round two for Birch.
    run_round(db, ash.group.id, {"pathways": (6, [5, 6, 8]), "responsiveness": (9, [9, 9, 10])})
    run_round(db, ash.group.id, {"pathways": (8, [7, 8, 12])}, hinders={"pathways": "No move-on flats in town"},
              actions=[("pathways", "Meet the council housing team", False)])
    run_round(db, birch.group.id, {"pathways": (11, [10, 11, 12])})
    run_round(db, birch.group.id, {"pathways": (11, [11, 11, 13]), "empathy": (12, [12, 13, 14])},
              hinders={"pathways": "Referrals bounce between services"})
    run_round(db, cedar.group.id, {"pathways": (10, [9, 10])})
    run_round(db, cedar.group.id, {"pathways": (9, [9, 9, 10])},
              hinders={"pathways": "Staff never hear back about referrals"},
              actions=[("support", "Ask the mental health team for joint supervision", True)])
    with db.session() as s:
        cedar_label = networks.labels_of(s, 1, harness.bot.settings.secret_bytes())[team_row(db, cedar.group.id)[0]]
    assert re.fullmatch(r"Team [A-Z]", cedar_label)

    # Teams under an alias show in threes: with Cedar alone it would wait (and the lead is told so).
    held = await overview(api, lead, card)
    assert "overview of 2 teams" in held[0].text and "1 more joined under an alias" in held[0].text
    assert cedar_label not in everything(held)
    # What teams wrote gets in the way stays with them until their admin switches sharing it on.
    assert "No move-on flats" not in everything(held) and "Referrals bounce" not in everything(held)
    for team in (ash, birch, cedar):
        await share_written_answers(api, team)
    with session_scope(db) as s:
        for name in ("Dale Yard", "Elm Row"):
            other = Team(chat_id=-hash(name) % 10**9 - 10**9, name=name, set_up=True)
            s.add(other)
            s.flush()
            s.add(NetworkMembership(network_id=1, team_id=other.id, anonymous=True))
    sent = await overview(api, lead, card)
    text = everything(sent)
    with db.session() as s:  # the rounds the overview drew on (each team's latest) have left their teams
        left = [r for r in s.exec(select(Round).order_by(Round.id)) if r.left_team_at is not None]
        assert len({r.team_id for r in left}) == 3
    assert f"{NETWORK}</b> — overview of 5 teams" in sent[0].html or "overview of 5 teams" in sent[0].text
    assert "3 chose to appear under an alias" in sent[0].text and "Dale" not in text and "Elm Row" not in text
    # One album of pictures, the intro on the first; the gaps ride on the PDF: 2 sends, where it was 6 (the
    # intro, each picture, the gaps and the PDF one by one); 4 messages, where it was 6.
    assert sends(sent) == 2 and len(sent) == 4
    photos = [m for m in sent if m.kind == "photo"]
    assert sent[:3] == photos and len({album_of(m) for m in photos}) == 1 and album_of(photos[0]) is not None
    assert photos[0].text.startswith("📊 Riverside Homeless Network — overview of 5 teams")
    # The pictures carry a line or two each; every team's figures, in words, are in the PDF.
    captions = [photos[0].text.rsplit("\n\n", 1)[1]] + [m.text for m in photos[1:]]
    assert len(photos) == 3 and all(len(c.splitlines()) <= 2 for c in captions)  # no check-ins: no 4th
    assert next(c for c in captions if c.startswith("Our teams side by side"))
    assert next(c for c in captions if c.startswith("Distance travelled"))
    assert next(c for c in captions if c.startswith("Each person's own view"))
    document = next(m for m in sent if m.kind == "document")
    pdf = " ".join(pdf_text(document.file).split())
    # Listed by name, not by score; each team's latest view; where they lie and their middle, in words.
    places = {"Ash House": "Getting there — halfway (a little further along)",
              "Birch Court": "Well on the way — at the start (held steady)",
              cedar_label: "Getting there — well along (a little further back)"}
    each = "; ".join(f"{label}: {places[label]}" for label in sorted(places, key=str.casefold))
    assert f"Team views: {each}." in pdf
    assert ("Team views from Getting there — halfway to Well on the way — at the start, middle Getting there — "
            "well along.") in pdf
    assert "Team views: Birch Court: Well on the way — early on (first view)." in pdf
    assert "Ash House: 1 element rated again — 1 moved up, 0 held steady, 0 moved down." in pdf
    assert "Birch Court: 1 element rated again — 0 moved up, 1 held steady, 0 moved down." in pdf
    assert f"{cedar_label}: 1 element rated again — 0 moved up, 0 held steady, 1 moved down." in pdf
    # Pooled individual views of the latest rounds: Ash 7 8 12, Birch 11 11 13, Cedar 9 9 10.
    assert ("Individual views: 9 people from Getting there — early on to Well on the way — halfway, middle Getting "
            "there — near the top.") in pdf
    gaps = next(m for m in sent if "Gaps and barriers" in m.text)
    assert "No move-on flats in town" in gaps.text and "Referrals bounce between services" in gaps.text
    assert "Meet the council housing team" in gaps.text
    assert "joint supervision" in gaps.text  # depends on others, under another element
    # Pathways comes first among the gaps.
    assert gaps.text.index("Referrals bounce") < gaps.text.index("joint supervision")
    assert gaps.text.index("council housing") < gaps.text.index("joint supervision")

    # The anonymous team's name appears nowhere the lead can see, nor in the PDF.
    assert "Cedar" not in text and "Cedar Lodge" not in pdf
    assert "Staff never hear back about referrals" in text  # what they said is shared, under the alias only
    assert f"{cedar_label} · " in gaps.text
    assert "PIE network overview" in pdf and NETWORK in pdf
    assert "Team views: 3 teams, from Getting there — halfway to Well on the way — at the start" in pdf
    for number in ("8 to 11", "(was 6)", "places"):
        assert number not in pdf
    assert "No member's name appears in this report." in pdf
    for name in ("Bea", "Cal", "Dee"):
        assert name not in pdf


async def test_an_intro_or_gaps_too_long_for_a_caption_come_on_their_own(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    ash = await add_bot_and_set_up(api, title="Ash House", members=3)
    birch = await add_bot_and_set_up(api, title="Birch Court", members=3)
    await accept(api, ash, code_in(card))
    await accept(api, birch, await fresh_code(api, lead, card))
    long_story = "Referrals bounce between services & nobody <owns> them. " * 20
    for team in (ash, birch):
        await share_written_answers(api, team)
        run_round(harness.db, team.group.id, {"pathways": (6, [5, 6, 8])})
        run_round(harness.db, team.group.id, {"pathways": (8, [7, 8, 12])}, hinders={"pathways": long_story})
    with session_scope(harness.db) as s:
        for n in range(14):
            other = Team(chat_id=-(10**9 + n), name=f"Supported Housing Scheme number {n} of the Riverside Trust",
                         set_up=True)
            s.add(other)
            s.flush()
            s.add(NetworkMembership(network_id=1, team_id=other.id, anonymous=False))
    sent = await overview(api, lead, card)
    # The intro and the gaps are each over a caption's 1024 characters: a message each, around the album.
    assert [m.kind for m in sent] == ["text", "photo", "photo", "photo", "text", "document"] and sends(sent) == 4
    assert sent[0].text.startswith("📊 Riverside Homeless Network — overview of 16 teams") and len(sent[0].text) > 1024
    assert len({album_of(m) for m in sent[1:4]}) == 1 and album_of(sent[1]) is not None
    assert sent[1].text.startswith("Our teams side by side")
    assert "nobody <owns> them" in sent[4].text and sent[4].text.startswith("Gaps and barriers")
    assert sent[5].text == f"The overview of {NETWORK} as a PDF."


async def test_a_team_that_leaves_disappears_from_the_overview(api, harness):
    lead, card, (ash, birch, cedar) = await three_teams(api, harness)
    for team in (ash, birch, cedar):
        run_round(harness.db, team.group.id, {"pathways": (8, [7, 8, 9])})
    choice = await say(api, birch.admin, birch.group, "/leavenetwork")
    assert "Which network" in choice.text
    await press(api, birch.admin, choice, "Leave")
    await api.wait_for(lambda: "has left" in api.last(birch.group).text)
    with harness.db.session() as s:
        assert len(s.exec(select(NetworkMembership)).all()) == 2
    sent = await overview(api, lead, card)
    # Ash by name; Cedar, alone under an alias, waits for two more.
    assert "overview of 1 team" in sent[0].text and "1 more joined under an alias" in sent[0].text
    assert "Birch" not in everything(sent)
    assert "Birch" not in pdf_text(next(m for m in sent if m.kind == "document").file)


async def test_another_lead_sees_nothing_and_cannot_use_the_code(api, harness):
    lead, card, (ash, birch, cedar) = await three_teams(api, harness)
    other = api.create_user("Oz")
    other_card = await new_network(api, other, "Hillside Network")
    # Oz pressing Riverside's overview (a tampering client) is refused and sent nothing.
    riverside = callbacks.decode(card.button("Overview")).ref
    before = len(api.chat_log(other))
    query = await api.press(other, other_card, callbacks.encode("nw", riverside, "ov"), forged=True)
    await api.wait_for(lambda: api.answer_to(query) is not None)
    assert "isn't yours" in api.answer_to(query)["text"]
    await api.wait_idle()
    assert len(api.chat_log(other)) == before
    # /network lists only Oz's own network.
    listing = await say(api, other, other, "/network")
    assert "Hillside Network" in listing.text and "Riverside" not in listing.text
    # A Riverside code is no use to Oz: not in a private chat, and a used one not at all.
    code = await fresh_code(api, lead, card)
    assert "group chat" in (await say(api, other, other, f"/acceptnetwork {code}")).text
    hillside_team = await add_bot_and_set_up(api, title="Hillside Hostel", members=1)
    used = code_in(card)  # Ash accepted with this one already
    assert "used already" in (await say(api, hillside_team.admin, hillside_team.group, f"/acceptnetwork {used}")).text
    # Pointing a Riverside code at Hillside breaks its signature.
    grant = links.verify(harness.bot.settings.secret_bytes(), code)
    hillside = callbacks.decode(other_card.button("Overview")).ref
    tampered = code.replace(f"n{grant.ref}-", f"n{hillside}-", 1)
    assert "doesn't look right" in (await say(api, hillside_team.admin, hillside_team.group,
                                              f"/acceptnetwork {tampered}")).text
    # A non-admin can't accept; Oz's overview shows no Riverside team.
    worker = hillside_team.members[0]
    assert "Only a group admin" in (await say(api, worker, hillside_team.group, f"/acceptnetwork {code}")).text
    sent = await overview(api, other, other_card)
    assert "overview of 0 teams" in sent[0].text
    for name in ("Ash", "Birch", "Team "):
        assert name not in everything(sent)


async def test_written_in_elements_and_other_templates_are_left_out(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    ash = await add_bot_and_set_up(api, title="Ash House", members=3, relationships=True)
    birch = await add_bot_and_set_up(api, title="Birch Court", members=3)
    await accept(api, ash, code_in(card))
    await accept(api, birch, await fresh_code(api, lead, card))
    run_round(harness.db, ash.group.id, {"pathways": (8, [7, 8, 9]), "relationships-with-staff": (15, [14, 15, 16])})
    run_round(harness.db, birch.group.id, {"pathways": (10, [9, 10, 11])})
    with harness.db.session() as s:
        team = s.exec(select(Team).where(Team.chat_id == birch.group.id)).one()
        team.framework_variant = "coffee-break"
        s.add(team)
        s.commit()
    sent = await overview(api, lead, card)
    text = everything(sent)
    assert "Left out of comparisons, being on another template: Birch Court." in sent[0].text
    assert "wrote in themselves" in sent[0].text
    pdf = " ".join(pdf_text(next(m for m in sent if m.kind == "document").file).split())
    assert "Team views: Ash House: Getting there — halfway (first view)." in pdf
    assert "Relationships" not in text.replace("Roles and relationships", "")
    assert "Relationships with staff" not in pdf


async def test_checkin_trends_and_private_evidence_only_when_shared(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    ash = await add_bot_and_set_up(api, title="Ash House", members=3)
    await accept(api, ash, code_in(card))
    run_round(harness.db, ash.group.id, {"pathways": (8, [7, 8, 9])}, hinders={"pathways": "Said in private"},
              private=True)
    add_checkins(harness.db, ash.group.id)
    sent = await overview(api, lead, card)
    assert next(m for m in sent if m.kind == "photo" and m.text.startswith("Responsiveness check-ins"))
    pdf = " ".join(pdf_text(next(m for m in sent if m.kind == "document").file).split())
    assert ("Ash House: latest middle Well on the way — at the start" in pdf and "up a level since" in pdf
            and "over 3 check-ins" in pdf)
    assert "Said in private" not in everything(sent)
    # The admin was shown, when joining, that written answers are not shared until they switch it on.
    assert any("What your team wrote gets in the way, in its own words: not shared" in m.text
               for m in api.chat_log(ash.group))
    # The team chooses to share what was said privately.
    await share_written_answers(api, ash)
    cards = [m for m in api.chat_log(ash.group) if "Answers given privately: not shared" in m.text]
    await press(api, ash.admin, cards[-1], "Share private answers")
    await api.wait_for(lambda: "Answers given privately: shared" in api.chat_log(ash.group)[-1].text
                       or any("Answers given privately: shared" in m.text for m in api.chat_log(ash.group)))
    sent = await overview(api, lead, card)
    assert "Said in private" in everything(sent)


async def test_only_admins_choose_and_a_question_is_answered_once(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    ash = await add_bot_and_set_up(api, title="Ash House", members=2)
    worker = ash.members[0]
    question = await say(api, ash.admin, ash.group, f"/acceptnetwork {code_in(card)}")
    assert "Only a group admin" in (await press(api, worker, question, "Stay anonymous"))["text"]
    with harness.db.session() as s:
        assert s.exec(select(NetworkMembership)).all() == []
    await press(api, ash.admin, question, "Show our name")
    await api.wait_for(lambda: any("Service users' views: not shared" in m.text for m in api.chat_log(ash.group)))
    # Pressing again (a second admin's client, a retry) can't add the team twice or spend a new code.
    network_id = callbacks.decode(card.button("Overview")).ref
    answer = await api.press(ash.admin, question, callbacks.encode("nwa", network_id, "anon"), forged=True)
    await api.wait_for(lambda: api.answer_to(answer) is not None)
    assert api.answer_to(answer)["show_alert"]
    sharing = next(m for m in api.chat_log(ash.group) if "Service users' views: not shared" in m.text)
    assert "Only a group admin" in (await press(api, worker, sharing, "Hide our name"))["text"]
    with harness.db.session() as s:
        [row] = s.exec(select(NetworkMembership)).all()
        assert not row.anonymous and not row.share_service_user_views and not row.share_evidence
