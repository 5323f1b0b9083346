"""What /customise says: its cards and buttons, the questions a written-in element starts with, and the
kind refusals when a name or a line can't be used. Names are the team's own words, so they are escaped here."""

from __future__ import annotations

from html import escape

GROUP_ONLY = "Customising belongs to a team: use /customise in your team's group."
NOT_ADMIN = "Only a group admin can change the team's framework. Ask one of your admins."
NOT_YOURS = "This draft isn't yours, or has ended. Tap /customise to start one."
STALE = "That card has moved on — use the newest buttons."
EXPIRED = "That button doesn't work any more."
CANCELLED = "Left as it was: nothing changed."

# ---------------------------------------------------------------- buttons

LEVELS_BUTTON = "🏷 Level names"
HIDE_BUTTON = "👁 Hide or show elements"
THEME_BUTTON = "➕ Write in a theme"
SEE_BUTTON = "🔎 See it, then save"
SAVE_BUTTON = "Save ✓"
CANCEL_BUTTON = "Cancel"
BACK_BUTTON = "← Back"
RESET_LEVELS = "Back to the usual names"
TYPE_A_NAME = "✍️ Type a name"
TYPE_A_LINE = "✍️ Type a line"
USUAL_QUESTIONS = "Use the usual questions"
OWN_QUESTIONS = "✍️ Write our own"
ANOTHER_ELEMENT = "➕ Another element"
ADD_THE_THEME = "✓ Add the theme"
DROP_THE_THEME = "✗ Drop it"


def rename_button(number: int, label: str) -> str:
    return f"Rename {number}: {label[:24]}"


def shown_button(name: str, hidden: bool) -> str:
    return f"{'🚫' if hidden else '✓'} {name[:26]}"


def suggestion_button(name: str) -> str:
    return f"{name} (ready-made)"


def use_button(text: str) -> str:
    return f"Use: {text[:40]}{'…' if len(text) > 40 else ''}"


def same_as_theme_button(name: str) -> str:
    return f"Just one: “{name[:30]}”"


# ---------------------------------------------------------------- cards


def menu(levels: list[str], hidden: list[str], own_themes: list[tuple[str, int]], unsaved: bool) -> str:
    lines = ["<b>Customise our framework</b>",
             "Change the words to fit your service. Nothing changes for the team until you save.", "",
             "<b>Levels:</b> " + " · ".join(escape(label) for label in levels),
             "<b>Hidden:</b> " + (", ".join(escape(h) for h in hidden) if hidden else "none"),
             "<b>Our own themes:</b> " + (", ".join(f"{escape(name)} ({n} element{'s' if n != 1 else ''})"
                                                    for name, n in own_themes) if own_themes else "none")]
    if unsaved:
        lines += ["", "<i>Changed, not saved yet.</i>"]
    return "\n".join(lines)


def levels_card(levels: list[tuple[str, str]]) -> str:
    listed = "\n".join(f"{n}. <b>{escape(label)}</b> — {escape(guidance)}" for n, (label, guidance) in
                       enumerate(levels, start=1))
    return ("<b>Level names</b>\nThe four levels of the scale, lowest first, in your words. "
            f"Every card, summary, chart, report and spreadsheet uses them.\n\n{listed}")


def rename_prompt(number: int, label: str) -> str:
    return (f"↩️ <b>Reply to this message</b> with a new name for level {number} (now “{escape(label)}”).\n"
            "Add what it means on a second line, if you like.")


RENAME_PLACEHOLDER = "Name, then what it means"


def hide_card(hidden_count: int) -> str:
    return ("<b>Hide or show elements</b>\nTap an element to hide it from rounds, or to bring it back. "
            "Hidden ones keep their past answers. Keep the usual 15 where you can: it keeps teams comparable."
            + (f"\n\n{hidden_count} hidden." if hidden_count else ""))


THEME_NAME_CARD = ("<b>Write in a theme</b>\nA theme of your own, with one or more elements, rated like the rest. "
                   "It stays yours: it is never compared with other teams.\n\nWhat's it called?")
THEME_NAME_PROMPT = "↩️ <b>Reply to this message</b> with the theme's name."
THEME_ABOUT_PROMPT = "↩️ <b>Reply to this message</b> with one line saying what it is about."
ELEMENT_NAME_PROMPT = "↩️ <b>Reply to this message</b> with the element's name."
QUESTIONS_PROMPT = ("↩️ <b>Reply to this message</b> with 2 to 4 questions to open the element with, "
                    "one a line. The other stages keep the usual questions.")
NAME_PLACEHOLDER = "A name"
LINE_PLACEHOLDER = "One line"
QUESTIONS_PLACEHOLDER = "One question a line"


def theme_about_card(name: str, suggestion: str) -> str:
    return f"<b>{escape(name)}</b>\nIn one line, what is it about?\n\nSuggested: <i>{escape(suggestion)}</i>"


def theme_element_card(name: str, about: str, elements: list[str]) -> str:
    head = f"<b>{escape(name)}</b>\n{escape(about)}"
    if elements:
        listed = "\n".join(f"• {escape(e)}" for e in elements)
        return f"{head}\n\n<b>Elements so far</b>\n{listed}\n\nName the next element."
    return f"{head}\n\nName its first element — the part you'll rate. One is enough."


def theme_questions_card(element: str, questions: list[str]) -> str:
    listed = "\n".join(f"• {escape(q)}" for q in questions)
    return f"<b>{escape(element)}</b>\nThe usual opening questions:\n{listed}\n\nUse these, or write your own?"


def theme_review_card(name: str, about: str, elements: list[str]) -> str:
    listed = "\n".join(f"• {escape(e)}" for e in elements)
    return (f"<b>{escape(name)}</b> (our own)\n{escape(about)}\n\n{listed}\n\n"
            "Add it to the draft, or add another element first?")


def preview_card(levels: list[tuple[str, str]], themes: list[tuple[str, bool, list[str]]], hidden: list[str],
                 sample: str, unsaved: bool) -> str:
    lines = ["<b>How it will look</b>", "", "<b>The scale, lowest first</b>"]
    lines += [f"{n}. <b>{escape(label)}</b> — {escape(guidance)}" for n, (label, guidance) in
              enumerate(levels, start=1)]
    lines += [f"A bead reads like: “{sample}”", "", "<b>What we rate</b>"]
    for name, own, elements in themes:
        lines.append(f"<b>{escape(name)}</b>{' (our own — not compared with other teams)' if own else ''}")
        lines += [f"  • {escape(e)}" for e in elements]
    if hidden:
        lines += ["", "<b>Hidden:</b> " + ", ".join(escape(h) for h in hidden)]
    lines += ["", "Save to use it from now on." if unsaved else "This is what the team has now."]
    return "\n".join(lines)


def saved(levels: list[str]) -> str:
    return ("✅ <b>Saved.</b> From now on cards, summaries, charts, reports and spreadsheets use these words.\n"
            "Levels: " + " · ".join(escape(label) for label in levels))


SAVED_ALERT = "Saved"
NOTHING_TO_SAVE = "Nothing has changed, so there's nothing to save."

# ---------------------------------------------------------------- refusals (nothing changes)

DOES_NOT_FIT = "That doesn't fit the framework, so I've left it as it was. Try other words."
LABEL_EMPTY = "That looks empty. Reply with a name, like <code>Finding our feet</code>."
NAME_EMPTY = "That looks empty. Reply with a name."
NAME_NEEDS_WORDS = "A name needs at least one letter or number."
ABOUT_EMPTY = "That looks empty. Reply with one line."
NOT_AN_ELEMENT = "That element isn't in the framework any more."
LAST_ELEMENT = "That's the last element showing: at least one must stay, or there'd be nothing to rate."
THEME_NEEDS_AN_ELEMENT = "A theme needs at least one element to rate. Add one first."


def label_too_long(limit: int) -> str:
    return f"That's a long name for a level. Keep it to {limit} characters, so it fits on a phone's buttons."


def guidance_too_long(limit: int) -> str:
    return f"Keep what it means to {limit} characters: a sentence or two."


def label_taken(label: str, number: int) -> str:
    return f"“{escape(label)}” is already the name of level {number}. Each level needs its own name."


def name_too_long(limit: int) -> str:
    return f"Keep the name to {limit} characters."


def name_taken(name: str) -> str:
    return f"“{escape(name)}” is already a name in your framework. Pick another, so nobody mixes them up."


def about_too_long(limit: int) -> str:
    return f"Keep it to one line of {limit} characters."


def too_many_elements(limit: int) -> str:
    return f"A theme of your own can have up to {limit} elements. Add this one as a theme of its own."


def questions_count(low: int, high: int, found: int) -> str:
    return f"Send {low} to {high} questions, one a line (I found {found})."


def question_too_long(limit: int) -> str:
    return f"Keep each question to {limit} characters."


def in_use(name: str) -> str:
    return (f"{escape(name)} is in use — by your check-ins or a round that is still open — so it can't be hidden "
            "now. Change /schedule or close the round first.")


# ---------------------------------------------------------------- what a written-in theme starts with


def default_about(name: str) -> str:
    return f"How we are doing on {name}, in our own words."


def default_element_about(name: str) -> str:
    return f"{name}, as we see it here."


# Plain questions for each stage of the Pizazz; {element} is the element's name.
DEFAULT_QUESTIONS = {
    "assessment": ["How are things going with {element}?", "What would better look like here?"],
    "evidence": ["What is actually happening? Tell us about a recent example.", "What makes you say so?"],
    "hindering": ["What gets in the way?", "Which of these are within our control?"],
    "helping": ["What do we have going for us that could help?", "Who inside or outside the team could help?"],
    "action_plan": ["So what will we do, who, and by when?", "How will we know it worked?"],
    "review": ["Did our actions happen? What changed?", "Where would we put the bead now, and why?"],
}
