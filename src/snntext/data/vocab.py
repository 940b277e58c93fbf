"""A dataset as word ids over one table of firing rates.

A dataset is stored as int32 word ids plus one float32 table of shifted vectors (snntext.coding.shift).
Padding is the zero vector (never spikes); an unknown word is the shift of the raw zero vector
(about 0.5 everywhere, "paper") or, optionally, zeros like padding ("zero").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from snntext.coding.shift import shift_to_unit_interval
from snntext.core.config import OOV_POLICIES

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1


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


def build_dataset_table(
    vocab: Sequence[str], kv, mean: float, std: float, clip_sigma: float = 3.0, oov: str = "paper"
) -> np.ndarray:
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
    oov_row = (
        shift_to_unit_interval(np.zeros(dim), mean, std, clip_sigma)
        if oov == "paper"
        else np.zeros(dim, dtype=np.float32)
    )
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
        ids[i, : len(row)] = row
    return ids
