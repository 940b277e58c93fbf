"""Work shared between attacks on one example gives what the uncached computation gives."""

from __future__ import annotations

import numpy as np
import pytest

from snntext.attack.caching import CachedSentenceModel


class CountingEncoder:
    """Stand-in SentenceTransformer: a deterministic vector per string, and a log of what it encoded."""

    def __init__(self):
        self.calls: list[list[str]] = []
        self.device = "cpu"

    def encode(self, sentences):
        self.calls.append(list(sentences))
        return np.array([[len(s), sum(map(ord, s)) % 97] for s in sentences], dtype=np.float32)


def test_cached_encoder_returns_the_models_vectors_and_encodes_each_string_once():
    model = CountingEncoder()
    cached = CachedSentenceModel(model)
    first = cached.encode(["a cat", "a dog", "a cat"])
    np.testing.assert_array_equal(first, model.encode(["a cat", "a dog", "a cat"]))
    second = cached.encode(["a dog", "a bird"])
    np.testing.assert_array_equal(second, model.encode(["a dog", "a bird"]))
    assert model.calls[0] == ["a cat", "a dog"] and model.calls[2] == ["a bird"]
    assert cached.encoded == 3 and cached.requested == 5
    assert cached.device == "cpu"  # everything else is the wrapped model's


def test_cleared_cache_encodes_again():
    model = CountingEncoder()
    cached = CachedSentenceModel(model)
    cached.encode(["x"])
    cached.clear()
    cached.encode(["x"])
    assert model.calls == [["x"], ["x"]]


def test_cached_encoder_refuses_options_it_would_ignore():
    with pytest.raises(TypeError, match="convert_to_tensor"):
        CachedSentenceModel(CountingEncoder()).encode(["x"], convert_to_tensor=True)


def test_recipe_caches_survive_an_attack_but_not_clear(offline_resources, tiny_pipeline):
    from snntext.attack.caching import RecipeCaches
    from snntext.attack.recipes import RecipeContext, build_attack, build_word_embedding
    from snntext.attack.wrappers import DNNWrapper, TextEncoder

    encoder = TextEncoder.from_embedded(tiny_pipeline["embedded"], vectors=tiny_pipeline["vectors"])
    wrapper = DNNWrapper(tiny_pipeline["dnn"], encoder)
    ctx = RecipeContext(language="zh", embedding=build_word_embedding(tiny_pipeline["vectors"], pool=100))
    attack = build_attack("textfooler", wrapper, ctx)
    caches = RecipeCaches()
    caches.attach(attack)
    attack.attack("the movie is good and the cast is great", 1)
    assert len(caches.constraints) > 0
    assert len(attack.goal_function._call_model_cache) == 0  # the model's own cache is still emptied
    caches.clear()
    assert len(caches.constraints) == 0 and len(caches.transformations) == 0


WORD_SPLIT_SAMPLES = [
    "it 's a charming , if uneven , film",
    "'quoted' words-with-hyphens and e-mail@x.com",
    "a  spaced   out\ttext",
    "这家 外卖 送得 很快，味道 也 不错!! 就是 有点贵",
    "没有空格的中文句子也会被结巴分成词",
    "",
]


def test_memoised_word_split_gives_textattacks_words_and_a_fresh_list(offline_resources):
    from textattack.shared import attacked_text
    from textattack.shared.utils import strings

    from snntext.attack.caching import memoise_word_splitting

    memoise_word_splitting(False)
    original = strings.words_from_text
    expected = [original(s) for s in WORD_SPLIT_SAMPLES]
    ignoring = original(WORD_SPLIT_SAMPLES[0], ["film"])
    try:
        memoise_word_splitting(True)
        assert attacked_text.words_from_text is not original
        for _ in range(2):  # a miss, then a hit
            assert [attacked_text.words_from_text(s) for s in WORD_SPLIT_SAMPLES] == expected
        words = strings.words_from_text(WORD_SPLIT_SAMPLES[0])
        words.append("mutated")  # a caller's edit must not reach the memo
        assert strings.words_from_text(WORD_SPLIT_SAMPLES[0]) == expected[0]
        assert strings.words_from_text(WORD_SPLIT_SAMPLES[0], ["film"]) == ignoring
        assert attacked_text.AttackedText(WORD_SPLIT_SAMPLES[3]).words == expected[3]
    finally:
        memoise_word_splitting(False)
    assert attacked_text.words_from_text is original and strings.words_from_text is original


def test_memoised_jieba_blocks_segment_as_jieba_does(offline_resources):
    import jieba

    from snntext.attack.caching import memoise_word_splitting

    memoise_word_splitting(False)
    expected = [jieba.lcut(s) for s in WORD_SPLIT_SAMPLES]
    try:
        memoise_word_splitting(True)
        for _ in range(2):
            assert [jieba.lcut(s) for s in WORD_SPLIT_SAMPLES] == expected
    finally:
        memoise_word_splitting(False)
    assert "_Tokenizer__cut_DAG" not in vars(jieba.dt) or jieba.dt._Tokenizer__cut_DAG.__name__ == "__cut_DAG"
