"""Headline and detail metrics files: the split, the join, and what a bad file says."""

from __future__ import annotations

import json

import pytest

from snntext.core.errors import SnntextError
from snntext.core.stage_metrics import HEADLINE, RAN_ON, read_stage_metrics, write_json_atomic, write_stage_metrics


def test_write_json_atomic(tmp_path):
    path = tmp_path / "m" / "x.json"
    write_json_atomic(path, {"a": 1.5})
    assert json.loads(path.read_text()) == {"a": 1.5}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]


def test_split_keeps_only_the_headline_in_the_metrics_file_and_joins_back(tmp_path):
    metrics = {
        "dev_acc": 0.7,
        "test_acc": 0.71,
        "energy_ratio_snn_to_dnn": 3.0,
        "options": {"none": {"dev": {"accuracy": 0.5}}},
        "timesteps": 50,
    }
    write_stage_metrics("convert", "mr", metrics, tmp_path)
    headline = json.loads((tmp_path / "convert" / "mr.json").read_text())
    detail = json.loads((tmp_path / "convert" / "mr_detail.json").read_text())
    assert list(headline) == list(HEADLINE["convert"])
    assert set(detail) == {"options", "timesteps", RAN_ON}
    assert detail[RAN_ON]["threads"] >= 1 and detail[RAN_ON]["commit"]
    joined = read_stage_metrics("convert", "mr", tmp_path)
    assert joined.pop(RAN_ON) == detail[RAN_ON]
    assert joined == metrics


def test_missing_headline_key_is_a_bug_not_a_silent_gap(tmp_path):
    with pytest.raises(ValueError, match="headline keys"):
        write_stage_metrics("finetune", "mr", {"dev_acc": 0.5}, tmp_path)
    assert not (tmp_path / "finetune").exists()


def test_missing_or_broken_files_name_the_file_and_the_stage(tmp_path):
    with pytest.raises(
        SnntextError,
        match=r"convert/mr.json: metrics file not found; run the stage that writes it \(dvc repro convert@mr\)",
    ):
        read_stage_metrics("convert", "mr", tmp_path)
    write_stage_metrics("convert", "mr", {"dev_acc": 0.7, "test_acc": 0.7, "energy_ratio_snn_to_dnn": 1.0}, tmp_path)
    (tmp_path / "convert" / "mr.json").write_text("{oops")
    with pytest.raises(SnntextError, match=r"convert/mr.json: not valid JSON"):
        read_stage_metrics("convert", "mr", tmp_path)
