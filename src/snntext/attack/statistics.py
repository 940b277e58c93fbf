"""Whether one model is more robust than another, with the noise of a few hundred attacked examples in numbers.

The attack stage attacks the same test examples with every recipe on every model and keeps one
outcome per example: S (the model was right and the attack flipped it), F (right and stayed
right) or K (wrong already, so skipped). From these strings a percentile bootstrap over the
examples gives intervals for clean accuracy = (S+F)/n, accuracy under attack = F/n and success
rate = S/(S+F). Models and recipes are paired on the examples, so each bootstrap resample is
applied to all of them at once: a difference between two models then loses the example-difficulty
variance both share, and a mean over recipes keeps the recipes' correlation. Across datasets the
resampling is stratified: each dataset's examples are resampled on their own.

The verdicts (more robust, less robust, no detectable difference) do not come from the bootstrap, so
no random seed can move them: each difference in accuracy under attack (model minus reference) gets
the two-sided p-value of an exact paired sign-flip test on the per-example differences (an example's
F count for the model minus the reference's, over the recipes compared). Under the null hypothesis
that the two models are exchangeable on every example, each nonzero difference is as likely to
have either sign; the p-value is computed from the whole distribution of the 2^k sign patterns (by
convolution, nothing drawn). For one (dataset, recipe) cell the differences are -1, 0 or +1 and
the test is the exact McNemar test on the discordant pairs (a binomial test of the examples only
the model resisted against those only the reference resisted, at 1/2). Over recipes the
differences add up per example (so an example's recipes stay together); over datasets each
dataset's examples weigh 1 / its size, the weights of the pooled mean. Per-cell and per-dataset
p-values are Holm-adjusted for the number of cells (datasets) compared, per model; a verdict other
than "no detectable difference" needs an adjusted p-value <= 1 - level.

numpy only (no torch, no textattack, no scipy), so the report can import it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

OUTCOMES = "SFK"
MORE, LESS, SAME = "more robust", "less robust", "no detectable difference"
RESAMPLES = 20000  # bootstrap resamples of the intervals: endpoints that barely move with the seed
_CHUNK = 2000  # resamples drawn at a time (memory: CHUNK x examples counts)
_DIRECT_LIMIT = 50_000_000  # direct convolution up to this many products, FFT beyond


@dataclass(frozen=True)
class _Tally:
    """One model on one (dataset, recipe) cell: successful and failed attacks, index 0 as observed,
    then one entry per bootstrap resample."""

    examples: int
    successful: np.ndarray
    failed: np.ndarray


# ---------------------------------------------------------------------------------------------------------
# The exact test and Holm's correction


def _convolve(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Full convolution of two probability vectors: direct when small, by FFT when large (negative round-off
    clipped)."""
    if x.size * y.size <= _DIRECT_LIMIT:
        return np.convolve(x, y)
    size = x.size + y.size - 1
    length = 1 << (size - 1).bit_length()
    out = np.fft.irfft(np.fft.rfft(x, length) * np.fft.rfft(y, length), length)[:size]
    return np.clip(out, 0.0, None)


def sign_flip_p_value(strata: Sequence[tuple[Sequence[int] | np.ndarray, int]]) -> float:
    """Two-sided p-value of the exact paired sign-flip (randomisation) test of sum_s w_s * sum_i d_si = 0.

    strata: (integer per-example differences d, positive integer weight w) per stratum. Under the null every
    nonzero w * |d| is added with a sign + or - at random, independently; the p-value is the probability of a
    sum at least as far from 0 as the observed one, over all sign patterns (exact: a convolution of scaled
    binomial distributions, no random draws). 1.0 when the observed sum is 0."""
    sizes, observed = [], 0
    for differences, weight in strata:
        d = np.asarray(differences, dtype=np.int64)
        if not isinstance(weight, (int, np.integer)) or weight < 1:
            raise ValueError(f"sign_flip_p_value: weights must be positive integers, got {weight!r}")
        observed += int(weight) * int(d.sum())
        sizes.append(int(weight) * np.abs(d[d != 0]))
    if observed == 0:
        return 1.0
    a = np.concatenate(sizes)
    unit = int(np.gcd.reduce(a))
    a, observed = a // unit, abs(observed) // unit
    # T = the sum of the sizes drawn with sign +: its distribution is symmetric about total / 2, and the
    # statistic is 2T - total, so |statistic| >= observed <=> T <= (total - observed) / 2 or the mirror.
    distribution = np.ones(1)
    for value, count in zip(*np.unique(a, return_counts=True), strict=True):
        value, count = int(value), int(count)
        binomial = np.zeros(value * count + 1)
        binomial[::value] = [math.comb(count, k) / 2**count for k in range(count + 1)]
        distribution = _convolve(distribution, binomial)
    tail = (int(a.sum()) - observed) // 2
    return min(1.0, 2.0 * float(distribution[: tail + 1].sum()))


def mcnemar_p_value(only_model: int, only_reference: int) -> float:
    """Exact two-sided McNemar p-value from the discordant pairs: examples only the model resisted
    (`only_model`) against examples only the reference resisted; a binomial test of one count out of their
    sum at 1/2: min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2). The sign-flip test of one cell."""
    if min(only_model, only_reference) < 0:
        raise ValueError(f"mcnemar_p_value: counts must be >= 0, got {only_model!r}, {only_reference!r}")
    if only_model == only_reference:
        return 1.0
    n, k = only_model + only_reference, min(only_model, only_reference)
    return min(1.0, 2.0 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given: the i-th smallest p times (m - i + 1), made
    non-decreasing in that order and capped at 1. Rejecting where the adjusted p <= alpha controls the
    family-wise error rate at alpha."""
    m = len(p_values)
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda j: p_values[j])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def verdict(difference: float, p_value: float, alpha: float = 0.05) -> str:
    """More or less robust (by the sign of the difference, model minus reference) when the (adjusted) p-value
    is at most alpha, else no detectable difference."""
    if p_value <= alpha and difference > 0:
        return MORE
    if p_value <= alpha and difference < 0:
        return LESS
    return SAME


# ---------------------------------------------------------------------------------------------------------
# Outcomes to tallies and intervals


def _check_outcomes(outcomes, where: str) -> int:
    """The number of examples, after checking the strings: only S/F/K, one length for all."""
    if not isinstance(outcomes, dict) or not outcomes:
        raise ValueError(f"{where}: outcomes must map each model to {{recipe: outcome string}}, got {outcomes!r}")
    length = None
    for model, recipes in outcomes.items():
        if not isinstance(recipes, dict):
            raise ValueError(f"{where}, model {model!r}: expected a mapping of recipe to outcome string")
        for recipe, text in recipes.items():
            cell = f"{where}, model {model!r}, recipe {recipe!r}"
            if not isinstance(text, str) or not text:
                raise ValueError(f"{cell}: expected a non-empty string of S/F/K, got {text!r}")
            bad = sorted(set(text) - set(OUTCOMES))
            if bad:
                raise ValueError(f"{cell}: outcome characters must be S, F or K, found {''.join(bad)!r}")
            if length is None:
                length = len(text)
            elif len(text) != length:
                raise ValueError(
                    f"{cell}: {len(text)} outcomes, but other cells of this dataset have {length}; "
                    "every model and recipe must be attacked on the same examples"
                )
    if length is None:
        raise ValueError(f"{where}: no recipe has outcomes")
    return length


def _check_settings(reference: str, models, resamples: int, level: float, where: str) -> None:
    if reference not in models:
        raise ValueError(f"{where}: reference model {reference!r} has no outcomes (models: {', '.join(models)})")
    if not isinstance(resamples, int) or resamples < 1 or not 0 < level < 1:
        raise ValueError(f"resamples must be an integer >= 1 and level in (0, 1), got {resamples!r}, {level!r}")


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


def _failed(outcomes: dict[str, dict[str, str]]) -> dict[str, dict[str, np.ndarray]]:
    """model -> recipe -> 1 where the example stayed right under attack (F), else 0 (S or K): the
    per-example accuracy under attack, paired by position."""
    return {
        model: {recipe: (_codes(text) == ord("F")).astype(np.int64) for recipe, text in recipes.items()}
        for model, recipes in outcomes.items()
    }


def _tally_dataset(
    outcomes: dict[str, dict[str, str]], n: int, rng: np.random.Generator, resamples: int
) -> dict[str, dict[str, _Tally]]:
    """model -> recipe -> tally, every cell under the same resamples (the pairing). Counts are
    integers held exactly in float64, so identical strings give identical tallies. The resamples
    are drawn `_CHUNK` at a time: [chunk, n] counts of how often each example is drawn."""
    cells = [(model, recipe) for model, recipes in outcomes.items() for recipe in recipes]
    indicators = np.zeros((n, 2 * len(cells)))
    for i, (model, recipe) in enumerate(cells):
        codes = _codes(outcomes[model][recipe])
        indicators[:, 2 * i] = codes == ord("S")
        indicators[:, 2 * i + 1] = codes == ord("F")
    parts = [indicators.sum(axis=0, keepdims=True)]  # row 0: the observed sample
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        picks = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
        counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)
        parts.append(counts @ indicators)
    totals = np.vstack(parts)
    out: dict[str, dict[str, _Tally]] = {}
    for i, (model, recipe) in enumerate(cells):
        out.setdefault(model, {})[recipe] = _Tally(n, totals[:, 2 * i], totals[:, 2 * i + 1])
    return out


def _interval(values: np.ndarray, level: float, scale: float = 1.0) -> dict:
    """{"value", "low", "high"} from index 0 (observed) and the rest (resamples); undefined
    resamples (NaN: a success rate with nothing attacked) are left out, None when nothing is left."""
    value = values[0]
    drawn = values[1:][np.isfinite(values[1:])]
    if not np.isfinite(value) or drawn.size == 0:
        return {"value": None if not np.isfinite(value) else float(scale * value), "low": None, "high": None}
    tail = (1 - level) / 2
    low, high = np.quantile(drawn, [tail, 1 - tail])
    return {"value": float(scale * value), "low": float(scale * low), "high": float(scale * high)}


def _rates(tallies: list[_Tally]) -> dict[str, np.ndarray]:
    """Mean clean accuracy and accuracy under attack over the cells (each cell weighs the same), and
    the success rate as successful / attacked summed over the cells (the mean of the cells' rates
    when the model's clean accuracy is the same in each, as for a deterministic model)."""
    clean = np.mean([(t.successful + t.failed) / t.examples for t in tallies], axis=0)
    under = np.mean([t.failed / t.examples for t in tallies], axis=0)
    successful = np.sum([t.successful for t in tallies], axis=0)
    attacked = successful + np.sum([t.failed for t in tallies], axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        success = np.where(attacked > 0, successful / np.where(attacked > 0, attacked, 1), np.nan)
    return {"clean_accuracy": clean, "accuracy_under_attack": under, "success_rate": success}


Strata = list[tuple[np.ndarray, int]]  # per-example differences of one model against the reference, weight


def _summarise(tallies: dict[str, list[_Tally]], strata: dict[str, Strata], reference: str, level: float) -> dict:
    """Per model rates with intervals, and each other model's paired difference in accuracy under
    attack against the reference, over the same cells and resamples, with the exact test's p-value
    (`strata`: the model's per-example differences) and the verdict from it, uncorrected (tests: 1)."""
    rates = {model: _rates(cells) for model, cells in tallies.items()}
    models = {model: {key: _interval(values, level) for key, values in r.items()} for model, r in rates.items()}
    versus = {}
    if reference in rates:
        base = rates[reference]["accuracy_under_attack"]
        for model, r in rates.items():
            if model != reference:
                difference = _interval(r["accuracy_under_attack"] - base, level, scale=100.0)
                p = sign_flip_p_value(strata[model])
                versus[model] = {
                    "difference_points": difference,
                    "p_value": p,
                    "p_holm": p,
                    "tests": 1,
                    "verdict": verdict(difference["value"], p, 1 - level),
                }
    return {"models": models, "vs_reference": versus}


def _common_recipes(outcomes: dict[str, dict[str, str]]) -> list[str]:
    """Recipes that ran for every model, in the order they first appear."""
    order = dict.fromkeys(recipe for recipes in outcomes.values() for recipe in recipes)
    return [recipe for recipe in order if all(recipe in recipes for recipes in outcomes.values())]


def _differences(failed: dict[str, dict[str, np.ndarray]], reference: str, recipes: list[str]) -> dict:
    """model -> per-example sum over `recipes` of (model F) - (reference F), for the models that ran them all."""
    return {
        model: sum(per_recipe[r] - failed[reference][r] for r in recipes)
        for model, per_recipe in failed.items()
        if model != reference
        and reference in failed
        and all(r in per_recipe and r in failed[reference] for r in recipes)
    }


def _holm_family(entries: list[dict], level: float) -> None:
    """Holm over `entries` (vs_reference entries of one model): sets p_holm, tests and the verdict from p_holm."""
    for entry, adjusted in zip(entries, holm([e["p_value"] for e in entries]), strict=True):
        entry.update(
            p_holm=adjusted,
            tests=len(entries),
            verdict=verdict(entry["difference_points"]["value"], adjusted, 1 - level),
        )


def _correct_cells(recipes: list[dict], level: float) -> None:
    """Holm over the cells in `recipes` (recipe entries), separately for each model compared."""
    models = dict.fromkeys(m for entry in recipes for m in entry["vs_reference"])
    for model in models:
        _holm_family([entry["vs_reference"][model] for entry in recipes if model in entry["vs_reference"]], level)


def recipe_statistics(
    outcomes: dict[str, dict[str, str]],
    *,
    reference: str = "dnn",
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
    dataset: str | None = None,
) -> dict:
    """One dataset: per recipe each model's clean accuracy, accuracy under attack and success rate
    with percentile-bootstrap intervals, and every other model's paired difference in accuracy
    under attack against `reference` (points, model minus reference) with its interval, its exact
    p-value (McNemar), the p-value Holm-adjusted over this dataset's recipes (per model; `tests`: how
    many) and the verdict from that; plus the same over the recipes every model ran ("all_recipes",
    None when there is none; one test, not adjusted). `correct_over_datasets` widens the families to
    several datasets. The p-values and verdicts do not depend on `seed` or `resamples`.

    outcomes: model -> recipe -> one S/F/K character per attacked example, the same examples in
    the same order everywhere. `dataset` only names the dataset in error messages."""
    where = f"dataset {dataset!r}" if dataset else "outcomes"
    n = _check_outcomes(outcomes, where)
    _check_settings(reference, outcomes, resamples, level, where)
    tallies = _tally_dataset(outcomes, n, np.random.default_rng(seed), resamples)
    failed = _failed(outcomes)
    recipes = list(dict.fromkeys(recipe for per_model in outcomes.values() for recipe in per_model))
    per_recipe = {}
    for recipe in recipes:
        present = {model: [cells[recipe]] for model, cells in tallies.items() if recipe in cells}
        differences = _differences({m: failed[m] for m in present}, reference, [recipe])
        per_recipe[recipe] = _summarise(present, {m: [(d, 1)] for m, d in differences.items()}, reference, level)
    _correct_cells(list(per_recipe.values()), level)
    common = _common_recipes(outcomes)
    overall = None
    if common:
        differences = _differences(failed, reference, common)
        overall = {
            "recipes": common,
            **_summarise(
                {model: [cells[r] for r in common] for model, cells in tallies.items()},
                {m: [(d, 1)] for m, d in differences.items()},
                reference,
                level,
            ),
        }
    return {
        "examples": n,
        "reference": reference,
        "level": level,
        "resamples": resamples,
        "seed": seed,
        "recipes": per_recipe,
        "all_recipes": overall,
    }


def correct_over_datasets(per_dataset: dict[str, dict], level: float = 0.95) -> dict[str, dict]:
    """recipe_statistics of several datasets with the Holm families widened, per model: every cell of every
    dataset (the per-recipe entries) is one family, the datasets' all-recipes entries another. Returns copies
    (the arguments are left as they are) whose p_holm, tests and verdicts are the corrected ones."""
    out = {
        ds: {
            **stats,
            "recipes": {
                recipe: {**entry, "vs_reference": {m: dict(v) for m, v in entry["vs_reference"].items()}}
                for recipe, entry in stats["recipes"].items()
            },
            "all_recipes": None
            if stats["all_recipes"] is None
            else {
                **stats["all_recipes"],
                "vs_reference": {m: dict(v) for m, v in stats["all_recipes"]["vs_reference"].items()},
            },
        }
        for ds, stats in per_dataset.items()
    }
    _correct_cells([entry for stats in out.values() for entry in stats["recipes"].values()], level)
    _correct_cells([stats["all_recipes"] for stats in out.values() if stats["all_recipes"]], level)
    return out


def pooled_statistics(
    per_dataset: dict[str, dict[str, dict[str, str]]],
    *,
    reference: str = "dnn",
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> dict:
    """Across datasets: per model the mean over all (dataset, recipe) cells, each cell weighing the
    same, of clean accuracy and accuracy under attack (success rate: successful / attacked over all
    cells), with a stratified bootstrap (each dataset's examples resampled on their own, the same
    resample for all its recipes and models); and each other model's paired difference in accuracy
    under attack against `reference` with its interval, the exact stratified sign-flip test's p-value
    (each dataset's examples weighing 1 / its size, as in the mean; one test per model, not adjusted)
    and the verdict from it. The p-values and verdicts do not depend on `seed` or `resamples`.

    A dataset's cells are the recipes every one of its models ran; only models present in every
    dataset are pooled. per_dataset: dataset -> outcomes as for recipe_statistics."""
    if not isinstance(per_dataset, dict) or not per_dataset:
        raise ValueError("pooled_statistics needs outcomes of at least one dataset")
    sizes = {}
    for ds, outcomes in per_dataset.items():
        sizes[ds] = _check_outcomes(outcomes, f"dataset {ds!r}")
        _check_settings(reference, outcomes, resamples, level, f"dataset {ds!r}")
    models = [m for m in next(iter(per_dataset.values())) if all(m in o for o in per_dataset.values())]
    rng = np.random.default_rng(seed)
    cells: dict[str, list[_Tally]] = {model: [] for model in models}
    strata: dict[str, Strata] = {model: [] for model in models if model != reference}
    common_size = math.lcm(*sizes.values())  # weights 1 / n as integers: common_size / n
    datasets = {}
    for ds, outcomes in per_dataset.items():  # in order, one generator: the strata are resampled independently
        tallies = _tally_dataset(outcomes, sizes[ds], rng, resamples)
        common = _common_recipes(outcomes)
        datasets[ds] = {"examples": sizes[ds], "recipes": common}
        for model in models:
            cells[model] += [tallies[model][recipe] for recipe in common]
        if common:
            failed = _failed(outcomes)
            differences = _differences({m: failed[m] for m in models}, reference, common)
            for model, d in differences.items():
                strata[model].append((d, common_size // sizes[ds]))
    if not any(cells[reference]):
        raise ValueError(f"pooled_statistics: no recipe ran for every model on any of {', '.join(per_dataset)}")
    return {
        "datasets": datasets,
        "cells": len(cells[reference]),
        "reference": reference,
        "level": level,
        "resamples": resamples,
        "seed": seed,
        **_summarise(cells, strata, reference, level),
    }
