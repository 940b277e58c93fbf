"""Tokenisers: the one place that turns a text into the word list the embeddings look up.

The prepare stage (length statistics), the embed stage (vocabulary and ids) and the attack
wrappers all call `tokenise`, so a text is split the same way everywhere.

English (MR, Subj, SST): the source files are already lower-cased and tokenised, but not
alike: SST is PTB-tokenised (``-lrb-``, ``\\/``, clitics split as ``it 's``, ``does n't``)
while MR and Subj keep contractions whole (``it's``, ``doesn't``). GloVe 6B is lower-case and
PTB-tokenised, so after lower-case + whitespace split each token is brought to its form:
1. PTB escapes undone: ``-lrb-`` -> ``(`` (and the other brackets), ``\\/`` -> ``/``, ``\\*`` -> ``*``;
2. clitics split off as PTB does: ``it's`` -> ``it 's``, ``doesn't`` -> ``does n't``,
   ``can't`` -> ``ca n't`` (GloVe holds ``ca``, ``wo``, ``n't``, ``'s``, ``'re`` ...);
3. words split at ``-`` and ``/`` (``re-imagining`` -> ``re imagining``), the separators
   dropped; tokens made only of ``-``/``/`` (``--``) are kept.
Why: far fewer out-of-vocabulary tokens (measured: docs/findings.md, "Embeddings"). The rules
look at no vocabulary, so a text tokenises the same whatever vectors are chosen. The authors' code
runs ``nltk.word_tokenize`` without lower-casing for training and lower-case + whitespace split at
attack time; here both use this one function.

Chinese (ChnSenti, Waimai): ``jieba.lcut`` in its default (accurate, HMM) mode with the
dictionary bundled in the package, so it works offline and gives the same tokens on every
run; whitespace-only tokens are dropped.
"""

from __future__ import annotations

import logging
import re

from snntext.core.errors import SnntextError

LANGUAGES = ("en", "zh")

# PTB escapes for brackets, mapped to the characters GloVe 6B holds vectors for.
_PTB_TOKENS = {"-lrb-": "(", "-rrb-": ")", "-lsb-": "[", "-rsb-": "]", "-lcb-": "{", "-rcb-": "}"}

# PTB-style clitics at the end of a word: "doesn't" -> "does" "n't", "it's" -> "it" "'s".
_CLITIC = re.compile(r"^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$")
_HYPHEN_SLASH = re.compile(r"[-/]")
_HAS_WORD_CHAR = re.compile(r"[^-/]")

_jieba = None


def _split_clitic(token: str) -> list[str]:
    match = _CLITIC.match(token)
    return [match.group(1), match.group(2)] if match else [token]


def _split_hyphen_slash(token: str) -> list[str]:
    if not _HAS_WORD_CHAR.search(token):
        return [token]  # "--", "/": punctuation of its own
    return [part for part in _HYPHEN_SLASH.split(token) if part]


def tokenise_english(text: str) -> list[str]:
    """Lower-case, whitespace split, undo PTB escapes, split clitics and at '-' and '/'."""
    tokens = []
    for token in text.lower().split():
        token = _PTB_TOKENS.get(token, token).replace("\\/", "/").replace("\\*", "*")
        for piece in _split_clitic(token):
            tokens.extend(_split_hyphen_slash(piece))
    return tokens


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
        f"unknown language {language!r} (a dataset's 'language' in src/snntext/core/sources.yaml); "
        f"allowed: {', '.join(LANGUAGES)}"
    )
