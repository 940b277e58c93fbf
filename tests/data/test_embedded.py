"""Reading the embed stage's output: every split, and errors that name the file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from snntext.core.errors import SnntextError
from snntext.data.embedded import load_embedded


def write_embedded(folder, *, max_len=6, vocab=5, dim=3, sizes=(8, 4, 4), seed=0):
    """A tiny data/embedded/<dataset>/ folder of the embed stage's format."""
    rng = np.random.default_rng(seed)
    table = rng.random((vocab, dim)).astype(np.float32)
    table[0] = 0.0
    arrays = {}
    for split, n in zip(("train", "dev", "test"), sizes):
        ids = rng.integers(1, vocab, size=(n, max_len)).astype(np.int32)
        lengths = rng.integers(1, max_len + 1, size=n)
        ids[np.arange(max_len)[None, :] >= lengths[:, None]] = 0
        arrays[f"{split}_ids"] = ids
        arrays[f"{split}_labels"] = rng.integers(0, 2, size=n).astype(np.int64)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "ids.npz", **arrays)
    np.save(folder / "table.npy", table)
    (folder / "meta.json").write_text(json.dumps({"labels": ["neg", "pos", "neutral"]}))
    return arrays, table


def test_load_embedded_reads_every_split(tmp_path):
    arrays, table = write_embedded(tmp_path / "toy")
    data = load_embedded(tmp_path / "toy")
    for split in ("train", "dev", "test"):
        assert data.split(split).ids.dtype == torch.int64
        assert np.array_equal(data.split(split).ids.numpy(), arrays[f"{split}_ids"])
        assert np.array_equal(data.split(split).labels.numpy(), arrays[f"{split}_labels"])
    assert torch.equal(data.table, torch.from_numpy(table))
    assert (data.max_len, data.embedding_dim, data.num_classes) == (6, 3, 3)  # classes from meta labels


def test_load_embedded_errors_name_the_file(tmp_path):
    with pytest.raises(SnntextError, match="ids.npz.*embed stage"):
        load_embedded(tmp_path / "absent")
    arrays, table = write_embedded(tmp_path / "toy")
    arrays["dev_ids"][0, 0] = 99
    np.savez(tmp_path / "toy" / "ids.npz", **arrays)
    with pytest.raises(SnntextError, match="ids.npz: dev_ids holds ids outside"):
        load_embedded(tmp_path / "toy")
    arrays["dev_ids"][0, 0] = 1
    del arrays["test_labels"]
    np.savez(tmp_path / "toy" / "ids.npz", **arrays)
    with pytest.raises(SnntextError, match="missing array test_ids or test_labels"):
        load_embedded(tmp_path / "toy")
