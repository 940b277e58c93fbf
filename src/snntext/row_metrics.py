"""Headline and detail files of the stages that add rows to the accuracy table (train_direct, random_embeddings).

They follow snntext.stage_metrics' two-file layout; their headline keys live here, not in stage_metrics.HEADLINE,
because stage_metrics.py is a dependency of every training stage: adding a stage must not re-run the others.
"""
from __future__ import annotations

from pathlib import Path

from snntext.stage_metrics import detail_file, headline_file, write_json_atomic

HEADLINE = {
    "train_direct": ("dev_acc", "test_acc", "test_mean", "energy_ratio_snn_to_dnn"),
    "random_embeddings": ("dnn_test_acc", "converted_test_acc", "snn_test_mean", "gap_points"),
}


def write_row_metrics(stage: str, dataset: str, metrics: dict, metrics_dir: Path | None = None) -> None:
    """As stage_metrics.write_stage_metrics: the detail file first, then the headline DVC compares."""
    keys = HEADLINE[stage]
    missing = [k for k in keys if k not in metrics]
    if missing:
        raise ValueError(f"{stage} metrics lack the headline keys {missing}")
    write_json_atomic(detail_file(stage, dataset, metrics_dir), {k: v for k, v in metrics.items() if k not in keys})
    write_json_atomic(headline_file(stage, dataset, metrics_dir), {k: metrics[k] for k in keys})
