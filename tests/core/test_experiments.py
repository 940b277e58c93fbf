"""Commands the experiment scripts run in the project: echoed, captured, refused with the command quoted."""

from __future__ import annotations

import subprocess
import sys

import pytest

from snntext.core import experiments
from snntext.core.errors import SnntextError


def test_captured_output_and_a_failure_quoting_the_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(experiments.paths, "PROJECT_ROOT", tmp_path)
    assert experiments.run_in_project(
        [sys.executable, "-c", "import os; print(os.getcwd())"], capture=True
    ).strip() == str(tmp_path)
    assert "+ " in capsys.readouterr().out
    with pytest.raises(SnntextError, match=r"failed with exit status 3: boom"):
        experiments.run_in_project(
            [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"], capture=True
        )


def test_untracked_sources_lists_only_untracked_files_under_the_watched_paths(monkeypatch, tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "new.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    monkeypatch.setattr(experiments.paths, "PROJECT_ROOT", tmp_path)
    assert experiments.untracked_sources() == ["src/new.py"]


def test_stage_metrics_at_a_commit_join_headline_and_detail(monkeypatch, tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "metrics" / "finetune").mkdir(parents=True)
    (tmp_path / "metrics" / "finetune" / "mr.json").write_text('{"test_acc": 0.7}')
    (tmp_path / "metrics" / "finetune" / "mr_detail.json").write_text('{"seconds": 12.0, "test_acc": 0.1}')
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "m")
    (tmp_path / "metrics" / "finetune" / "mr.json").write_text('{"test_acc": 0.9}')  # the workspace moved on
    monkeypatch.setattr(experiments.paths, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(experiments.paths, "METRICS_DIR", tmp_path / "metrics")
    assert experiments.stage_metrics_at("HEAD", "finetune", "mr") == {"seconds": 12.0, "test_acc": 0.7}
    with pytest.raises(SnntextError, match="git show HEAD:metrics/convert/mr_detail.json"):
        experiments.stage_metrics_at("HEAD", "convert", "mr")


def test_run_queued_refuses_untracked_sources_and_runs_one_at_a_time(monkeypatch):
    calls = []
    monkeypatch.setattr(experiments, "run_in_project", lambda argv, capture=False: calls.append(argv) or "")
    monkeypatch.setattr(experiments, "untracked_sources", lambda: ["src/new.py"])
    with pytest.raises(SnntextError, match="git add or remove first: src/new.py"):
        experiments.run_queued({1: ["dvc", "q1"]}, 1)
    assert not calls
    monkeypatch.setattr(experiments, "untracked_sources", list)
    wall, walls = experiments.run_queued({1: ["dvc", "q1"], 2: ["dvc", "q2"]}, 1)
    run_all = ["dvc", "exp", "run", "--run-all", "-j", "1"]
    assert calls == [["dvc", "q1"], run_all, ["dvc", "q2"], run_all]
    assert set(walls) == {1, 2} and wall >= sum(walls.values())
    calls.clear()
    assert experiments.run_queued({1: ["dvc", "q1"], 2: ["dvc", "q2"]}, 2)[1] == {}
    assert calls == [["dvc", "q1"], ["dvc", "q2"], ["dvc", "exp", "run", "--run-all", "-j", "2"]]
