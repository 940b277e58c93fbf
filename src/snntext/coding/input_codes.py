"""How a shifted word vector becomes input values in [0, 1]: the paper's shift, the signed two-channel code,
the signed code with a dead zone, and the table the latency code times its spikes from.

The SNN's energy is T x input rate x dense ops, and under the paper's shift every dimension of every
word sits near rate 0.5 (the window's middle is the table's mean), so half the input neuron-steps spike
whatever the word. With zero-sum filters (train_dnn.zero_sum_filters) that constant half carries no
information: it costs spikes and adds Bernoulli noise. The signed code spends spikes only on how far a
value is from the mean: each dimension becomes two channels, the positive and the negative part of
z / c (z the standardised, clipped value, c = embed.clip_sigma), so a value at the mean never spikes and
the table has 2D columns. From the shifted value s = 0.5 + z / (2c): positive = max(2s - 1, 0),
negative = max(1 - 2s, 0). Rows that never spike under the shift (padding; unknown words under
embed.oov zero) stay silent.

Dead zone (embed.dead_zone = delta, in units of sigma, 0 <= delta < c): values within delta sigma of the
mean are silent on both channels, and beyond it each channel is re-stretched to stay continuous and
still reach 1 at the clip:
    positive = max(z - delta, 0) / (c - delta),   negative = max(-z - delta, 0) / (c - delta),
so |z| = delta maps to 0 and |z| = c to 1 (values under EDGE_TOLERANCE above 0 count as 0, so the edge's
float32 rounding stays silent). delta = 0 is the plain signed code, to the byte.

The latency code (embed.code latency) uses this same signed table (dead zone included): its values set
when each channel fires, once (snntext.coding.latency), instead of a firing rate.
"""

from __future__ import annotations

import numpy as np

from snntext.core.config import INPUT_CODES

# A value this close above the dead zone's edge counts as inside it: the float32 shift puts |z| = delta a few
# 1e-8 either side of the edge, and under the latency code any value > 0 costs a spike. Far below the
# smallest value a code resolves (1 / T for T <= 1000).
EDGE_TOLERANCE = 1e-6


def signed_table(shifted: np.ndarray, dead_zone: float = 0.0, clip_sigma: float | None = None) -> np.ndarray:
    """float32 [V, 2D] signed values (positive parts, then negative parts) from a [V, D] shifted table.

    dead_zone: delta in units of sigma (needs the window's clip_sigma c, delta < c): |z| <= delta gives 0
    on both channels, beyond it (|z| - delta) / (c - delta) (module docstring)."""
    shifted = np.asarray(shifted, dtype=np.float32)
    if shifted.ndim != 2:
        raise ValueError(f"signed_table: expected a [V, D] table, got shape {shifted.shape}")
    if not dead_zone >= 0:
        raise ValueError(f"signed_table: dead_zone must be >= 0, got {dead_zone}")
    centred = 2.0 * shifted - 1.0  # z / c
    if dead_zone > 0:
        if clip_sigma is None or not dead_zone < clip_sigma:
            raise ValueError(f"signed_table: dead_zone ({dead_zone}) needs a clip_sigma above it, got {clip_sigma}")
        share = dead_zone / clip_sigma  # delta / c, the dead zone on the z / c scale
        magnitude = np.maximum(np.abs(centred.astype(np.float64)) - share, 0.0) / (1.0 - share)
        magnitude[magnitude < EDGE_TOLERANCE] = 0.0  # the float32 shift's rounding at the edge: inside
        centred = (np.sign(centred) * np.minimum(magnitude, 1.0)).astype(np.float32)
    table = np.concatenate([np.maximum(centred, 0.0), np.maximum(-centred, 0.0)], axis=1).astype(np.float32)
    table[~shifted.any(axis=1)] = 0.0  # padding and silent unknown words
    return table


def apply_input_code(
    shifted: np.ndarray, code: str, *, dead_zone: float = 0.0, clip_sigma: float | None = None
) -> np.ndarray:
    """The dataset table under `code` (embed.code): the shifted table itself, or its signed form (the signed
    and latency codes), with a dead zone of `dead_zone` sigma (embed.dead_zone; not with the shift)."""
    if code not in INPUT_CODES:
        raise ValueError(f"apply_input_code: code must be one of {INPUT_CODES}, got {code!r}")
    if code == "shift":
        if dead_zone:
            raise ValueError(f"apply_input_code: the shift code has no dead zone, got dead_zone {dead_zone}")
        return shifted
    return signed_table(shifted, dead_zone, clip_sigma)


def spike_code(code: str) -> str:
    """How the SNN's input layer spikes under the table's input code: "latency" for the latency code,
    else "rate" (Bernoulli draws): a SpikingTextCNN's input_code (snntext.coding.spike_codes)."""
    if code not in INPUT_CODES:
        raise ValueError(f"spike_code: code must be one of {INPUT_CODES}, got {code!r}")
    return "latency" if code == "latency" else "rate"
