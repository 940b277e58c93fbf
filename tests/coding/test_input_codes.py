"""The input codes: the signed code keeps what the shift says about each value and drops its constant half."""

from __future__ import annotations

import numpy as np
import pytest

from snntext.coding.input_codes import apply_input_code, signed_table, spike_code
from snntext.coding.shift import shift_to_unit_interval


def test_signed_parts_are_the_clipped_standardised_value_over_c():
    raw = np.array([[0.0, 3.0, -1.5, 0.75], [10.0, -10.0, 1.5, -0.3]])
    shifted = shift_to_unit_interval(raw, 0.0, 1.0, clip_sigma=1.5)
    table = signed_table(shifted)
    z = np.clip(raw, -1.5, 1.5) / 1.5
    assert table.shape == (2, 8) and table.dtype == np.float32
    np.testing.assert_allclose(table[:, :4], np.maximum(z, 0), atol=1e-6)
    np.testing.assert_allclose(table[:, 4:], np.maximum(-z, 0), atol=1e-6)
    # the difference of the two channels is the centred shift: what a zero-sum filter sees of the shift code
    np.testing.assert_allclose(table[:, :4] - table[:, 4:], 2 * shifted - 1, atol=1e-6)


def test_a_value_at_the_mean_never_spikes_and_silent_rows_stay_silent():
    shifted = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.0, 0.5, 1.0]], dtype=np.float32)
    table = signed_table(shifted)
    assert not table[0].any()  # padding / oov zero: not the negative extreme
    assert not table[1].any()  # the mean: no spikes at all
    np.testing.assert_allclose(table[2], [0, 0, 1, 1, 0, 0])  # s = 0 in a real row is a full negative part


def test_signed_rates_are_lower_than_the_shift_for_gaussian_values():
    raw = np.random.default_rng(0).normal(size=(2000, 50))
    shifted = shift_to_unit_interval(raw, 0.0, 1.0, clip_sigma=3.0)
    per_dimension = signed_table(shifted).sum(axis=1).mean() / 50
    assert shifted.mean() == pytest.approx(0.5, abs=0.01)
    assert per_dimension == pytest.approx(np.sqrt(2 / np.pi) / 3, abs=0.01)  # E|z| / c, about half the shift's 0.5


def test_apply_input_code():
    shifted = np.array([[0.25, 0.75]], dtype=np.float32)
    assert apply_input_code(shifted, "shift") is shifted
    np.testing.assert_allclose(apply_input_code(shifted, "signed"), [[0, 0.5, 0.5, 0]])
    with pytest.raises(ValueError, match="one of"):
        apply_input_code(shifted, "binary")


def _old_signed_table(shifted: np.ndarray) -> np.ndarray:
    """The signed code as it was before embed.dead_zone (commit 26fcac5), for the byte-for-byte check."""
    shifted = np.asarray(shifted, dtype=np.float32)
    centred = 2.0 * shifted - 1.0
    table = np.concatenate([np.maximum(centred, 0.0), np.maximum(-centred, 0.0)], axis=1).astype(np.float32)
    table[~shifted.any(axis=1)] = 0.0
    return table


def _gaussian_shifted(clip: float = 1.5, rows: int = 500, dim: int = 50) -> np.ndarray:
    raw = np.random.default_rng(1).normal(size=(rows, dim))
    shifted = shift_to_unit_interval(raw, 0.0, 1.0, clip_sigma=clip)
    shifted[0] = 0.0  # padding
    return shifted


def test_dead_zone_zero_is_the_signed_code_byte_for_byte():
    shifted = _gaussian_shifted()
    old = _old_signed_table(shifted).tobytes()
    assert signed_table(shifted).tobytes() == old
    assert signed_table(shifted, 0.0, 1.5).tobytes() == old
    assert apply_input_code(shifted, "signed", dead_zone=0.0, clip_sigma=1.5).tobytes() == old
    assert apply_input_code(shifted, "latency").tobytes() == old  # latency times its spikes from the same table


def test_values_inside_the_dead_zone_are_silent_and_the_rest_is_restretched():
    clip, delta = 1.5, 0.5
    raw = np.array([[0.0, 0.2, -0.5, 0.5, 0.8, -1.0, 1.5, -3.0]])
    table = signed_table(shift_to_unit_interval(raw, 0.0, 1.0, clip_sigma=clip), delta, clip)
    z = np.clip(raw[0], -clip, clip)
    expected = np.maximum(np.abs(z) - delta, 0) / (clip - delta)
    np.testing.assert_allclose(table[0, :8], np.where(z > 0, expected, 0), atol=1e-6)
    np.testing.assert_allclose(table[0, 8:], np.where(z < 0, expected, 0), atol=1e-6)
    assert not table[0, [0, 1, 2, 3, 8, 9, 10, 11]].any()  # |z| <= delta: both channels silent
    assert table[0, 6] == pytest.approx(1.0) and table[0, 15] == pytest.approx(1.0)  # the clip still reaches 1
    assert table.min() >= 0 and table.max() <= 1


def test_the_dead_zone_code_is_continuous_and_monotone_in_z():
    clip, delta = 3.0, 0.75
    z = np.linspace(-4, 4, 8001)
    table = signed_table(shift_to_unit_interval(z[None, :], 0.0, 1.0, clip_sigma=clip), delta, clip)
    value = table[0, : len(z)] - table[0, len(z) :]  # the signed value: positive minus negative part
    steps = np.diff(value)
    assert np.all(steps >= -1e-6)  # monotone
    assert np.abs(steps).max() < 1.5 * (z[1] - z[0]) / (clip - delta)  # no jump, at the zone's edge either
    assert np.all(value[np.abs(z) <= delta - 1e-3] == 0)


def test_a_dead_zone_silences_a_share_of_gaussian_values():
    shifted = _gaussian_shifted(clip=3.0, rows=2000)
    plain, zoned = signed_table(shifted), signed_table(shifted, 0.5, 3.0)
    silent = (zoned[1:, :50] == 0) & (zoned[1:, 50:] == 0)
    assert silent.mean() == pytest.approx(0.383, abs=0.01)  # P(|z| <= 0.5) for a standard normal
    assert zoned.sum() < plain.sum()


def test_dead_zone_refusals():
    shifted = np.array([[0.25, 0.75]], dtype=np.float32)
    with pytest.raises(ValueError, match="shift code has no dead zone"):
        apply_input_code(shifted, "shift", dead_zone=0.5, clip_sigma=1.5)
    with pytest.raises(ValueError, match="needs a clip_sigma above it"):
        signed_table(shifted, 0.5)
    with pytest.raises(ValueError, match="needs a clip_sigma above it"):
        signed_table(shifted, 1.5, 1.5)
    with pytest.raises(ValueError, match="must be >= 0"):
        signed_table(shifted, -0.1, 1.5)


def test_spike_code_of_each_input_code():
    assert [spike_code(code) for code in ("shift", "signed", "latency")] == ["rate", "rate", "latency"]
    with pytest.raises(ValueError):
        spike_code("binary")
