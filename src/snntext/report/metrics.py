"""Reading and checking every metrics file the report needs, before anything is written.

The report is built from metrics/<stage>/<dataset>.json (and the two history CSVs) only. Each
file is read here and every key the tables use is checked, so a missing or malformed file stops
the report with a SnntextError naming the file (and key), not with a half-written reports/.

Several seeds: a metrics file may hold `per_seed: {seed: {...same keys...}}`; `measured()` then
returns the mean and standard deviation over the seeds, else the single value.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snntext.core.errors import SnntextError
from snntext.core.stage_metrics import HEADLINE, detail_file, read_stage_metrics

REQUIRED_STAGES = ("prepare", "embed", "train_dnn", "convert", "finetune")
# a run may leave these out (a run to finetune only, older runs): the report says which are missing
OPTIONAL_STAGES = ("sweep", "attack", "train_direct", "random_embeddings", "energy")

NUMBER = "number"
# fmt: off
_KEYS: dict[str, dict[str, Any]] = {
    "prepare": {"language": str, "splits.train.count": NUMBER, "splits.dev.count": NUMBER,
                "splits.test.count": NUMBER},
    "embed": {"vectors": str, "coverage.token_coverage": NUMBER, "oov_rate": NUMBER},
    "train_dnn": {key: NUMBER for key in (
        "majority_dev_acc", "majority_test_acc", "kim_dev_acc", "kim_test_acc", "dnn_dev_acc", "dnn_test_acc",
        "kim_seconds", "dnn_seconds", "kim_best_epoch", "dnn_best_epoch", "dnn_macs", "dnn_energy_uj")},
    "convert": {"chosen": str, "timesteps": NUMBER, "threshold": NUMBER, "beta": NUMBER, "options": dict},
    "finetune": {"dev_acc": NUMBER, "test_acc": NUMBER, "best_epoch": NUMBER, "epochs_run": NUMBER,
                 "seconds": NUMBER, "test.firing_rates": dict, "energy": dict},
    "sweep": {"timesteps": list, "models": dict},
    "attack": {"models": dict, "skipped_recipes": dict, "wall_s": NUMBER},
    "train_direct": {key: NUMBER for key in (
        "dev_acc", "test_acc", "test_mean", "test_std", "test_draws", "best_epoch", "epochs_run", "timesteps",
        "beta", "seconds")},
    "random_embeddings": {key: NUMBER for key in (
        "dnn_test_acc", "converted_test_acc", "snn_test_mean", "snn_test_std", "test_draws", "gap_points",
        "seconds_total")},
    "energy": {"shape.timesteps": NUMBER, "shape.L": NUMBER, "shape.D": NUMBER, "splits.test": dict},
}
# fmt: on
_OPTION_KEYS = {
    "dev.accuracy": NUMBER,
    "test.accuracy": NUMBER,
    "test.tie_rate": NUMBER,
    "test.silent_rate": NUMBER,
    "test.firing_rates": dict,
    "energy": dict,
    "seconds": NUMBER,
}
_ENERGY_KEYS = {
    "formula": str,
    "e_ac_pj": NUMBER,
    "timesteps": NUMBER,
    "layers": dict,
    "total_synops": NUMBER,
    "total_uj": NUMBER,
    "dnn_total_uj": NUMBER,
    "ratio_snn_to_dnn": NUMBER,
}
_LAYER_KEYS = {"macs": NUMBER, "input_rate": NUMBER, "synops": NUMBER, "energy_pj": NUMBER}
_PAIRED_GAP_KEYS = {
    "gap_points": NUMBER,
    "ci_low_points": NUMBER,
    "ci_high_points": NUMBER,
    "level": NUMBER,
    "draws": NUMBER,
    "sentences": NUMBER,
    "snn_acc_mean": NUMBER,
    "snn_acc_std": NUMBER,
}
_INTERVAL = ("mean", "ci_low", "ci_high")
_SENTENCE_ENERGY_KEYS = {  # a split of metrics/energy/<ds>.json (snntext.evaluation.sentence_energy.summarise)
    "sentences": NUMBER,
    "real_token_share": NUMBER,
    "level": NUMBER,
    **{f"spikes_per_input_channel.{end}": NUMBER for end in _INTERVAL},
    **{
        f"accountings.{accounting}.{term}.{end}": NUMBER
        for accounting in ("fair", "paper")
        for term in ("dnn_uj", "snn_uj", "dnn_with_neuron_updates_uj", "snn_with_neuron_updates_uj")
        for end in _INTERVAL
    },
    **{
        f"accountings.{accounting}.{ratio}.{end}": NUMBER
        for accounting in ("fair", "paper")
        for ratio in ("ratio", "ratio_with_neuron_updates")
        for end in ("value", "ci_low", "ci_high")
    },
}
_RESULT_KEYS = (
    "examples",
    "clean_accuracy",
    "accuracy_under_attack",
    "success_rate",
    "avg_perturbed_word_share",
    "avg_queries",
)  # values may be null (e.g. success rate with nothing attacked)
HISTORY_COLUMNS = {
    "train_dnn": ("epoch", "model", "train_loss", "dev_acc"),
    "finetune": ("epoch", "train_loss", "dev_acc", "seconds"),
}
SWEEP_MODELS = ("converted", "finetuned")


@dataclass
class Measured:
    """A number from the metrics: one run (std None) or the mean and std over seeds."""

    mean: float
    std: float | None = None
    n: int = 1


@dataclass
class DatasetMetrics:
    name: str
    stages: dict[str, dict]  # stage -> parsed JSON (attack absent when not run)
    histories: dict[str, list[dict]] = field(default_factory=dict)  # train_dnn / finetune -> rows
    files: dict[str, Path] = field(default_factory=dict)  # stage -> the file it came from


def lookup(data: Any, dotted: str | tuple[str, ...]) -> Any:
    """Value at a dotted key, or at a tuple of keys (for names holding a dot: options "data_p99.9");
    KeyError when a part is absent."""
    node = data
    for part in dotted.split(".") if isinstance(dotted, str) else dotted:
        if not isinstance(node, dict) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_json_object(path: Path, expected: str, fix: str) -> dict:
    """A committed JSON file holding one object; SnntextError naming the file, what was expected and `fix`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SnntextError(f"{path}: not valid JSON ({err}); {fix}") from None
    if not isinstance(data, dict):
        raise SnntextError(f"{path}: expected {expected}; {fix}")
    return data


def check_keys(data: Any, keys: dict, path: Path | str, prefix: str = "", fix: str | None = None) -> None:
    """SnntextError naming `path` and the first key of `keys` (dotted -> NUMBER or a type) that `data` lacks or
    holds with the wrong type; `fix` is the remedy the message ends with (default: re-run the writing stage)."""
    for key, kind in keys.items():
        where = f"{prefix}{key}"
        try:
            value = lookup(data, key)
        except KeyError:
            raise SnntextError(
                f"{path}: missing key '{where}'; {fix or 'rerun the stage that writes it (dvc repro)'}"
            ) from None
        ok = _is_number(value) if kind == NUMBER else isinstance(value, kind)
        if not ok:
            want = "a finite number" if kind == NUMBER else kind.__name__
            raise SnntextError(
                f"{path}: key '{where}' must be {want}, got {value!r}; {fix or 'rerun the stage that writes it'}"
            )


def read_history_csv(path: Path, columns: tuple[str, ...]) -> list[dict]:
    """Rows of a history CSV with numeric columns parsed (empty cell -> None; `model` stays text)."""
    if not path.is_file():
        raise SnntextError(f"{path}: history file not found; run the stage that writes it (dvc repro)")
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != columns:
            raise SnntextError(
                f"{path}: expected columns {','.join(columns)}, got {reader.fieldnames}; rerun its stage"
            )
        rows = []
        for line, row in enumerate(reader, start=2):
            parsed = {}
            for key, text in row.items():
                if key == "model":
                    parsed[key] = text
                    continue
                try:
                    parsed[key] = None if text in ("", None) else float(text)
                except ValueError:
                    raise SnntextError(f"{path} line {line}: column '{key}' is {text!r}, not a number") from None
            rows.append(parsed)
    if not rows:
        raise SnntextError(f"{path}: no rows; rerun the stage that writes it")
    return rows


def _check_stage(stage: str, data: dict, path: Path | str) -> None:
    check_keys(data, _KEYS[stage], path)
    if stage == "convert":
        if not data["options"] or data["chosen"] not in data["options"]:
            raise SnntextError(f"{path}: 'chosen' is {data['chosen']!r} but options are {sorted(data['options'])}")
        for name, option in data["options"].items():
            check_keys(option, _OPTION_KEYS, path, f"options.{name}.")
            _check_energy(option["energy"], path, f"options.{name}.energy.")
    elif stage == "finetune":
        _check_energy(data["energy"], path, "energy.")
        if "paired_gap" in data:  # absent in metrics written before it existed
            check_keys(data["paired_gap"], _PAIRED_GAP_KEYS, path, "paired_gap.")
    elif stage == "sweep":
        for model in SWEEP_MODELS:
            splits = data["models"].get(model)
            if not isinstance(splits, dict) or not splits:
                raise SnntextError(f"{path}: missing key 'models.{model}'; rerun the sweep_timesteps stage")
            for split, entry in splits.items():
                points = entry.get("points") if isinstance(entry, dict) else None
                if not isinstance(points, dict) or not points:
                    raise SnntextError(f"{path}: missing key 'models.{model}.{split}.points'; rerun sweep_timesteps")
                for t, point in points.items():
                    check_keys(point, {"accuracy": NUMBER}, path, f"models.{model}.{split}.points.{t}.")
    elif stage == "attack":
        for model, recipes in data["models"].items():
            if not isinstance(recipes, dict):
                raise SnntextError(f"{path}: key 'models.{model}' must be a mapping of recipes; rerun the attack stage")
            for recipe, result in recipes.items():
                for key in _RESULT_KEYS:
                    where = f"models.{model}.{recipe}.{key}"
                    if not isinstance(result, dict) or key not in result:
                        raise SnntextError(f"{path}: missing key '{where}'; rerun the attack stage")
                    if result[key] is not None and not _is_number(result[key]):
                        raise SnntextError(f"{path}: key '{where}' must be a number or null, got {result[key]!r}")
    elif stage == "energy":
        for split, summary in data["splits"].items():
            if not isinstance(summary, dict):
                raise SnntextError(f"{path}: key 'splits.{split}' must be a mapping; rerun the energy stage")
            check_keys(summary, _SENTENCE_ENERGY_KEYS, path, f"splits.{split}.")
    per_seed = data.get("per_seed")
    if per_seed is not None and (
        not isinstance(per_seed, dict) or not all(isinstance(v, dict) for v in per_seed.values())
    ):
        raise SnntextError(f"{path}: key 'per_seed' must map each seed to a mapping of metrics")


def _check_energy(energy: dict, path: Path | str, prefix: str) -> None:
    check_keys(energy, _ENERGY_KEYS, path, prefix)
    for layer, entry in energy["layers"].items():
        check_keys(entry, _LAYER_KEYS, path, f"{prefix}layers.{layer}.")


def load_dataset_metrics(dataset: str, metrics_dir: Path) -> DatasetMetrics:
    """Every stage's metrics of one dataset, checked; attack is left out when its file is absent."""
    result = DatasetMetrics(dataset, {})
    for stage in REQUIRED_STAGES + OPTIONAL_STAGES:
        path = metrics_dir / stage / f"{dataset}.json"
        if stage in OPTIONAL_STAGES and not path.exists():
            continue
        data, where = read_stage_metrics(stage, dataset, metrics_dir), str(path)
        if stage in HEADLINE:  # the headline numbers and the detail they summarise (snntext.core.stage_metrics)
            where = f"{path} (with {detail_file(stage, dataset, metrics_dir).name})"
        _check_stage(stage, data, where)
        result.stages[stage], result.files[stage] = data, path
    for stage, columns in HISTORY_COLUMNS.items():
        result.histories[stage] = read_history_csv(metrics_dir / stage / f"{dataset}_history.csv", columns)
    return result


def missing_stages(run: dict[str, DatasetMetrics]) -> dict[str, list[str]]:
    """Optional stage -> the datasets it has not run for (stages that ran everywhere left out)."""
    missing = {stage: [ds for ds, m in run.items() if stage not in m.stages] for stage in OPTIONAL_STAGES}
    return {stage: names for stage, names in missing.items() if names}


def load_run_metrics(datasets: list[str], metrics_dir: Path) -> dict[str, DatasetMetrics]:
    """All datasets' metrics, in the order of `datasets`; raises on the first bad file."""
    if not datasets:
        raise SnntextError("params key 'datasets' is empty: nothing to report")
    return {name: load_dataset_metrics(name, Path(metrics_dir)) for name in datasets}


def measured(data: dict, dotted: str | tuple[str, ...]) -> Measured:
    """The value at `dotted`, or mean +- sample std over `per_seed` entries when each holds it."""
    per_seed = data.get("per_seed")
    if isinstance(per_seed, dict) and per_seed:
        try:
            values = [float(lookup(entry, dotted)) for entry in per_seed.values()]
        except (KeyError, TypeError, ValueError):
            values = []
        if len(values) > 1:
            mean = sum(values) / len(values)
            std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
            return Measured(mean, std, len(values))
        if len(values) == 1:
            return Measured(values[0])
    return Measured(float(lookup(data, dotted)))
