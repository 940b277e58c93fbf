"""The paper's [0, 1] shift: a word vector becomes firing rates.

The authors' code (digest §2.1-2.2) turns each word vector x into firing probabilities
    e' = (clip(x, mu - c*sigma, mu + c*sigma) - (mu - c*sigma)) / (2*c*sigma),   c = 3,
with mu, sigma two scalars over every entry of the whole pre-trained table, and feeds e'
to a Bernoulli draw at each time step (snntext.coding.rate).
"""

from __future__ import annotations

import numpy as np


def table_statistics(matrix: np.ndarray, chunk_rows: int = 65536) -> tuple[float, float]:
    """Global mean and (population) standard deviation of all entries of `matrix`, in float64.

    Two passes over row chunks, so a 400k x 300 float32 table is never copied whole to float64.
    """
    matrix = np.asarray(matrix)
    if matrix.size == 0:
        raise ValueError("table_statistics: empty matrix")
    rows = matrix.reshape(matrix.shape[0], -1) if matrix.ndim > 1 else matrix.reshape(-1, 1)
    total = 0.0
    for start in range(0, rows.shape[0], chunk_rows):
        total += float(rows[start : start + chunk_rows].sum(dtype=np.float64))
    mean = total / matrix.size
    squares = 0.0
    for start in range(0, rows.shape[0], chunk_rows):
        centred = rows[start : start + chunk_rows].astype(np.float64) - mean
        squares += float(np.einsum("ij,ij->", centred, centred))
    return mean, float(np.sqrt(squares / matrix.size))


def shift_to_unit_interval(x: np.ndarray, mean: float, std: float, clip_sigma: float = 3.0) -> np.ndarray:
    """Clip at mean +- clip_sigma*std, then map that window linearly onto [0, 1] (float32)."""
    if not std > 0:
        raise ValueError(f"shift_to_unit_interval: std must be positive, got {std}")
    if not clip_sigma > 0:
        raise ValueError(f"shift_to_unit_interval: clip_sigma must be positive, got {clip_sigma}")
    low, width = mean - clip_sigma * std, 2.0 * clip_sigma * std
    clipped = np.clip(np.asarray(x, dtype=np.float64), low, mean + clip_sigma * std)
    return ((clipped - low) / width).astype(np.float32)
