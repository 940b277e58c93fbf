"""Reading the embed stage's output as tensors: ids per split and the shared table of rates.

The embed stage writes data/embedded/<dataset>/ids.npz (token ids per split, 0 = padding)
and table.npy (the input-coded vectors, row 0 = padding zeros). A network's input is the
table lookup table[ids]: [B, L, D] (snntext.data.batching).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from snntext.core.config import SPLITS
from snntext.core.errors import SnntextError

IDS_FILE = "ids.npz"
TABLE_FILE = "table.npy"
META_FILE = "meta.json"


@dataclass
class Split:
    ids: torch.Tensor  # int64 [N, L], 0 = padding
    labels: torch.Tensor  # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class EmbeddedData:
    """One data set as the networks see it: ids per split plus the shared vector table."""

    train: Split
    dev: Split
    test: Split
    table: torch.Tensor  # float32 [V, D] in [0, 1]
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
