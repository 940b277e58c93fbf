"""How a shifted word vector becomes input firing rates: the paper's shift, or a signed two-channel code.

The SNN's energy is T x input rate x dense ops, and under the paper's shift every dimension of every
word sits near rate 0.5 (the window's middle is the table's mean), so half the input neuron-steps spike
whatever the word. With zero-sum filters (train_dnn.zero_sum_filters) that constant half carries no
information: it costs spikes and adds Bernoulli noise. The signed code spends spikes only on how far a
value is from the mean: each dimension becomes two channels, the positive and the negative part of
z / c (z the standardised, clipped value, c = embed.clip_sigma), so a value at the mean never spikes and
the table has 2D columns. From the shifted value s = 0.5 + z / (2c): positive = max(2s - 1, 0),
negative = max(1 - 2s, 0). Rows that never spike under the shift (padding; unknown words under
embed.oov zero) stay silent.
"""

from __future__ import annotations

import numpy as np

from snntext.core.config import INPUT_CODES


def signed_table(shifted: np.ndarray) -> np.ndarray:
    """float32 [V, 2D] signed rates (positive parts, then negative parts) from a [V, D] shifted table."""
    shifted = np.asarray(shifted, dtype=np.float32)
    if shifted.ndim != 2:
        raise ValueError(f"signed_table: expected a [V, D] table, got shape {shifted.shape}")
    centred = 2.0 * shifted - 1.0
    table = np.concatenate([np.maximum(centred, 0.0), np.maximum(-centred, 0.0)], axis=1).astype(np.float32)
    table[~shifted.any(axis=1)] = 0.0  # padding and silent unknown words
    return table


def apply_input_code(shifted: np.ndarray, code: str) -> np.ndarray:
    """The dataset table under `code` (embed.code): the shifted table itself, or its signed form."""
    if code not in INPUT_CODES:
        raise ValueError(f"apply_input_code: code must be one of {INPUT_CODES}, got {code!r}")
    return shifted if code == "shift" else signed_table(shifted)
