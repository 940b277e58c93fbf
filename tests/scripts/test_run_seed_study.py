"""scripts/run_seed_study.py on a fake project: the commands it would queue, and collecting the workspace's run and
finished experiments into metrics/seed_study.json (dvc and git answered by fakes: nothing is run)."""

from __future__ import annotations

import json
import sys

import pytest
import yaml

from snntext.core import paths
from snntext.report.seeds import STUDY_FILE, load_study
from tests.report.fake_metrics import dataset_metrics, write_fake_run
from tests.scripts import load_script


@pytest.fixture
def script(monkeypatch, tmp_path):
    """The script as a module, in a project at tmp_path with the fake run's metrics (seed 0, mr and chnsenti)."""
    module = load_script("run_seed_study")
    datasets = write_fake_run(tmp_path / "metrics")
    params = {"seed": 0, "datasets": datasets}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(paths, "METRICS_DIR", tmp_path / "metrics")
    monkeypatch.setattr(module, "run", lambda argv, capture=False: "c0ffee1234\n")
    return module


def fake_experiments(monkeypatch, script, shifts: dict[int, float]) -> None:
    """Finished experiments seed-<S>, each a run whose accuracies are the fake run's plus shifts[S]."""
    shown = [
        {
            "rev": "head",
            "experiments": [
                {"name": f"seed-{s}", "revs": [{"rev": f"rev{s}", "name": f"seed-{s}", "error": None}]} for s in shifts
            ],
        }
    ]
    monkeypatch.setattr(script, "exp_show", lambda: shown)
    monkeypatch.setattr(script, "file_at", lambda rev, path: yaml.safe_dump({"seed": 1, "datasets": ["mr"]}))
    bases = {"mr": 0.76, "chnsenti": 0.85}

    def stage_metrics_at(rev: str, stage: str, ds: str) -> dict:
        return dataset_metrics(ds, bases[ds] + shifts[int(rev[3:])], "en", "glove-6b-50d")[stage]

    monkeypatch.setattr(script, "stage_metrics_at", stage_metrics_at)


def test_dry_run_prints_the_queue_and_skips_the_committed_seed(script, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["run_seed_study.py", "--dry-run", "--seeds", "0", "1", "2", "--jobs", "2"])
    script.main()
    out = capsys.readouterr().out
    assert "2 seeds; estimated 1.9 h from the last run's stage times" in out  # 2 x 2 x 1700.5 s
    assert "dvc exp run --queue -n seed-1 -S seed=1 finetune\ndvc exp run --queue -n seed-2 -S seed=2 finetune\n" in out
    assert "seed=0" not in out and out.endswith("dvc exp run --run-all -j 2\n")
    assert not (paths.METRICS_DIR / STUDY_FILE).exists()


def test_collect_reads_the_workspace_and_each_finished_experiment(script, monkeypatch, capsys):
    fake_experiments(monkeypatch, script, {1: 0.01})
    script.collect([1, 2], 3600.0, {1: 3000.0})
    study = load_study(paths.METRICS_DIR / STUDY_FILE)  # written, and it passes the report's check
    assert study is not None
    assert "seed 2: no finished experiment seed-2" in capsys.readouterr().err
    assert study["seeds"]["0"] == {"experiment": None, "rev": "c0ffee1234"}
    assert study["seeds"]["1"] == {"experiment": "seed-1", "rev": "rev1", "wall_s": 3000.0}
    assert [(p["seed"], p["dataset"]) for p in study["points"]] == [(0, "chnsenti"), (0, "mr"), (1, "mr")]
    assert study["points"][2]["dnn_test_acc"] == pytest.approx(0.77) and study["wall_s"] == 3600.0
    assert study["points"][0]["ran_on"]["finetune"]["cpu"]["model"] == "test CPU"

    fake_experiments(monkeypatch, script, {2: -0.01})  # seed 2 finishes later: seed 1 is kept
    script.collect([2], None)
    study = json.loads((paths.METRICS_DIR / STUDY_FILE).read_text())
    assert sorted(study["seeds"]) == ["0", "1", "2"] and len(study["points"]) == 4
    assert study["wall_s"] == 3600.0  # the last full run's, not overwritten by a collection alone
