"""Tokenisers for English (pre-tokenised, lower-cased sources) and Chinese (jieba)."""

from __future__ import annotations

import pytest

from snntext.core.errors import SnntextError
from snntext.data.tokenise import tokenise


def test_english_lower_cases_and_splits_on_whitespace():
    assert tokenise("The  Rock is\tdestined\n Café …", "en") == ["the", "rock", "is", "destined", "café", "…"]


def test_english_splits_clitics_like_ptb():
    # MR/Subj keep contractions whole; SST has them split already: both end up alike.
    assert tokenise("it's not that they don't , you can't", "en") == [
        "it",
        "'s",
        "not",
        "that",
        "they",
        "do",
        "n't",
        ",",
        "you",
        "ca",
        "n't",
    ]
    assert tokenise("it 's not that they do n't , you ca n't", "en") == tokenise(
        "it's not that they don't , you can't", "en"
    )
    assert tokenise("'s n't o'clock", "en") == ["'s", "n't", "o'clock"]


def test_english_splits_at_hyphen_and_slash_but_keeps_dashes():
    assert tokenise("a re-imagining -- writer\\/director and/or 1\\/2 , the film's well-made", "en") == [
        "a",
        "re",
        "imagining",
        "--",
        "writer",
        "director",
        "and",
        "or",
        "1",
        "2",
        ",",
        "the",
        "film",
        "'s",
        "well",
        "made",
    ]
    assert tokenise("- / \\*\\*", "en") == ["-", "/", "**"]


def test_english_maps_ptb_brackets():
    assert tokenise("the story -lrb- and -LRB- film -rrb- -lsb- x -rsb-", "en") == [
        "the",
        "story",
        "(",
        "and",
        "(",
        "film",
        ")",
        "[",
        "x",
        "]",
    ]


def test_english_empty_text():
    assert tokenise("   ", "en") == []


def test_chinese_uses_jieba_words_and_drops_whitespace():
    tokens = tokenise("房间 很小 ，隔音很差。", "zh")
    assert "房间" in tokens and "隔音" in tokens
    assert all(token.strip() for token in tokens)
    assert "".join(tokens) == "房间很小，隔音很差。"


def test_chinese_is_deterministic_and_handles_empty():
    text = "商务大床房，房间很大，床有2M宽，整体感觉经济实惠不错!"
    assert tokenise(text, "zh") == tokenise(text, "zh")
    assert tokenise("", "zh") == []


def test_unknown_language_names_the_registry_key():
    with pytest.raises(SnntextError, match="language"):
        tokenise("x", "fr")
