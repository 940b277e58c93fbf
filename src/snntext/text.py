"""Tokenisers: the one place that turns a text into the word list the embeddings look up.

The prepare stage (length statistics), the embed stage (vocabulary and ids) and the attack
wrappers all call `tokenise`, so a text is split the same way everywhere.

English (MR, Subj, SST): the source files are already tokenised and lower-cased, with PTB
tokens such as ``-lrb-``, ``'s``, ``n't``. GloVe 6B was built from lower-cased, PTB-tokenised
text, so lower-case + whitespace split already matches it; the only mappings applied are
PTB bracket tokens back to the brackets GloVe holds (``-lrb-`` -> ``(`` etc.). Hyphenated and
slashed tokens (``re-imagining``, ``and/or``) are kept whole: splitting them was measured on
the six datasets' vocabulary against GloVe 6B and changed the share of covered tokens by less
than 0.1 point either way (see `tests/test_text.py` for the behaviour, the prepare metrics for
lengths), so the simpler rule wins.
The authors' code instead runs ``nltk.word_tokenize`` without lower-casing for training and
lower-case + whitespace split at attack time; here both use this one function.

Chinese (ChnSenti, Waimai): ``jieba.lcut`` in its default (accurate, HMM) mode with the
dictionary bundled in the package, so it works offline and gives the same tokens on every
run; whitespace-only tokens are dropped.
"""
from __future__ import annotations

import logging

from snntext.errors import SnntextError

LANGUAGES = ("en", "zh")

# PTB escapes for brackets, mapped to the characters GloVe 6B holds vectors for.
_PTB_TOKENS = {
    "-lrb-": "(",
    "-rrb-": ")",
    "-lsb-": "[",
    "-rsb-": "]",
    "-lcb-": "{",
    "-rcb-": "}",
}

_jieba = None


def tokenise_english(text: str) -> list[str]:
    """Lower-case, split on whitespace, map PTB bracket escapes to brackets."""
    return [_PTB_TOKENS.get(token, token) for token in text.lower().split()]


def _load_jieba():
    """Import jieba once, quietly (it logs its dictionary loading at DEBUG/INFO)."""
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return _jieba


def tokenise_chinese(text: str) -> list[str]:
    """jieba accurate mode with its bundled dictionary; whitespace-only tokens dropped."""
    return [token for token in _load_jieba().lcut(text) if token.strip()]


def tokenise(text: str, language: str) -> list[str]:
    """Word tokens of `text` for `language` ("en" or "zh"), as the embeddings look them up."""
    if language == "en":
        return tokenise_english(text)
    if language == "zh":
        return tokenise_chinese(text)
    raise SnntextError(
        f"unknown language {language!r} (a dataset's 'language' in src/snntext/data/sources.yaml); "
        f"allowed: {', '.join(LANGUAGES)}"
    )
