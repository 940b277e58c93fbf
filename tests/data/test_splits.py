"""Stratified, seeded, disjoint splits; standard splits left alone."""

from __future__ import annotations

import pandas as pd
import pytest

from snntext.core.errors import SnntextError
from snntext.data.splits import draw_dev, split_dataset, split_source, stratified_split


def frame(counts: dict[int, int]) -> pd.DataFrame:
    rows = [(f"text {label} {i}", label) for label, n in counts.items() for i in range(n)]
    return pd.DataFrame(rows, columns=["text", "label"])


DATA = frame({0: 203, 1: 97, 2: 11})


def test_disjoint_and_covering():
    parts = stratified_split(DATA, 0.1, 0.1, seed=0)
    texts = [set(parts[name]["text"]) for name in ("train", "dev", "test")]
    assert sum(len(t) for t in texts) == len(DATA) == sum(len(p) for p in parts.values())
    assert set().union(*texts) == set(DATA["text"])
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])


def test_stratified_within_one_per_label():
    parts = stratified_split(DATA, 0.1, 0.2, seed=3)
    for label, n in DATA["label"].value_counts().items():
        n_test = (parts["test"]["label"] == label).sum()
        n_dev = (parts["dev"]["label"] == label).sum()
        assert abs(n_test - n * 0.1) <= 1
        assert abs(n_dev - (n - n_test) * 0.2) <= 1


def test_same_seed_same_split_and_different_seed_different_split():
    a, b, c = (stratified_split(DATA, 0.1, 0.1, seed=s) for s in (7, 7, 8))
    for name in ("train", "dev", "test"):
        pd.testing.assert_frame_equal(a[name], b[name])
    assert set(a["test"]["text"]) != set(c["test"]["text"])


def test_labels_are_mixed_in_each_split():
    test = stratified_split(DATA, 0.5, 0.0, seed=0)["test"]
    assert test["label"].tolist() != sorted(test["label"])


def test_standard_splits_kept_unchanged():
    given = {"train": frame({0: 3, 1: 2}), "dev": frame({0: 1}), "test": frame({1: 1})}
    out = split_dataset(given, 0.1, 0.1, seed=0)
    for name in given:
        assert out[name] is given[name]


def test_all_is_split():
    out = split_dataset({"all": DATA}, 0.1, 0.1, seed=0)
    assert sum(len(f) for f in out.values()) == len(DATA)


@pytest.mark.parametrize(
    "test_fraction, dev_fraction, key",
    [
        (0.0, 0.1, "prepare.test_fraction"),
        (1.0, 0.1, "prepare.test_fraction"),
        (0.1, -0.1, "prepare.dev_fraction"),
        (0.1, "0.1", "prepare.dev_fraction"),
    ],
)
def test_bad_fraction_names_the_key(test_fraction, dev_fraction, key):
    with pytest.raises(SnntextError, match=key):
        stratified_split(DATA, test_fraction, dev_fraction, seed=0)


def test_dev_drawn_from_train_is_stratified_seeded_and_keeps_file_order():
    parts = draw_dev(DATA, 0.1, seed=0)
    assert len(parts["train"]) + len(parts["dev"]) == len(DATA)
    assert not set(parts["train"]["text"]) & set(parts["dev"]["text"])
    assert parts["dev"]["label"].value_counts().to_dict() == {0: 20, 1: 10, 2: 1}
    order = {text: i for i, text in enumerate(DATA["text"])}
    for part in parts.values():
        assert [order[t] for t in part["text"]] == sorted(order[t] for t in part["text"])
    assert draw_dev(DATA, 0.1, seed=0)["dev"].equals(parts["dev"])
    assert not draw_dev(DATA, 0.1, seed=1)["dev"].equals(parts["dev"])


def test_train_and_test_parts_get_a_dev_drawn_from_train():
    test = frame({0: 5, 1: 5})
    parts = split_dataset({"train": DATA, "test": test}, 0.5, 0.1, seed=0)
    assert parts["test"] is test
    assert len(parts["dev"]) == 31 and len(parts["train"]) == len(DATA) - 31
    assert split_source({"train": DATA, "test": test}) == "dev_from_train"
    with pytest.raises(SnntextError, match=r"prepare.dev_fraction' must be a number in \(0, 1\)"):
        split_dataset({"train": DATA, "test": test}, 0.1, 0.0, seed=0)
    with pytest.raises(SnntextError, match="train and test, or all"):
        split_dataset({"train": DATA, "dev": test}, 0.1, 0.1, seed=0)
