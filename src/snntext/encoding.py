"""From words to firing rates to spikes: the [0,1] shift, the dataset table and ids, rate coding.

The authors' code (digest §2.1-2.2) turns each word vector x into firing probabilities
    e' = (clip(x, mu - c*sigma, mu + c*sigma) - (mu - c*sigma)) / (2*c*sigma),   c = 3,
with mu, sigma two scalars over every entry of the whole pre-trained table, and feeds e'
to a Bernoulli draw at each time step. Padding is the zero vector (never spikes); an
unknown word is the shift of the raw zero vector (about 0.5 everywhere, "paper") or,
optionally, zeros like padding ("zero").

A dataset is stored as int32 word ids plus one float32 table of shifted vectors; spike
trains are drawn on the fly from the table (rate_spikes), never written to disk.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from snntext.config import OOV_POLICIES

if TYPE_CHECKING:  # torch is imported where spikes are drawn, so the embed stage does not pay its import time
    import torch

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1


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
        total += float(rows[start:start + chunk_rows].sum(dtype=np.float64))
    mean = total / matrix.size
    squares = 0.0
    for start in range(0, rows.shape[0], chunk_rows):
        centred = rows[start:start + chunk_rows].astype(np.float64) - mean
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


def build_vocab(token_lists: Iterable[Sequence[str]], known) -> list[str]:
    """Row tokens of a dataset table: <pad>, <unk>, then every token with a vector.

    `known` is anything supporting `in` (a KeyedVectors' key_to_index). Tokens are ordered
    by descending frequency, ties alphabetically, so the table is the same on every run.
    Unknown tokens get no row: they all share the <unk> row (id 1).
    """
    counts = Counter(token for tokens in token_lists for token in tokens)
    counts.pop(PAD, None)
    counts.pop(UNK, None)
    words = sorted((t for t in counts if t in known), key=lambda t: (-counts[t], t))
    return [PAD, UNK, *words]


def build_dataset_table(vocab: Sequence[str], kv, mean: float, std: float,
                        clip_sigma: float = 3.0, oov: str = "paper") -> np.ndarray:
    """float32 [len(vocab), D] table of firing rates: row 0 padding (zeros), row 1 OOV, then words.

    oov="paper": the OOV row is the shift of the raw zero vector (the authors' choice);
    oov="zero": zeros, so unknown words never spike. A vocabulary token without a vector
    also gets the OOV row.
    """
    if oov not in OOV_POLICIES:
        raise ValueError(f"build_dataset_table: oov must be one of {OOV_POLICIES}, got {oov!r}")
    if len(vocab) < 2 or vocab[PAD_ID] != PAD or vocab[UNK_ID] != UNK:
        raise ValueError(f"build_dataset_table: vocab must start with {PAD!r}, {UNK!r}")
    dim = kv.vector_size
    oov_row = (shift_to_unit_interval(np.zeros(dim), mean, std, clip_sigma) if oov == "paper"
               else np.zeros(dim, dtype=np.float32))
    table = np.empty((len(vocab), dim), dtype=np.float32)
    table[PAD_ID] = 0.0
    table[UNK_ID] = oov_row
    rows = [kv.key_to_index.get(token, -1) for token in vocab[2:]]
    found = np.array([r >= 0 for r in rows], dtype=bool)
    if len(rows):
        raw = kv.vectors[np.array([max(r, 0) for r in rows], dtype=np.int64)]
        shifted = shift_to_unit_interval(raw, mean, std, clip_sigma)
        shifted[~found] = oov_row
        table[2:] = shifted
    return table


def vocab_index(vocab: Sequence[str]) -> dict[str, int]:
    """token -> row id of a vocab list."""
    return {token: i for i, token in enumerate(vocab)}


def encode_ids(token_lists: Iterable[Sequence[str]], index: dict[str, int], max_len: int) -> np.ndarray:
    """int32 [N, max_len] ids: the first max_len tokens, unknown -> 1 (<unk>), post-padded with 0."""
    if max_len <= 0:
        raise ValueError(f"encode_ids: max_len must be positive, got {max_len}")
    rows = [[index.get(token, UNK_ID) for token in tokens[:max_len]] for tokens in token_lists]
    ids = np.full((len(rows), max_len), PAD_ID, dtype=np.int32)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = row
    return ids


def rate_spikes(rates: "torch.Tensor", timesteps: int, generator: "torch.Generator") -> "torch.Tensor":
    """Rate coding: [T, *rates.shape] spikes, each an independent Bernoulli(rate) draw per step.

    Draws come from `generator` (which must live on rates' device), so a seed fixes them;
    rates are clamped to [0, 1] as snntorch's spikegen.rate does. Same dtype and device as rates.
    """
    import torch  # here, so the embed stage (no spikes) does not pay torch's import time

    if timesteps <= 0:
        raise ValueError(f"rate_spikes: timesteps must be positive, got {timesteps}")
    noise = torch.rand((timesteps, *rates.shape), generator=generator, device=rates.device, dtype=rates.dtype)
    return (noise < rates.clamp(0.0, 1.0)).to(rates.dtype)


def rate_code_mean(rates: "torch.Tensor", timesteps: int, generator: "torch.Generator") -> "torch.Tensor":
    """What T steps of rate coding deliver, as one tensor: the mean of `timesteps` Bernoulli(rate)
    draws per value, drawn at once as Binomial(T, rate) / T (same shape, dtype and device as rates).

    A layer without a bias sums its input linearly over the steps, so the SNN's first layer sees
    exactly this; the DNN is scored on it (the rate code's own cost) and may be trained on it."""
    import torch

    if timesteps <= 0:
        raise ValueError(f"rate_code_mean: timesteps must be positive, got {timesteps}")
    return torch.binomial(torch.full_like(rates, float(timesteps)), rates, generator=generator) / timesteps
