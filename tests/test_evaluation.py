"""Reading embedded data, batching, and the accuracy helpers."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from snntext.errors import SnntextError
from snntext.evaluation import (
    accuracy, batches, embed, load_embedded, majority_class_accuracy, predict,
)


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
    assert (data.max_len, data.embedding_dim, data.num_classes) == (6, 3, 3)   # classes from meta labels


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


def test_batches_cover_every_example_once_and_shuffle_by_seed():
    ids = torch.arange(10).unsqueeze(1).repeat(1, 3) + 1
    labels = torch.arange(10)
    plain = [l.tolist() for _, l in batches(ids, labels, 4)]
    assert plain == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    first = torch.cat([l for _, l in batches(ids, labels, 4, shuffle=True, seed=3)])
    again = torch.cat([l for _, l in batches(ids, labels, 4, shuffle=True, seed=3)])
    other = torch.cat([l for _, l in batches(ids, labels, 4, shuffle=True, seed=4)])
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert sorted(first.tolist()) == list(range(10))
    for batch_ids, batch_labels in batches(ids, labels, 4, shuffle=True, seed=3):
        assert torch.equal(batch_ids[:, 0] - 1, batch_labels)   # ids and labels stay paired


def test_trim_padding_cuts_to_the_longest_sentence_but_not_below_min_length():
    ids = torch.tensor([[3, 4, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0], [2, 2, 2, 2, 0, 0]])
    shapes = [b.shape[1] for b, _ in batches(ids, None, 2, trim_padding=True)]
    assert shapes == [2, 4]
    shapes = [b.shape[1] for b, _ in batches(ids, None, 2, trim_padding=True, min_length=3)]
    assert shapes == [3, 4]
    assert [b.shape[1] for b, _ in batches(ids, None, 2)] == [6, 6]


class FirstTokenClassifier(nn.Module):
    """Scores [x0, 1 - x0] from the first coordinate of the first token: deterministic and checkable."""

    def forward(self, x):
        first = x[:, 0, 0]
        return torch.stack([first, 1 - first], dim=1)


def test_accuracy_and_predict_match_a_hand_computed_answer():
    table = torch.tensor([[0.0], [0.9], [0.1]])
    ids = torch.tensor([[1, 0], [2, 1], [2, 2], [1, 1]])   # first tokens: 0.9, 0.1, 0.1, 0.9 -> 0, 1, 1, 0
    labels = torch.tensor([0, 1, 0, 0])
    model = FirstTokenClassifier().train()
    assert predict(model, ids, table, 3, torch.device("cpu")).tolist() == [0, 1, 1, 0]
    assert accuracy(model, ids, labels, table, 3, torch.device("cpu")) == pytest.approx(0.75)
    assert model.training   # the mode is restored
    assert embed(ids, table).shape == (4, 2, 1)


def test_majority_class_accuracy_uses_the_train_majority():
    train = torch.tensor([1, 1, 0, 1, 2])
    assert majority_class_accuracy(train, torch.tensor([1, 0, 0, 0])) == pytest.approx(0.25)
    assert majority_class_accuracy(torch.tensor([0, 1]), torch.tensor([0, 0, 1])) == pytest.approx(2 / 3)


def test_class_scores_are_the_eval_mode_forward_and_predict_their_argmax():
    from snntext.evaluation import class_scores
    from snntext.models.textcnn import TailoredTextCNN

    g = torch.Generator().manual_seed(0)
    table = torch.rand(7, 4, generator=g)
    ids = torch.randint(1, 7, (11, 6), generator=g)
    torch.manual_seed(0)
    dnn = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4, dropout=0.5).train()
    scores = class_scores(dnn, ids, table, batch_size=5)
    assert dnn.training                                   # mode restored
    with torch.no_grad():
        assert torch.allclose(scores, dnn.eval()(table[ids]), atol=1e-6)
    assert scores.shape == (11, 2)
    assert torch.equal(predict(dnn, ids, table, 5, torch.device("cpu")), scores.argmax(dim=1))
    assert predict(dnn, ids[:0], table, 5, torch.device("cpu")).shape == (0,)
