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


@pytest.mark.parametrize("recipe", ["deepwordbug", "pwws", "textfooler", "textbugger"])
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


def test_bert_attack_skips_with_one_line_reason_offline(context, dnn_wrapper, no_network):
    from snntext.attack.recipes import RecipeUnavailable, build_attack

    with pytest.raises(RecipeUnavailable) as info:
        build_attack("bert_attack", dnn_wrapper, context)
    assert "bert-base-uncased" in str(info.value) and "\n" not in str(info.value)


def test_chinese_runs_only_the_recipes_that_apply():
    from snntext.attack.recipes import recipe_skip_reason
    from snntext.config import RECIPES

    applies = [r for r in RECIPES if recipe_skip_reason(r, "zh") is None]
    assert applies == ["deepwordbug", "textfooler"]
    assert all(recipe_skip_reason(r, "en") is None for r in RECIPES)


def test_whole_text_similarity_needs_no_modified_index(context, no_network):
    """TextBugger inserts a space inside a word, leaving newly_modified_indices empty; textattack's
    infinite-window path then raised StopIteration (seen on MR). Whole texts are compared instead."""
    from textattack.shared import AttackedText

    constraint = context.similarity_constraint(window_size=None, skip_text_shorter_than_window=False,
                                               compare_against_original=True)
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
