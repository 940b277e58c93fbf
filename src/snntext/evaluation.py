"""Reading the embedded data set, batching it, and scoring a classifier on it.

The embed stage writes data/embedded/<dataset>/ids.npz (token ids per split, 0 = padding)
and table.npy (the [0, 1]-shifted vectors, row 0 = padding zeros). A network's input is the
table lookup table[ids]: [B, L, D]. Looking rows up per batch keeps memory at the size of
the ids, not N x L x D floats.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn

from snntext.config import SPLITS
from snntext.errors import SnntextError

IDS_FILE = "ids.npz"
TABLE_FILE = "table.npy"
META_FILE = "meta.json"


@dataclass
class Split:
    ids: torch.Tensor      # int64 [N, L], 0 = padding
    labels: torch.Tensor   # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class EmbeddedData:
    """One data set as the networks see it: ids per split plus the shared vector table."""

    train: Split
    dev: Split
    test: Split
    table: torch.Tensor    # float32 [V, D] in [0, 1]
    meta: dict = field(default_factory=dict)

    def split(self, name: str) -> Split:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; expected one of {SPLITS}")
        return getattr(self, name)

    @property
    def max_len(self) -> int:
        return self.train.ids.shape[1]

    @property
    def embedding_dim(self) -> int:
        return self.table.shape[1]

    @property
    def num_classes(self) -> int:
        """From meta.json's `labels` when given, else 1 + the largest label seen."""
        labels = self.meta.get("labels")
        if labels:
            return len(labels)
        return int(max(int(s.labels.max()) for s in (self.train, self.dev, self.test))) + 1


def load_embedded(dataset_dir: str | Path) -> EmbeddedData:
    """Read ids.npz, table.npy and meta.json of one data set, checking shapes and id ranges."""
    folder = Path(dataset_dir)
    ids_path, table_path, meta_path = folder / IDS_FILE, folder / TABLE_FILE, folder / META_FILE
    for needed in (ids_path, table_path):
        if not needed.is_file():
            raise SnntextError(f"{needed}: not found; run the embed stage for this data set first")
    try:
        table = np.load(table_path)
        with np.load(ids_path) as arrays:
            raw = {key: arrays[key] for key in arrays.files}
    except (OSError, ValueError) as err:
        raise SnntextError(f"{folder}: unreadable embedded data ({err}); rerun the embed stage") from None
    meta = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise SnntextError(f"{meta_path}: not valid JSON ({err}); rerun the embed stage") from None
    if table.ndim != 2:
        raise SnntextError(f"{table_path}: expected a [V, D] table, got shape {table.shape}")
    splits = {}
    for name in SPLITS:
        ids_key, labels_key = f"{name}_ids", f"{name}_labels"
        if ids_key not in raw or labels_key not in raw:
            raise SnntextError(f"{ids_path}: missing array {ids_key} or {labels_key}; rerun the embed stage")
        ids, labels = raw[ids_key], raw[labels_key]
        if ids.ndim != 2 or labels.shape != (ids.shape[0],):
            raise SnntextError(f"{ids_path}: {ids_key} {ids.shape} and {labels_key} {labels.shape} do not match")
        if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
            raise SnntextError(f"{ids_path}: {ids_key} holds ids outside the table's {table.shape[0]} rows")
        splits[name] = Split(torch.from_numpy(ids.astype(np.int64)), torch.from_numpy(labels.astype(np.int64)))
    return EmbeddedData(**splits, table=torch.from_numpy(table.astype(np.float32)), meta=meta)


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
        index = order[start:start + batch_size]
        batch_ids = ids[index]
        if trim_padding:
            nonpad = (batch_ids != 0).any(dim=0).nonzero()
            length = int(nonpad.max()) + 1 if len(nonpad) else 0
            batch_ids = batch_ids[:, : min(ids.shape[1], max(length, min_length))]
        yield batch_ids, (labels[index] if labels is not None else None)


def embed(ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Network input for token ids: [B, L] -> [B, L, D] (ids moved to the table's device)."""
    return table[ids.to(table.device)]


@torch.no_grad()
def class_scores(model: nn.Module, ids: torch.Tensor, table: torch.Tensor, batch_size: int = 256,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    """Class scores [N, C] of a DNN on the exact rates, in eval mode (dropout off; the mode it had
    is restored), on the CPU: what `predict` takes the argmax of and the distill loss's targets."""
    was_training = model.training
    model.eval()
    table = table.to(device)
    try:
        out = [model(embed(b, table)).cpu() for b, _ in batches(ids, None, batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.empty(0, 0)


def predict(model: nn.Module, ids: torch.Tensor, table: torch.Tensor, batch_size: int, device: torch.device) -> torch.Tensor:
    """Predicted class per example: argmax of class_scores (ties: the lower class)."""
    return class_scores(model, ids, table, batch_size, device).argmax(dim=1) if len(ids) else torch.empty(0, dtype=torch.int64)


def accuracy(
    model: nn.Module, ids: torch.Tensor, labels: torch.Tensor, table: torch.Tensor, batch_size: int, device: torch.device
) -> float:
    """Share of examples whose predicted class equals the label."""
    if len(labels) == 0:
        raise ValueError("accuracy of an empty split")
    return float((predict(model, ids, table, batch_size, device) == labels.cpu()).float().mean())


def majority_class_accuracy(train_labels: torch.Tensor, eval_labels: torch.Tensor) -> float:
    """Accuracy of always answering the most frequent TRAIN class (ties: the smaller label)."""
    majority = int(torch.bincount(train_labels).argmax())
    return float((eval_labels == majority).float().mean())
