"""scripts/run_energy_grid.py on a fake project: the commands it would queue (up to the energy stage), and
collecting finished experiments into metrics/energy_grid.json, with the energy stage's dev numbers where the
experiment has them (dvc and git answered by fakes: nothing is run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from snntext.core import paths
from snntext.report.frontier import GRID_FILE, has_dev, load_grid
from tests.report.fake_metrics import FINETUNE_HISTORY, dataset_metrics, sentence_energy_metrics
from tests.scripts import load_script


@pytest.fixture
def script(monkeypatch, tmp_path):
    """The script as a module, in an empty project at tmp_path whose params list mr and chnsenti."""
    module = load_script("run_energy_grid")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"datasets": ["mr", "chnsenti"]}))
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(paths, "METRICS_DIR", tmp_path / "metrics")
    return module


def test_dry_run_queues_each_setting_up_to_the_energy_stage(script, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["run_energy_grid.py", "--dry-run", "--settings", "T8", "T16-signed"])
    script.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "dvc exp run --queue -n energy-T8 -S timesteps=8 -S datasets=[mr,chnsenti] energy"
    assert lines[1].startswith("dvc exp run --queue -n energy-T16-signed") and lines[1].endswith(" energy")


def test_collect_reads_the_energy_stage_where_the_experiment_ran_it(script, monkeypatch):
    """energy-T8 ran the energy stage (its points can be selected on dev), energy-T4 predates it (shown only)."""
    shown = [
        {
            "rev": "head",
            "experiments": [
                {"name": f"energy-{n}", "revs": [{"rev": f"rev-{n}", "name": f"energy-{n}", "error": None}]}
                for n in ("T8", "T4")
            ],
        }
    ]
    bases = {"mr": 0.76, "chnsenti": 0.85}
    asked: list[str] = []

    def file_at(rev: str, path: str) -> str:
        return yaml.safe_dump({"datasets": ["mr", "chnsenti"]}) if path == "params.yaml" else FINETUNE_HISTORY

    def json_at_if_present(rev: str, path: str) -> dict | None:
        asked.append(path)
        ds = Path(path).stem
        return sentence_energy_metrics(ds, snn_uj=2.0, accuracy={"dev": bases[ds]}) if rev == "rev-T8" else None

    monkeypatch.setattr(script, "exp_show", lambda: shown)
    monkeypatch.setattr(script, "file_at", file_at)
    monkeypatch.setattr(script, "json_at_if_present", json_at_if_present)
    monkeypatch.setattr(
        script, "stage_metrics_at", lambda rev, stage, ds: dataset_metrics(ds, bases[ds], "en", "glove-6b-50d")[stage]
    )
    script.collect(None, None)
    grid = load_grid(paths.METRICS_DIR / GRID_FILE)
    assert grid is not None and set(grid["settings"]) == {"T8", "T4"}
    assert "metrics/energy/mr.json" in asked
    by = {(p["setting"], p["dataset"]): p for p in grid["points"]}
    assert all(has_dev(by["T8", ds]) for ds in bases) and not any(has_dev(by["T4", ds]) for ds in bases)
    assert by["T8", "mr"]["snn_dev_acc_mean"] == pytest.approx(0.76) and by["T8", "mr"]["dnn_dev_acc"] == 0.77
    assert by["T8", "mr"]["sentence_energy"]["test"]["fair"]["ratio"]["value"] == pytest.approx(0.2)
    script.collect(["T8"], 60.0, {"T8": 1500.0})  # a timed run of T8
    script.collect(None, None)  # then a re-collection of everything: T8's time stays, T4 had none
    grid = load_grid(paths.METRICS_DIR / GRID_FILE)
    assert grid["settings"]["T8"]["wall_s"] == 1500.0 and "wall_s" not in grid["settings"]["T4"]
    assert grid["note"].endswith("25 min of wall time over the 1 settings timed")
