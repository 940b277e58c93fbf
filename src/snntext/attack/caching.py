"""Work shared between the attacks on one example, so that three models cost less than three attacks.

The same example is attacked by every recipe on every model. What does not depend on the model is
computed once per example and reused:
- sentence-encoder embeddings (MiniLM), keyed by the exact string encoded (`CachedSentenceModel`);
- per recipe, TextAttack's constraint verdicts, keyed as TextAttack keys them (`RecipeCaches`),
  which TextAttack otherwise empties after every attack;
- per deterministic model, its class scores per text, reused across recipes (the wrappers' `memo`);
- TextAttack's split of a string into words (`memoise_word_splitting`), a pure function of the string
  that TextAttack calls dozens of times per candidate text, and on Chinese jieba's segmentation of each
  run of Chinese characters, most of which a one-word edit leaves as they were.
Every cache is emptied before the next example (`clear`), so an example's result never depends
on which examples ran before it in the same process: a sharded run equals the serial run.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

WORD_SPLIT_MEMO = 2**16  # strings whose word split is kept (words and candidate texts)


class CachedSentenceModel:
    """A SentenceTransformer whose `encode` computes only strings it has not seen since `clear()`."""

    def __init__(self, model) -> None:  # a SentenceTransformer (or anything with its encode)
        self.model = model
        self._cache: dict[str, np.ndarray] = {}
        self.encoded = 0  # strings actually run through the encoder
        self.requested = 0  # strings asked for

    def clear(self) -> None:
        self._cache.clear()

    def encode(self, sentences: Sequence[str], **kwargs) -> np.ndarray:
        """Embeddings [N, dim] as numpy, like SentenceTransformer.encode(sentences) (textattack's SBERT)."""
        if kwargs:
            raise TypeError(f"CachedSentenceModel.encode takes only sentences, got {sorted(kwargs)}")
        sentences = [str(s) for s in sentences]
        self.requested += len(sentences)
        missing = list(dict.fromkeys(s for s in sentences if s not in self._cache))
        if missing:
            vectors = np.asarray(self.model.encode(missing))
            self._cache.update(zip(missing, vectors))
            self.encoded += len(missing)
        if not sentences:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._cache[s] for s in sentences])

    def __getattr__(self, name):  # device, max_seq_length, ...: the wrapped model's
        return getattr(self.model, name)


class RecipeCaches:
    """One recipe's TextAttack caches, shared by its attacks on every model.

    Constraint verdicts are keyed by (current text, transformed text) and read only texts, never
    the model, so a verdict reached while attacking the DNN holds for the SNN; the same for a
    deterministic transformation's candidates (which TextAttack 0.3.11 caches only for hashable
    arguments, i.e. not under GreedyWordSwapWIR's index lists). `attach` makes an Attack use these caches and stop
    emptying them after each attack (its model-dependent goal-function cache is still emptied).
    """

    def __init__(self):
        import lru

        self.constraints = lru.LRU(2**16)
        self.transformations = lru.LRU(2**14)

    def attach(self, attack) -> None:
        attack.constraints_cache = self.constraints
        attack.transformation_cache = self.transformations

        def clear_model_cache(recursive: bool = True) -> None:
            attack.goal_function.clear_cache()

        attack.clear_cache = clear_model_cache

    def clear(self) -> None:
        self.constraints.clear()
        self.transformations.clear()


_ORIGINAL_WORD_SPLIT: list = []  # TextAttack's own words_from_text and jieba's block cut, once patched


def memoise_word_splitting(enabled: bool = True) -> None:
    """Make TextAttack's `words_from_text` memoised (enabled) or its own again (not), process-wide.

    Profiled on MR (cProfile, 10 examples, four recipes, three models): building a candidate text
    re-splits every word of it, about 44 calls per candidate, 17% of the attack's time; on ChnSenti,
    where each split runs jieba over the whole text, most of it (5 examples: 140 s; 54 s with the memo; 29 s
    with jieba's blocks memoised too). Both depend on the string alone (jieba's default dictionary, not
    changed here; the `words_to_ignore` form is passed through), so the memo returns what they would:
    a fresh list per call, the same words."""
    import jieba
    from textattack.shared import attacked_text
    from textattack.shared.utils import strings

    if not _ORIGINAL_WORD_SPLIT:
        _ORIGINAL_WORD_SPLIT.extend([strings.words_from_text, jieba.dt._Tokenizer__cut_DAG])
    original, original_block_cut = _ORIGINAL_WORD_SPLIT
    split, block_cut = original, original_block_cut
    if enabled:
        cached = functools.lru_cache(maxsize=WORD_SPLIT_MEMO)(lambda s: tuple(original(s)))
        block_cut = functools.lru_cache(maxsize=WORD_SPLIT_MEMO)(lambda block: tuple(original_block_cut(block)))

        def split(s, words_to_ignore=()):  # type: ignore[misc]
            return original(s, list(words_to_ignore)) if words_to_ignore else list(cached(s))

    import textattack.shared.utils as utils

    for module in (strings, utils, attacked_text):
        module.words_from_text = split
    jieba.dt._Tokenizer__cut_DAG = block_cut  # jieba.cut's accurate (HMM) mode, per run of Chinese characters
