"""Tokenisers for English (pre-tokenised, lower-cased sources) and Chinese (jieba)."""
from __future__ import annotations

import pytest

from snntext.errors import SnntextError
from snntext.text import tokenise


def test_english_lower_cases_and_splits_on_whitespace():
    assert tokenise("The  Rock is\tdestined\n", "en") == ["the", "rock", "is", "destined"]


def test_english_keeps_ptb_clitics_and_hyphenated_words():
    assert tokenise("they wo n't sit , it 's re-imagining and/or cutting-room", "en") == [
        "they", "wo", "n't", "sit", ",", "it", "'s", "re-imagining", "and/or", "cutting-room"]


def test_english_maps_ptb_brackets():
    assert tokenise("the story -lrb- and -LRB- film -rrb- -lsb- x -rsb-", "en") == [
        "the", "story", "(", "and", "(", "film", ")", "[", "x", "]"]


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
