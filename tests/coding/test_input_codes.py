"""The input codes: the signed code keeps what the shift says about each value and drops its constant half."""

from __future__ import annotations

import numpy as np
import pytest

from snntext.coding.input_codes import apply_input_code, signed_table
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
    with pytest.raises(ValueError, match="shift, signed|'shift', 'signed'"):
        apply_input_code(shifted, "binary")
