"""The dataset's vocabulary, its table of rates and its word ids."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from snntext.data.vocab import PAD, UNK, build_dataset_table, build_vocab, encode_ids, vocab_index


def _kv(words, matrix):
    matrix = np.asarray(matrix, dtype=np.float32)
    kv = KeyedVectors(vector_size=matrix.shape[1])
    kv.add_vectors(words, matrix)
    return kv


def test_vocab_keeps_known_tokens_by_frequency():
    vocab = build_vocab([["b", "a", "zz"], ["a", "c", "b"], ["a"]], {"a", "b", "c"})
    assert vocab == [PAD, UNK, "a", "b", "c"]


@pytest.mark.parametrize("oov", ["paper", "zero"])
def test_table_rows_padding_oov_and_words(oov):
    kv = _kv(["a", "b"], [[1.0, -5.0], [100.0, 0.0]])
    mean, std = 1.0, 2.0
    table = build_dataset_table([PAD, UNK, "b", "a"], kv, mean, std, 3.0, oov)
    assert table.dtype == np.float32 and table.shape == (4, 2)
    assert np.array_equal(table[0], np.zeros(2)) and not np.signbit(table[0]).any()
    expected_oov = [0.5 - 1 / 12, 0.5 - 1 / 12] if oov == "paper" else [0.0, 0.0]  # raw zero vector shifted
    np.testing.assert_allclose(table[1], expected_oov, atol=1e-7)
    np.testing.assert_allclose(table[2], [1.0, 5 / 12], atol=1e-7)
    np.testing.assert_allclose(table[3], [0.5, 0.0], atol=1e-7)


def test_table_gives_unknown_vocab_token_the_oov_row():
    kv = _kv(["a"], [[1.0, 1.0]])
    table = build_dataset_table([PAD, UNK, "a", "missing"], kv, 0.0, 1.0, 3.0, "paper")
    np.testing.assert_array_equal(table[3], table[1])


def test_table_rejects_bad_policy_and_vocab_head():
    kv = _kv(["a"], [[1.0, 1.0]])
    with pytest.raises(ValueError, match="oov must be one of"):
        build_dataset_table([PAD, UNK], kv, 0.0, 1.0, 3.0, "half")
    with pytest.raises(ValueError, match="must start with"):
        build_dataset_table(["a", PAD, UNK], kv, 0.0, 1.0, 3.0, "paper")


def test_encode_ids_truncates_pads_and_maps_unknown():
    index = vocab_index([PAD, UNK, "a", "b"])
    ids = encode_ids([["a", "b", "x", "a", "b"], ["b"], []], index, max_len=3)
    assert ids.dtype == np.int32
    np.testing.assert_array_equal(ids, [[2, 3, 1], [3, 0, 0], [0, 0, 0]])
