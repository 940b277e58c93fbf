"""Batches of word ids and their network input.

Looking table rows up per batch keeps memory at the size of the ids, not N x L x D floats.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import overload

import torch


@overload
def batches(
    ids: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    trim_padding: bool = False,
    min_length: int = 1,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]: ...
@overload
def batches(
    ids: torch.Tensor,
    labels: None,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    trim_padding: bool = False,
    min_length: int = 1,
) -> Iterator[tuple[torch.Tensor, None]]: ...
def batches(
    ids: torch.Tensor,
    labels: torch.Tensor | None,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    trim_padding: bool = False,
    min_length: int = 1,
) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """(ids, labels) batches; shuffled by a generator seeded with `seed` when asked.

    trim_padding cuts each batch to its longest non-padding length (at least min_length, e.g.
    the largest kernel). Only exact for a network whose output does not depend on trailing
    padding positions: e.g. a bias-free net whose pooling divides by the *full* L-k+1. The
    tailored DNN takes a mean over the positions present, so trimming would change its
    denominator and its output: never trim for it.
    """
    n = ids.shape[0]
    if shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    else:
        order = torch.arange(n)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        batch_ids = ids[index]
        if trim_padding:
            nonpad = (batch_ids != 0).any(dim=0).nonzero()
            length = int(nonpad.max()) + 1 if len(nonpad) else 0
            batch_ids = batch_ids[:, : min(ids.shape[1], max(length, min_length))]
        yield batch_ids, (labels[index] if labels is not None else None)


def embed(ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Network input for token ids: [B, L] -> [B, L, D] (ids moved to the table's device)."""
    return table[ids.to(table.device)]
