"""Ablation pieces that run without DVC experiments: the grid, the queue commands, and parsing a
`dvc exp show --json` captured from DVC 3.67.1 (tests/report/exp_show.json: a scratch repo with
experiments abl-threshold-0.5 and abl-beta-0.9 queued with -S datasets=[mr])."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snntext.core.errors import SnntextError
from snntext.report.ablations import (
    GRIDS,
    ExperimentRow,
    GridPoint,
    ablation_points,
    ablations_markdown,
    build_grid,
    format_value,
    param_value,
    parse_exp_show,
    parse_grid_option,
    queue_commands,
)

CAPTURED = Path(__file__).resolve().parent / "exp_show.json"


def test_grid_is_baseline_then_one_param_at_a_time():
    points = build_grid({"beta": [0.9], "threshold": [0.5, 2.0]})
    assert points == [GridPoint(None), GridPoint("threshold", 0.5), GridPoint("threshold", 2.0), GridPoint("beta", 0.9)]
    assert [p.name("abl") for p in points] == ["abl-baseline", "abl-threshold-0.5", "abl-threshold-2.0", "abl-beta-0.9"]
    assert len(build_grid(GRIDS["default"])) == 6 and len(build_grid(GRIDS["big"])) == 18


def test_grid_refuses_unknown_params_and_duplicates():
    with pytest.raises(SnntextError, match="unknown params"):
        build_grid({"tau": [2.0]})
    with pytest.raises(SnntextError, match="duplicate"):
        build_grid({"beta": [0.9, 0.9]})


def test_values_are_written_without_float_noise():
    assert format_value(0.1 + 0.2) == "0.30000000000000004"  # why values are listed, never computed
    assert parse_grid_option("threshold=0.3,1.5,2") == ("threshold", [0.3, 1.5, 2])
    assert format_value(0.3) == "0.3" and format_value(["mr", "sst2"]) == "[mr,sst2]"
    with pytest.raises(SnntextError):
        parse_grid_option("threshold=high")


def test_queue_commands_one_override_each_plus_shared_ones():
    commands = queue_commands(
        build_grid({"threshold": [0.5]}),
        prefix="abl",
        overrides={"datasets": ["mr"], "finetune.epochs": "2"},
        targets=["finetune"],
    )
    assert commands == [
        [
            "dvc",
            "exp",
            "run",
            "--queue",
            "-n",
            "abl-baseline",
            "-S",
            "datasets=[mr]",
            "-S",
            "finetune.epochs=2",
            "finetune",
        ],
        [
            "dvc",
            "exp",
            "run",
            "--queue",
            "-n",
            "abl-threshold-0.5",
            "-S",
            "datasets=[mr]",
            "-S",
            "finetune.epochs=2",
            "-S",
            "threshold=0.5",
            "finetune",
        ],
    ]


def test_parse_captured_exp_show():
    rows = parse_exp_show(json.loads(CAPTURED.read_text()), "abl")
    assert [r.name for r in rows] == ["abl-beta-0.9", "abl-threshold-0.5"]
    threshold = rows[1]
    assert threshold.params["threshold"] == 0.5 and threshold.params["datasets"] == ["mr"]
    assert set(threshold.metrics) == {"mr"} and threshold.metrics["mr"]["finetune"]["test_acc"] == 0.76
    points = ablation_points(rows, "threshold")
    assert sorted((p["experiment"], p["value"], round(p["test_acc"], 6), p["pooled_rate"]) for p in points) == [
        ("abl-beta-0.9", 1.0, 0.71, 0.2),
        ("abl-threshold-0.5", 0.5, 0.76, 0.4),
    ]
    assert parse_exp_show(json.loads(CAPTURED.read_text()), "other") == []


def test_ablations_markdown_tables_and_failures():
    data = json.loads(CAPTURED.read_text())
    data[1]["experiments"].append(
        {
            "revs": [
                {
                    "rev": "x",
                    "name": "abl-beta-0.5",
                    "data": {},
                    "error": {"type": "ReproductionError", "msg": "failed to reproduce 'finetune@mr'"},
                }
            ]
        }
    )
    rows = parse_exp_show(data, "abl")
    text = ablations_markdown(rows, "abl", {"threshold": "figures/ablation_threshold.png"})
    assert "## threshold" in text and "![threshold](figures/ablation_threshold.png)" in text
    assert "| MR | 0.5 | – | – | 77.00 | 76.00 | 40.00 | – | `abl-threshold-0.5` |" in text
    assert "- `abl-beta-0.5`: failed to reproduce 'finetune@mr'" in text
    assert "No finished experiments" in ablations_markdown([], "abl", {})


def test_nested_param_is_read_at_its_dotted_key():
    """embed.clip_sigma lives under `embed:` in params.yaml; its points carry the DNN's accuracy too
    (the window changes the DNN, unlike threshold or beta)."""
    row = ExperimentRow(
        "abl-embed.clip_sigma-3.0",
        {"datasets": ["mr"], "threshold": 1.0, "embed": {"clip_sigma": 3.0}},
        {
            "mr": {
                "train_dnn": {"dnn_test_acc": 0.73},
                "convert": {"test_acc": 0.72},
                "finetune": {"test_acc": 0.71, "dev_acc": 0.7},
            }
        },
    )
    assert param_value(row.params, "embed.clip_sigma") == 3.0 and param_value(row.params, "embed.oov") is None
    (point,) = ablation_points([row], "embed.clip_sigma")
    assert (point["value"], point["dnn_test_acc"], point["test_acc"]) == (3.0, 0.73, 0.71)
    assert ablation_points([row], "beta") == []
    text = ablations_markdown([row], "abl", {})
    assert "## embed.clip_sigma" in text and "| MR | 3.0 | 73.00 | 72.00 | 70.00 | 71.00 | – | – |" in text
