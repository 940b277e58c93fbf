"""Train/dev/test splits: standard splits are kept, otherwise a stratified, seeded split.

MR, Subj, ChnSenti and Waimai ship without a split. The paper holds out 10% as test; we
also take a dev set from the rest so that model selection never looks at the test set.
A dataset that ships train and test but no dev (e.g. TREC) keeps both; dev is drawn from train
(prepare.dev_fraction of each label), so again model selection never sees the test set.
Every draw comes from numpy's Generator seeded with the pipeline seed, so the same seed
gives the same split on every machine and the split changes only when the seed does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from snntext.core.config import SPLITS
from snntext.core.errors import SnntextError


def _check_fraction(value: float, key: str, allow_zero: bool) -> None:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not ((value >= 0 if allow_zero else value > 0) and value < 1):
        interval = "[0, 1)" if allow_zero else "(0, 1)"
        raise SnntextError(f"params.yaml: key '{key}' must be a number in {interval}, got {value!r}")


def stratified_split(df: pd.DataFrame, test_fraction: float, dev_fraction: float, seed: int) -> dict[str, pd.DataFrame]:
    """Disjoint train/dev/test covering every row of `df` (columns text, label).

    Per label: round(n * test_fraction) rows go to test, then round(rest * dev_fraction)
    of the remaining rows go to dev, the others to train; so each label's share in each
    split is within one row of the requested fraction. Rows are drawn with
    numpy.random.default_rng(seed). Each split is returned in a seeded random order
    (labels mixed, so a reader taking the first rows gets both classes).
    """
    _check_fraction(test_fraction, "prepare.test_fraction", allow_zero=False)
    _check_fraction(dev_fraction, "prepare.dev_fraction", allow_zero=True)
    rng = np.random.default_rng(seed)
    labels = df["label"].to_numpy()
    chosen: dict[str, list[np.ndarray]] = {name: [] for name in SPLITS}
    for label in np.unique(labels):  # sorted, so the draw order is fixed
        rows = rng.permutation(np.flatnonzero(labels == label))
        n_test = int(round(len(rows) * test_fraction))
        n_dev = int(round((len(rows) - n_test) * dev_fraction))
        chosen["test"].append(rows[:n_test])
        chosen["dev"].append(rows[n_test : n_test + n_dev])
        chosen["train"].append(rows[n_test + n_dev :])
    result = {}
    for name in SPLITS:
        rows = np.concatenate(chosen[name]) if chosen[name] else np.array([], dtype=int)
        rows = rng.permutation(rows)
        result[name] = df.iloc[rows].reset_index(drop=True)
    return result


def draw_dev(train: pd.DataFrame, dev_fraction: float, seed: int) -> dict[str, pd.DataFrame]:
    """Split a train frame into train and dev: per label, round(n * dev_fraction) rows drawn with
    numpy.random.default_rng(seed) go to dev. Both keep the file's row order."""
    _check_fraction(dev_fraction, "prepare.dev_fraction", allow_zero=False)
    rng = np.random.default_rng(seed)
    labels = train["label"].to_numpy()
    dev_rows = []
    for label in np.unique(labels):  # sorted, so the draw order is fixed
        rows = rng.permutation(np.flatnonzero(labels == label))
        dev_rows.append(rows[: int(round(len(rows) * dev_fraction))])
    in_dev = np.zeros(len(train), dtype=bool)
    if dev_rows:
        in_dev[np.concatenate(dev_rows)] = True
    return {"train": train[~in_dev].reset_index(drop=True), "dev": train[in_dev].reset_index(drop=True)}


def split_source(splits: dict[str, pd.DataFrame]) -> str:
    """How split_dataset makes train/dev/test of these parts: "standard" (all three given),
    "dev_from_train" (train and test given) or "stratified" (one "all" frame)."""
    parts = set(splits)
    if parts == set(SPLITS):
        return "standard"
    if parts == {"train", "test"}:
        return "dev_from_train"
    if parts == {"all"}:
        return "stratified"
    raise SnntextError(
        f"cannot split a dataset with parts {sorted(splits)}; expected {', '.join(SPLITS)}, train and test, or all"
    )


def split_dataset(
    splits: dict[str, pd.DataFrame], test_fraction: float, dev_fraction: float, seed: int
) -> dict[str, pd.DataFrame]:
    """train/dev/test for a parsed dataset: its standard splits unchanged; train and test with
    dev drawn from train; or a stratified split of its single "all" frame."""
    source = split_source(splits)
    if source == "standard":
        return {name: splits[name] for name in SPLITS}
    if source == "dev_from_train":
        drawn = draw_dev(splits["train"], dev_fraction, seed)
        return {"train": drawn["train"], "dev": drawn["dev"], "test": splits["test"]}
    return stratified_split(splits["all"], test_fraction, dev_fraction, seed)
