"""Each /customise screen as words and buttons, drawn from the admin's draft (see the package's map).

Button kind "cu", ref = team id; the arg names the screen's choice: "m.<screen>" moves between screens,
"l.<n>" renames level n, "h.<i>" hides or shows the i-th element, "t.*", "a.*", "e.*", "q.*" build a
written-in theme, "s.save" and "s.cancel" end the draft.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from conversations import customising as rules
from conversations.texts import customising as texts
from conversations.texts.scale import place
from piebot.storage.models import Team
from piebot.telegram import callbacks

KIND = "cu"
# Where the sample bead sits in the preview: near the top of the second level.
SAMPLE_PLACE = 10


def _button(label: str, team_id: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(KIND, team_id, arg))


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def render(state: dict, team: Team) -> tuple[str, InlineKeyboardMarkup]:
    """The card for the state's screen."""
    variant, draft, screen = team.framework_variant, rules.draft_of(state["draft"]), state.get("screen", "menu")
    b = lambda label, arg: _button(label, team.id, arg)  # noqa: E731
    back = [b(texts.BACK_BUTTON, "m.menu")]
    framework = rules.framework_with(variant, draft)
    levels = [(lv.label, lv.guidance) for lv in framework.scale.levels]
    unsaved = rules.changed(team.customisation, draft)
    if screen == "levels":
        rows = [[b(texts.rename_button(n, label), f"l.{n}")] for n, (label, _) in enumerate(levels, start=1)]
        return texts.levels_card(levels), InlineKeyboardMarkup([*rows, [b(texts.RESET_LEVELS, "l.reset")], back])
    if screen == "hide":
        choices = rules.elements_to_choose(variant, draft)
        toggles = [b(texts.shown_button(name, hidden), f"h.{i}") for i, (_, name, hidden) in enumerate(choices)]
        hidden = sum(1 for *_, is_hidden in choices if is_hidden)
        return texts.hide_card(hidden), InlineKeyboardMarkup([*_rows(toggles, 2), back])
    theme = state.get("theme")
    if screen == "theme-name":
        rows = [[b(texts.suggestion_button(rules.SUGGESTED_THEME), "t.rel")], [b(texts.TYPE_A_NAME, "t.type")], back]
        return texts.THEME_NAME_CARD, InlineKeyboardMarkup(rows)
    if screen == "theme-about":
        suggestion = rules.default_about(theme["name"])
        rows = [[b(texts.use_button(suggestion), "a.use")], [b(texts.TYPE_A_LINE, "a.type")],
                [b(texts.DROP_THE_THEME, "t.drop")]]
        return texts.theme_about_card(theme["name"], suggestion), InlineKeyboardMarkup(rows)
    if screen == "theme-element":
        names = [e["name"] for e in theme["elements"]]
        rows = [] if names else [[b(texts.same_as_theme_button(theme["name"]), "e.same")]]
        rows += [[b(texts.TYPE_A_NAME, "e.type")], [b(texts.DROP_THE_THEME, "t.drop")]]
        return texts.theme_element_card(theme["name"], theme["description"], names), InlineKeyboardMarkup(rows)
    if screen == "theme-questions":
        usual = rules.default_questions(state["pending"])["assessment"]
        rows = [[b(texts.USUAL_QUESTIONS, "q.use")], [b(texts.OWN_QUESTIONS, "q.type")]]
        return texts.theme_questions_card(state["pending"], usual), InlineKeyboardMarkup(rows)
    if screen == "theme-review":
        rows = [[b(texts.ADD_THE_THEME, "t.done")], [b(texts.ANOTHER_ELEMENT, "t.more")],
                [b(texts.DROP_THE_THEME, "t.drop")]]
        names = [e["name"] for e in theme["elements"]]
        return texts.theme_review_card(theme["name"], theme["description"], names), InlineKeyboardMarkup(rows)
    if screen == "preview":
        seen = rules.preview(variant, draft)
        sample = place(framework.scale, SAMPLE_PLACE)
        text = texts.preview_card(seen.levels, seen.themes, seen.hidden, sample, unsaved)
        rows = ([[b(texts.SAVE_BUTTON, "s.save")]] if unsaved else []) + [back]
        return text, InlineKeyboardMarkup(rows)
    own = [(t["name"], len(t["elements"])) for t in draft.get("written_in_themes") or []]
    hidden = [name for _, name, is_hidden in rules.elements_to_choose(variant, draft) if is_hidden]
    rows = [[b(texts.LEVELS_BUTTON, "m.levels")], [b(texts.HIDE_BUTTON, "m.hide")], [b(texts.THEME_BUTTON, "m.theme")],
            [b(texts.SEE_BUTTON, "m.see")], [b(texts.CANCEL_BUTTON, "s.cancel")]]
    return texts.menu([label for label, _ in levels], hidden, own, unsaved), InlineKeyboardMarkup(rows)
