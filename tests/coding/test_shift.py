"""The [0, 1] shift: global scalar statistics, the clip window, the linear map."""

from __future__ import annotations

import numpy as np
import pytest

from snntext.coding.shift import shift_to_unit_interval, table_statistics


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
