"""Batches of ids: each example once, shuffled by seed, padding trimmed."""

from __future__ import annotations

import torch

from snntext.data.batching import batches


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
        assert torch.equal(batch_ids[:, 0] - 1, batch_labels)  # ids and labels stay paired


def test_trim_padding_cuts_to_the_longest_sentence_but_not_below_min_length():
    ids = torch.tensor([[3, 4, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0], [2, 2, 2, 2, 0, 0]])
    shapes = [b.shape[1] for b, _ in batches(ids, None, 2, trim_padding=True)]
    assert shapes == [2, 4]
    shapes = [b.shape[1] for b, _ in batches(ids, None, 2, trim_padding=True, min_length=3)]
    assert shapes == [3, 4]
    assert [b.shape[1] for b, _ in batches(ids, None, 2)] == [6, 6]
