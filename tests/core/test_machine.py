"""The machine record a stage keeps beside its metrics."""

from __future__ import annotations

import subprocess

from snntext.core.machine import code_commit, cpu_kind, machine_record


def test_cpu_kind_names_vendor_model_and_isa():
    kind = cpu_kind()
    assert set(kind) == {"vendor", "model", "isa"}
    assert kind["isa"] in {"avx512", "avx2", "other", "unknown"}


def test_machine_record_holds_what_the_report_names():
    record = machine_record()
    assert {"cpu", "threads", "torch", "date", "commit"} <= set(record)
    assert record["date"].endswith("UTC")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_commit_is_marked_dirty_only_when_code_differs(tmp_path):
    assert code_commit(tmp_path) == "unknown"  # not a checkout
    git(tmp_path, "init", "-q")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    clean = code_commit(tmp_path)
    assert len(clean) == 10 and "+" not in clean
    (tmp_path / "notes.md").write_text("not code\n")
    assert code_commit(tmp_path) == clean
    (tmp_path / "src" / "a.py").write_text("x = 2\n")
    assert code_commit(tmp_path) == clean + "+dirty"


def test_record_keeps_the_commit_of_the_stage_start(tmp_path, monkeypatch):
    from snntext.core import machine

    monkeypatch.setattr(machine, "_started_at", {})
    monkeypatch.setattr(machine, "code_commit", lambda root=None: "first")
    machine.remember_start()
    monkeypatch.setattr(machine, "code_commit", lambda root=None: "second")
    assert machine.machine_record()["commit"] == "first"
