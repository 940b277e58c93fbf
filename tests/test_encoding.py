"""The [0,1] shift, the dataset table and ids, and Bernoulli rate coding."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

from snntext.encoding import (PAD, UNK, build_dataset_table, build_vocab, encode_ids, rate_code_mean, rate_spikes,
                              shift_to_unit_interval, table_statistics, vocab_index)


def test_statistics_are_global_scalars_not_per_dimension():
    matrix = np.array([[0.0, 10.0], [2.0, 20.0]], dtype=np.float32)
    mean, std = table_statistics(matrix, chunk_rows=1)  # chunking must not change the result
    assert isinstance(mean, float) and isinstance(std, float)
    assert mean == pytest.approx(8.0)  # (0 + 10 + 2 + 20) / 4
    assert std == pytest.approx(np.sqrt(((0 - 8) ** 2 + (10 - 8) ** 2 + (2 - 8) ** 2 + (20 - 8) ** 2) / 4))


def test_statistics_in_float64():
    # float32 accumulation of 1e6 entries of 1 + 1e-4 would drift; float64 keeps 1e-9 accuracy
    matrix = np.full((1000, 1000), 1.0001, dtype=np.float32)
    mean, std = table_statistics(matrix)
    assert mean == pytest.approx(float(np.float32(1.0001)), abs=1e-9)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_shift_by_hand():
    mean, std = 1.0, 2.0  # window [1 - 6, 1 + 6] = [-5, 7], width 12
    x = np.array([-100.0, -5.0, -2.0, 1.0, 4.0, 7.0, 100.0])
    expected = np.array([0.0, 0.0, 3 / 12, 0.5, 9 / 12, 1.0, 1.0], dtype=np.float32)
    out = shift_to_unit_interval(x, mean, std, clip_sigma=3.0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-7)


def test_shift_clip_sigma_sets_window():
    out = shift_to_unit_interval(np.array([0.0, 1.0, 2.0, -3.0]), mean=0.0, std=1.0, clip_sigma=2.0)
    np.testing.assert_allclose(out, [0.5, 0.75, 1.0, 0.0], atol=1e-7)


def test_shift_rejects_zero_std():
    with pytest.raises(ValueError, match="std must be positive"):
        shift_to_unit_interval(np.zeros(2), 0.0, 0.0)


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


def test_rate_spikes_deterministic_binary_and_shaped():
    rates = torch.rand(2, 3, 4, generator=torch.Generator().manual_seed(1))
    first = rate_spikes(rates, 5, torch.Generator().manual_seed(7))
    second = rate_spikes(rates, 5, torch.Generator().manual_seed(7))
    other = rate_spikes(rates, 5, torch.Generator().manual_seed(8))
    assert first.shape == (5, 2, 3, 4) and first.dtype == rates.dtype and first.device == rates.device
    assert torch.equal(first, second) and not torch.equal(first, other)
    assert set(first.unique().tolist()) <= {0.0, 1.0}


def test_rate_code_mean_is_the_mean_of_that_many_spike_steps():
    """Binomial(T, x) / T has the law of rate_spikes(x, T).mean(0): same mean and variance x(1-x)/T."""
    rates = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).expand(20_000, 5)
    coded = rate_code_mean(rates, 10, torch.Generator().manual_seed(0))
    assert coded.shape == rates.shape and coded.dtype == rates.dtype
    assert torch.equal(coded * 10, torch.round(coded * 10))
    assert torch.all(coded[:, 0] == 0) and torch.all(coded[:, 4] == 1)
    spikes = rate_spikes(rates, 10, torch.Generator().manual_seed(1)).mean(0)
    torch.testing.assert_close(coded.mean(0), spikes.mean(0), atol=0.01, rtol=0)
    torch.testing.assert_close(coded.var(0), rates[0] * (1 - rates[0]) / 10, atol=0.002, rtol=0)
    torch.testing.assert_close(spikes.var(0), rates[0] * (1 - rates[0]) / 10, atol=0.002, rtol=0)
    assert torch.equal(coded, rate_code_mean(rates, 10, torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError, match="timesteps must be positive"):
        rate_code_mean(rates, 0, torch.Generator())


def test_rate_spikes_mean_matches_rate_and_extremes_are_exact():
    rates = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0])
    spikes = rate_spikes(rates.expand(400, 5), 50, torch.Generator().manual_seed(0))  # 20,000 draws per rate
    observed = spikes.mean(dim=(0, 1))
    assert observed[0] == 0.0 and observed[4] == 1.0  # padding never spikes, rate 1 always does
    torch.testing.assert_close(observed, rates, atol=0.015, rtol=0)  # > 5 standard errors
    # fresh draws per step: steps are not copies of each other
    assert not torch.equal(spikes[0], spikes[1])
