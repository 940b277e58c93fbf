"""Whether one model is more robust than another, with the noise of a few hundred attacked examples in numbers.

The attack stage attacks the same test examples with every recipe on every model and keeps one
outcome per example: S (the model was right and the attack flipped it), F (right and stayed
right) or K (wrong already, so skipped). From these strings a percentile bootstrap over the
examples gives intervals for clean accuracy = (S+F)/n, accuracy under attack = F/n and success
rate = S/(S+F). Models and recipes are paired on the examples, so each bootstrap resample is
applied to all of them at once: a difference between two models then loses the example-difficulty
variance both share, and a mean over recipes keeps the recipes' correlation. Across datasets the
resampling is stratified: each dataset's examples are resampled on their own.

numpy only (no torch, no textattack), so the report can import it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTCOMES = "SFK"
MORE, LESS, SAME = "more robust", "less robust", "no detectable difference"


@dataclass(frozen=True)
class _Tally:
    """One model on one (dataset, recipe) cell: successful and failed attacks, index 0 as observed,
    then one entry per bootstrap resample."""

    examples: int
    successful: np.ndarray
    failed: np.ndarray


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


def _resample_counts(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    """[1 + resamples, n]: how often each example is drawn; row 0 is the observed sample (all ones)."""
    picks = rng.integers(0, n, size=(resamples, n))
    offsets = picks + n * np.arange(resamples)[:, None]
    counts = np.bincount(offsets.ravel(), minlength=resamples * n).reshape(resamples, n)
    return np.vstack([np.ones((1, n)), counts]).astype(np.float64)


def _tally_dataset(
    outcomes: dict[str, dict[str, str]], n: int, rng: np.random.Generator, resamples: int
) -> dict[str, dict[str, _Tally]]:
    """model -> recipe -> tally, every cell under the same resamples (the pairing). Counts are
    integers held exactly in float64, so identical strings give identical tallies."""
    cells = [(model, recipe) for model, recipes in outcomes.items() for recipe in recipes]
    indicators = np.zeros((n, 2 * len(cells)))
    for i, (model, recipe) in enumerate(cells):
        codes = np.frombuffer(outcomes[model][recipe].encode("ascii"), dtype=np.uint8)
        indicators[:, 2 * i] = codes == ord("S")
        indicators[:, 2 * i + 1] = codes == ord("F")
    totals = _resample_counts(rng, n, resamples) @ indicators
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


def verdict(difference: dict) -> str:
    """Read from a difference interval (model minus reference): above 0, below 0, or containing it."""
    if difference["low"] is not None and difference["low"] > 0:
        return MORE
    if difference["high"] is not None and difference["high"] < 0:
        return LESS
    return SAME


def _summarise(tallies: dict[str, list[_Tally]], reference: str, level: float) -> dict:
    """Per model rates with intervals, and each other model's paired difference in accuracy under
    attack against the reference, over the same cells and resamples."""
    rates = {model: _rates(cells) for model, cells in tallies.items()}
    models = {model: {key: _interval(values, level) for key, values in r.items()} for model, r in rates.items()}
    versus = {}
    if reference in rates:
        base = rates[reference]["accuracy_under_attack"]
        for model, r in rates.items():
            if model != reference:
                difference = _interval(r["accuracy_under_attack"] - base, level, scale=100.0)
                versus[model] = {"difference_points": difference, "verdict": verdict(difference)}
    return {"models": models, "vs_reference": versus}


def _common_recipes(outcomes: dict[str, dict[str, str]]) -> list[str]:
    """Recipes that ran for every model, in the order they first appear."""
    order = dict.fromkeys(recipe for recipes in outcomes.values() for recipe in recipes)
    return [recipe for recipe in order if all(recipe in recipes for recipes in outcomes.values())]


def recipe_statistics(
    outcomes: dict[str, dict[str, str]],
    *,
    reference: str = "dnn",
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    dataset: str | None = None,
) -> dict:
    """One dataset: per recipe each model's clean accuracy, accuracy under attack and success rate
    with percentile-bootstrap intervals, and every other model's paired difference in accuracy
    under attack against `reference` (points, model minus reference) with its verdict; plus the
    same over the recipes every model ran ("all_recipes", None when there is none).

    outcomes: model -> recipe -> one S/F/K character per attacked example, the same examples in
    the same order everywhere. `dataset` only names the dataset in error messages."""
    where = f"dataset {dataset!r}" if dataset else "outcomes"
    n = _check_outcomes(outcomes, where)
    _check_settings(reference, outcomes, resamples, level, where)
    tallies = _tally_dataset(outcomes, n, np.random.default_rng(seed), resamples)
    recipes = list(dict.fromkeys(recipe for per_model in outcomes.values() for recipe in per_model))
    per_recipe = {
        recipe: _summarise(
            {model: [cells[recipe]] for model, cells in tallies.items() if recipe in cells}, reference, level
        )
        for recipe in recipes
    }
    common = _common_recipes(outcomes)
    overall = None
    if common:
        overall = {
            "recipes": common,
            **_summarise({model: [cells[r] for r in common] for model, cells in tallies.items()}, reference, level),
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


def pooled_statistics(
    per_dataset: dict[str, dict[str, dict[str, str]]],
    *,
    reference: str = "dnn",
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> dict:
    """Across datasets: per model the mean over all (dataset, recipe) cells, each cell weighing the
    same, of clean accuracy and accuracy under attack (success rate: successful / attacked over all
    cells), with a stratified bootstrap (each dataset's examples resampled on their own, the same
    resample for all its recipes and models); and each other model's paired difference in accuracy
    under attack against `reference` with its verdict.

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
    datasets = {}
    for ds, outcomes in per_dataset.items():  # in order, one generator: the strata are resampled independently
        tallies = _tally_dataset(outcomes, sizes[ds], rng, resamples)
        common = _common_recipes(outcomes)
        datasets[ds] = {"examples": sizes[ds], "recipes": common}
        for model in models:
            cells[model] += [tallies[model][recipe] for recipe in common]
    if not any(cells[reference]):
        raise ValueError(f"pooled_statistics: no recipe ran for every model on any of {', '.join(per_dataset)}")
    return {
        "datasets": datasets,
        "cells": len(cells[reference]),
        "reference": reference,
        "level": level,
        "resamples": resamples,
        "seed": seed,
        **_summarise(cells, reference, level),
    }
