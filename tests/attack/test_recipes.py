"""Each recipe runs end to end on a tiny model and 3 examples with the network blocked."""

from __future__ import annotations

import pytest

from .conftest import EXAMPLES, NEUTRAL, POSITIVE


@pytest.fixture(scope="module")
def context(offline_resources, tiny_pipeline):
    from snntext.attack import recipes

    return recipes.RecipeContext(
        language="en",
        embedding=recipes.build_word_embedding(tiny_pipeline["vectors"], pool=100),
        sentence_model=recipes.load_sentence_model(),
        similarity=0.5,
        wordnet_problem=offline_resources.wordnet_problem,
        batch_size=16,
    )


@pytest.fixture(scope="module")
def dnn_wrapper(tiny_pipeline, offline_resources):
    from snntext.attack.wrappers import DNNWrapper, TextEncoder

    encoder = TextEncoder.from_embedded(tiny_pipeline["embedded"], vectors=tiny_pipeline["vectors"])
    return DNNWrapper(tiny_pipeline["dnn"], encoder)


def test_tiny_model_classifies_the_examples(dnn_wrapper):
    assert list(dnn_wrapper.predict([t for t, _ in EXAMPLES])) == [y for _, y in EXAMPLES]


def test_word_embedding_nn_matrix_starts_with_the_word(offline_resources, tiny_pipeline):
    from snntext.attack.recipes import build_word_embedding

    emb = build_word_embedding(tiny_pipeline["vectors"], pool=100, neighbours=3)
    good = emb.word2index("good")
    assert emb.nn_matrix.shape == (len(emb._word2index), 4) and emb.nn_matrix[good, 0] == good
    neighbours = [emb.index2word(i) for i in emb.nearest_neighbours(good, 3)]
    assert len(set(neighbours) & set(POSITIVE + ["nice"])) >= 2  # sentiment dimension dominates


@pytest.mark.parametrize("recipe", ["deepwordbug", "pwws", "textfooler", "textbugger", "pso"])
def test_recipe_runs_offline(recipe, context, dnn_wrapper, no_network, tmp_path):
    from snntext.attack.recipes import RecipeUnavailable
    from snntext.attack.run import attack_examples

    try:
        outcome = attack_examples(recipe, dnn_wrapper, context, EXAMPLES, seed=0)
    except RecipeUnavailable as err:  # only PWWS may be unavailable, and only without WordNet
        assert recipe == "pwws" and context.wordnet_problem and "wordnet-base" in str(err)
        return
    metrics = outcome.metrics
    assert metrics["attacked"] + metrics["skipped"] == 3 and metrics["skipped"] == 0
    assert metrics["successful"] + metrics["failed"] == 3
    assert metrics["clean_accuracy"] == 1.0
    assert metrics["accuracy_under_attack"] == pytest.approx(metrics["failed"] / 3)
    assert metrics["queries"] > 0 and metrics["avg_queries"] > 0
    assert len(outcome.adversarial) == metrics["successful"]
    for row in outcome.adversarial:
        assert row["original_text"] != row["perturbed_text"] and row["perturbed_label"] != row["label"]
    assert no_network == []


def test_textfooler_swaps_only_vector_neighbours_and_a_tenth_of_words(context, dnn_wrapper, no_network):
    from snntext.attack.run import attack_examples

    long_text = " ".join(["the movie is good"] + [f"and the {n} is {p}" for n, p in zip(NEUTRAL, POSITIVE)])
    outcome = attack_examples("textfooler", dnn_wrapper, context, [(long_text, 1)], seed=0)
    words = len(long_text.split())
    for row in outcome.adversarial:
        changed = sum(a != b for a, b in zip(long_text.split(), row["perturbed_text"].split()))
        assert changed <= 0.1 * words
    assert outcome.metrics["attacked"] == 1


def test_chinese_runs_only_the_recipes_that_apply():
    from snntext.attack.recipes import recipe_skip_reason
    from snntext.core.config import RECIPES

    applies = [r for r in RECIPES if recipe_skip_reason(r, "zh") is None]
    assert applies == ["deepwordbug", "textfooler", "pso"]
    assert all(recipe_skip_reason(r, "en") is None for r in RECIPES)


def test_whole_text_similarity_needs_no_modified_index(context, no_network):
    """TextBugger inserts a space inside a word, leaving newly_modified_indices empty; textattack's
    infinite-window path then raised StopIteration (seen on MR). Whole texts are compared instead."""
    from textattack.shared import AttackedText

    constraint = context.similarity_constraint(
        window_size=None, skip_text_shorter_than_window=False, compare_against_original=True
    )
    start = AttackedText("the film is a charming and moving journey")
    split_word = AttackedText("the film is a char ming and moving journey")
    split_word.attack_attrs["newly_modified_indices"] = set()
    scores = constraint._score_list(start, [split_word])
    assert scores.shape == (1,) and 0.5 < float(scores[0]) <= 1.0
    assert constraint.window_size == float("inf")


def test_windowed_similarity_scores_texts_without_a_modified_index_whole(context, no_network):
    """A mixed batch: texts with a modified index use the 15-word window, one without it (seen in
    the MR textfooler run) is compared whole instead of raising StopIteration; order is kept."""
    from textattack.shared import AttackedText

    constraint = context.similarity_constraint()
    start = AttackedText("the film is a charming and moving journey")
    swapped = start.replace_word_at_index(4, "delightful")
    lost_index = AttackedText("the film is a charming and moving trip")
    lost_index.attack_attrs["newly_modified_indices"] = set()
    scores = constraint._score_list(start, [swapped, lost_index, swapped])
    assert scores.shape == (3,) and float(scores[0]) == pytest.approx(float(scores[2]))
    assert all(0.3 < float(x) <= 1.0 + 1e-6 for x in scores)
    assert constraint.window_size == 15


def test_pso_builds_with_the_papers_search_and_the_authors_constraints(context, dnn_wrapper, tiny_pipeline):
    from textattack.constraints.overlap import MaxWordsPerturbed
    from textattack.search_methods import ParticleSwarmOptimization
    from textattack.transformations import WordSwapEmbedding

    from snntext.attack.recipes import PreloadedSBERT, RecipeContext, build_attack, recipe_skip_reason

    english = build_attack("pso", dnn_wrapper, context)
    search = english.search_method
    assert isinstance(search, ParticleSwarmOptimization)
    assert (search.pop_size, search.max_iters, search.post_turn_check, search.max_turn_retries) == (60, 20, True, 20)
    assert isinstance(english.transformation, WordSwapEmbedding) and english.transformation.max_candidates == 15
    assert english.transformation.embedding is context.embedding
    share = [c.max_percent for c in english.constraints if isinstance(c, MaxWordsPerturbed)]
    assert share == [0.1] and any(isinstance(c, PreloadedSBERT) for c in english.constraints)

    chinese_ctx = RecipeContext(language="zh", embedding=context.embedding, batch_size=16)  # no sentence model
    chinese = build_attack("pso", dnn_wrapper, chinese_ctx)
    assert isinstance(chinese.search_method, ParticleSwarmOptimization)
    assert not any(isinstance(c, PreloadedSBERT) for c in chinese.constraints)
    assert recipe_skip_reason("pso", "zh") is None and recipe_skip_reason("pso", "en") is None


def test_pso_leaves_the_random_state_to_the_caller(context, dnn_wrapper):
    """PSO draws from np.random's global generator, which attack_examples seeds per run."""
    import numpy as np

    from snntext.attack.recipes import build_attack

    np.random.seed(123)
    np.random.uniform()
    _, keys, position, *_ = np.random.get_state()
    build_attack("pso", dnn_wrapper, context)
    _, keys_after, position_after, *_ = np.random.get_state()
    assert (keys_after == keys).all() and position_after == position


def test_pso_is_repeatable_under_the_callers_seed(context, dnn_wrapper, no_network):
    from snntext.attack.run import attack_examples

    first, second = (attack_examples("pso", dnn_wrapper, context, EXAMPLES[:2], seed=3) for _ in range(2))
    assert first.adversarial == second.adversarial
    assert first.metrics["queries"] == second.metrics["queries"]


def test_pso_keeps_only_swaps_whose_words_line_up(offline_resources):
    """A vocabulary entry TextAttack does not see as one word changes the word count; PSO asserts
    equal lengths. The other cases are real jieba re-segmentations: the word count stays, but
    TextAttack's newly modified indices name other words, or point past the end (IndexError in
    PSO on ChnSenti)."""
    from textattack.shared import AttackedText

    from snntext.attack.recipes import KeepsWordPositions

    keeps = KeepsWordPositions()._check_constraint
    english = AttackedText("the movie is good and the cast is great")
    assert keeps(english.replace_word_at_index(3, "fine"), english)
    assert not keeps(english.replace_word_at_index(3, "--"), english)  # no word for TextAttack
    assert not keeps(english.replace_word_at_index(3, "so good"), english)  # two words

    chinese = AttackedText("这部电影很好看但是结局太差了")
    assert chinese.words == ["这部", "电影", "很", "好看", "但是", "结局", "太差", "了"]
    assert keeps(chinese.replace_word_at_index(5, "故事"), chinese)
    past_the_end = chinese.replace_word_at_index(7, "太差")
    assert len(past_the_end.words) == 8 and past_the_end.attack_attrs["newly_modified_indices"] == {8, 9}
    assert not keeps(past_the_end, chinese)
    merged = chinese.replace_word_at_index(2, "很好")  # jieba: 电影 / 很 / 好好看
    assert len(merged.words) == 8 and not keeps(merged, chinese)
