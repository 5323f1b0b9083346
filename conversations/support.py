"""Where to turn after tapping "I'd like some support" in a check-in.

The team's own contacts come first (a manager, a supervisor, an employee assistance line, set with
/support). Then a listening line and the emergency numbers of the team's country, known from its time
zone; for a country not in the table, plain words that name no number, so nobody abroad is sent to a UK
line. Last, the person may choose to let the facilitator know, privately; only if they press it.

The numbers are free to call and open day and night, checked against each service's own pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conversations.checkin import Contact
from conversations.texts import support as texts


@dataclass(frozen=True)
class Line:
    name: str
    how: str  # the number, and how to use it ("call or text 988")


@dataclass(frozen=True)
class CountryLines:
    country: str  # ISO 3166 code, "" when not known
    listening: tuple[Line, ...]
    emergency: str | None  # "999 or 112"; None when not known


_SAMARITANS = Line(texts.SAMARITANS, texts.SAMARITANS_HOW)

COUNTRY_LINES: dict[str, CountryLines] = {
    "GB": CountryLines("GB", (_SAMARITANS,), "999 or 112"),
    "IE": CountryLines("IE", (_SAMARITANS,), "112 or 999"),
    "US": CountryLines("US", (Line(texts.LIFELINE_US, texts.CALL_OR_TEXT_988),), "911"),
    "CA": CountryLines("CA", (Line(texts.HELPLINE_CA, texts.CALL_OR_TEXT_988),), "911"),
    "AU": CountryLines("AU", (Line(texts.LIFELINE_AU, texts.LIFELINE_AU_HOW),), "000"),
    "NZ": CountryLines("NZ", (Line(texts.NEED_TO_TALK, texts.NEED_TO_TALK_HOW),), "111"),
    "DE": CountryLines("DE", (Line(texts.TELEFONSEELSORGE, texts.TELEFONSEELSORGE_HOW),), "112"),
}
NEUTRAL = CountryLines("", (), None)

# Time zones of the countries above. A zone shared by several countries is left out rather than guessed.
TIME_ZONES: dict[str, str] = {
    **dict.fromkeys(("Europe/London", "Europe/Belfast", "Europe/Guernsey", "Europe/Jersey", "Europe/Isle_of_Man",
                     "GB", "GB-Eire"), "GB"),
    **dict.fromkeys(("Europe/Dublin", "Eire"), "IE"),
    **dict.fromkeys(("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
                     "America/Phoenix", "America/Anchorage", "America/Juneau", "America/Sitka", "America/Nome",
                     "America/Yakutat", "America/Metlakatla", "America/Adak", "America/Boise", "America/Detroit",
                     "America/Menominee", "Pacific/Honolulu"), "US"),
    **dict.fromkeys(("America/Toronto", "America/Montreal", "America/Vancouver", "America/Edmonton",
                     "America/Winnipeg", "America/Regina", "America/Swift_Current", "America/Halifax",
                     "America/Glace_Bay", "America/Moncton", "America/Goose_Bay", "America/St_Johns",
                     "America/Whitehorse", "America/Dawson", "America/Dawson_Creek", "America/Fort_Nelson",
                     "America/Creston", "America/Iqaluit", "America/Rankin_Inlet", "America/Resolute",
                     "America/Cambridge_Bay", "America/Inuvik", "America/Yellowknife", "America/Atikokan",
                     "America/Thunder_Bay", "America/Nipigon", "America/Rainy_River"), "CA"),
    **dict.fromkeys(("Pacific/Auckland", "Pacific/Chatham", "NZ", "NZ-CHAT"), "NZ"),
    **dict.fromkeys(("Europe/Berlin", "Europe/Busingen"), "DE"),
}
# Whole families of zones that belong to one country.
ZONE_PREFIXES = (("US/", "US"), ("America/Indiana/", "US"), ("America/Kentucky/", "US"),
                 ("America/North_Dakota/", "US"), ("Canada/", "CA"), ("Australia/", "AU"))


def country_of(timezone: str) -> str | None:
    if timezone in TIME_ZONES:
        return TIME_ZONES[timezone]
    for prefix, country in ZONE_PREFIXES:
        if timezone.startswith(prefix):
            return country
    return None


def lines_for(timezone: str) -> CountryLines:
    """The listening line and emergency numbers for a team in this time zone; neutral when unknown."""
    return COUNTRY_LINES.get(country_of(timezone) or "", NEUTRAL)


def support_reply(contacts: Sequence[Contact], lines: CountryLines, facilitators: Sequence[str]) -> str:
    """Sent privately to whoever tapped the support button. The work is heavy; asking is right.

    `facilitators` are the names of those who could be told (never the person asking); none, no offer.
    """
    parts = [texts.THANK_YOU]
    if contacts:
        parts.append(texts.team_contacts([(c.name, c.how) for c in contacts]))
    else:
        parts.append(texts.NO_TEAM_CONTACTS)
    parts.append(texts.listening([(line.name, line.how) for line in lines.listening]))
    parts.append(texts.emergency(lines.emergency))
    parts.append(texts.tell_facilitator_offer(list(facilitators)))
    return "\n\n".join(parts)
