"""The one way a place on the scale is said: a level's name and where in it, and moves in words."""

from conversations.texts.scale import move, place, place_plain
from framework import load_framework


def test_a_place_is_its_level_and_where_in_it_never_a_score():
    scale = load_framework().scale
    assert place(scale, 1) == "Just starting — at the start"
    assert place(scale, 10) == "Getting there — near the top"
    assert place(scale, 13) == "Well on the way — halfway"
    words = [place(scale, i) for i in range(1, 21)]
    assert len(set(words)) == 20
    assert not any(ch.isdigit() for w in words for ch in w)


def test_renamed_levels_are_escaped_in_messages_and_plain_in_files():
    scale = load_framework("pies2", {"level_labels": {2: "Half <b>way</b> & on"}}).scale
    assert place(scale, 7) == "Half &lt;b&gt;way&lt;/b&gt; &amp; on — early on"
    assert place_plain(scale, 7) == "Half <b>way</b> & on — early on"


def test_moves_are_said_in_words():
    scale = load_framework().scale
    assert move(scale, 8, 8) == "held steady"
    assert move(scale, 7, 9) == "a little further along"
    assert move(scale, 9, 7) == "a little further back"
    assert move(scale, 10, 11) == "up a level"
    assert move(scale, 3, 18) == "up three levels"
    assert move(scale, 14, 6) == "down a level"
    assert move(scale, None, 6) == "first time"
