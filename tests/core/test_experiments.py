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
