"""A stage's metrics in two files: the headline numbers DVC shows, and the detail the report reads.

metrics/<stage>/<dataset>.json (declared `metrics` in dvc.yaml) holds only the few numbers an
ablation is judged by, so `dvc exp show --only-changed` stays readable; everything else the stage
measured (per option, per layer, per recipe) goes to metrics/<stage>/<dataset>_detail.json, a plain
output. `read_stage_metrics` joins the two back into the one mapping the stage produced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snntext.core import paths
from snntext.core.atomic import write_text_atomic
from snntext.core.errors import SnntextError
from snntext.core.machine import machine_record

RAN_ON = "ran_on"  # detail key: snntext.core.machine.machine_record() of the process that wrote the metrics

HEADLINE = {
    "train_dnn": ("kim_dev_acc", "kim_test_acc", "dnn_dev_acc", "dnn_test_acc"),
    "convert": ("dev_acc", "test_acc", "energy_ratio_snn_to_dnn"),
    "finetune": ("dev_acc", "test_acc", "gap_points", "energy_ratio_snn_to_dnn", "pooled_firing_rate"),
    "attack": ("under_attack",),
    "train_direct": ("dev_acc", "test_acc", "test_mean", "energy_ratio_snn_to_dnn"),
    "random_embeddings": ("dnn_test_acc", "converted_test_acc", "snn_test_mean", "gap_points"),
}


def write_json_atomic(path: str | Path, data: dict[str, Any]) -> None:
    """Indented JSON via a temp file in the same folder and a rename."""
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def write_stage_metrics(stage: str, dataset: str, metrics: dict[str, Any], metrics_dir: Path | None = None) -> None:
    """Split `metrics` into the headline file and the detail file (detail first: the headline,
    which DVC compares, is only replaced once the detail it summarises is on disk). The detail also
    records the machine, date and code commit that made the numbers (key RAN_ON)."""
    headline_keys = HEADLINE[stage]
    missing = [k for k in headline_keys if k not in metrics]
    if missing:
        raise ValueError(f"{stage} metrics lack the headline keys {missing}")
    headline = {k: metrics[k] for k in headline_keys}
    detail = {k: v for k, v in metrics.items() if k not in headline}
    detail.setdefault(RAN_ON, machine_record())
    write_json_atomic(detail_file(stage, dataset, metrics_dir), detail)
    write_json_atomic(headline_file(stage, dataset, metrics_dir), headline)


DVC_STAGES = {"sweep": "sweep_timesteps"}  # metrics folder -> the dvc.yaml stage that writes it, where they differ


def read_metrics_file(path: Path, stage: str, dataset: str) -> dict[str, Any]:
    """One metrics JSON file as a mapping; SnntextError naming the file and the stage to re-run."""
    rerun = f"dvc repro {DVC_STAGES.get(stage, stage)}@{dataset}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnntextError(f"{path}: metrics file not found; run the stage that writes it ({rerun})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SnntextError(f"{path}: not valid JSON ({err}); rerun the stage that writes it ({rerun})") from None
    if not isinstance(data, dict):
        raise SnntextError(f"{path}: expected a JSON object at the top level; rerun the stage that writes it ({rerun})")
    return data


def read_stage_metrics(stage: str, dataset: str, metrics_dir: Path | None = None) -> dict[str, Any]:
    """The stage's metrics as it produced them: the headline file joined with its detail file
    (a stage without a headline split has just the one file). The one reader of metrics files:
    stages, scripts and the report all come here."""
    data = read_metrics_file(headline_file(stage, dataset, metrics_dir), stage, dataset)
    if stage in HEADLINE:
        data = {**read_metrics_file(detail_file(stage, dataset, metrics_dir), stage, dataset), **data}
    return data


def headline_file(stage: str, dataset: str, metrics_dir: Path | None = None) -> Path:
    return Path(metrics_dir or paths.METRICS_DIR) / stage / f"{dataset}.json"


def detail_file(stage: str, dataset: str, metrics_dir: Path | None = None) -> Path:
    return Path(metrics_dir or paths.METRICS_DIR) / stage / f"{dataset}_detail.json"
