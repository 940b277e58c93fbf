"""The `snntext` command (snntext.cli.main): predict and export on a tiny project in tmp_path."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from snntext.cli.main import main
from snntext.core.cpu_kernels import SWITCH
from tests.cli.test_predict import make_project


@pytest.fixture(autouse=True)
def machine_kernels(monkeypatch):
    """In-process runs: earlier tests already ran torch, too late to pin portable kernels (the
    subprocess test below runs with the pinning, as a user's command does)."""
    monkeypatch.setenv(SWITCH, "0")


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path / "proj")


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_arguments(project, capsys):
    code, out, err = run(capsys, "predict", "mr", "good film", "bad awful film", "--project", str(project), "-T", "7")
    assert code == 0 and err == ""
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 2 and blocks[0].startswith("good film  (2 tokens, 0 unknown)")
    assert all("SNN spikes (T=7)" in b and "DNN: " in b and "SNN: " in b for b in blocks)


def test_predict_stdin_skips_blank_lines_and_is_deterministic(project, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("good film\n\n  \nbad film\n"))
    code, out, _ = run(capsys, "predict", "mr", "--project", str(project))
    assert code == 0 and out.count("DNN prob") == 2 and "SNN spikes (T=50)" in out  # params.yaml's T
    code, again, _ = run(capsys, "predict", "mr", "good film", "bad film", "--project", str(project))
    assert again == out


def test_predict_raster(project, capsys, tmp_path):
    code, out, _ = run(
        capsys, "predict", "mr", "good film", "--raster", str(tmp_path / "r.png"), "--project", str(project), "-T", "9"
    )
    assert code == 0 and f"raster: {tmp_path / 'r.png'}" in out
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "nope", "good"], "unknown dataset 'nope'"),
        (["predict", "mr", " "], "sentence 1 is empty"),
        (["predict", "mr", "a", "b", "--raster", "x.png"], "--raster draws one sentence; 2 were given"),
        (["predict", "sst2", "good"], "dvc repro embed@sst2"),
        (["predict", "mr", "good", "-T", "0"], "--timesteps must be at least 1"),
        (["predict", "mr", "good", "-T", "1001"], "--timesteps must be at most 1000, got 1001"),
        (["predict", "mr", "good", "--seed", str(2**64)], f"--seed must be at most {2**64 - 1} (2**64 - 1)"),
        (["predict", "mr", "good", "--seed", "-1"], "--seed must be >= 0, got -1"),
        (["predict", "mr", "good", "--raster", "r.gif"], "r.gif: raster format must be .png, .pdf or .svg"),
        (["export", "--nir", "sst2"], "dvc repro finetune@sst2"),
        (["export", "--nir", "Bad-Name"], "dataset 'Bad-Name'"),
    ],
)
def test_user_errors_exit_2_with_one_line(project, capsys, argv, message):
    code, out, err = run(capsys, *argv, "--project", str(project))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_largest_timesteps_and_seed_still_run(project, capsys):
    code, out, err = run(
        capsys, "predict", "mr", "good", "-T", "1000", "--seed", str(2**64 - 1), "--project", str(project)
    )
    assert code == 0 and err == "" and "SNN spikes (T=1000)" in out


def test_unwritable_outputs_are_refused_before_any_work(project, capsys, tmp_path, monkeypatch):
    """Checked before the models are loaded: loading them would fail this test."""
    import snntext.cli.predict

    def no_loading(*_args, **_kwargs):
        raise AssertionError("loaded the models")

    monkeypatch.setattr(snntext.cli.predict, "load_classifier", no_loading)
    monkeypatch.setattr("snntext.cli.nir_export.export_snn", no_loading)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    for argv, message in [
        (["predict", "mr", "good", "--raster", str(tmp_path / "folder")], "is a folder; give a file name"),
        (["predict", "mr", "good", "--raster", str(tmp_path / "file" / "r.png")], "file is a file, not a folder"),
        (["export", "--nir", "mr", "-o", str(tmp_path / "folder")], "is a folder; give a file name"),
        (["export", "--nir", "mr", "-o", str(tmp_path / "file" / "a" / "x.nir")], "file is a file, not a folder"),
    ]:
        code, out, err = run(capsys, *argv, "--project", str(project))
        assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err
    assert (tmp_path / "file").read_text() == "x" and not list((tmp_path / "folder").iterdir())


def test_ctrl_c_is_one_line_and_exit_130(project, capsys, monkeypatch):
    import snntext.cli.predict
    from snntext.core.stage_script import INTERRUPTED

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(snntext.cli.predict, "classify", interrupted)
    code, out, err = run(capsys, "predict", "mr", "good", "--project", str(project))
    assert (code, out, err) == (130, "", INTERRUPTED + "\n")


def test_model_not_built_names_the_stage(tmp_path, capsys):
    project = make_project(tmp_path / "p", models=["dnn.pt"])
    code, _, err = run(capsys, "predict", "mr", "good", "--project", str(project))
    assert code == 2 and "snn.pt: not found; build it first with `dvc repro finetune@mr`" in err


def test_export_nir(project, capsys, tmp_path):
    nir = pytest.importorskip("nir")
    target = tmp_path / "out" / "mr.nir"
    code, out, _ = run(capsys, "export", "--nir", "mr", "-o", str(target), "--project", str(project))
    assert code == 0 and f"wrote {target}" in out
    graph = nir.read(target)
    assert int(graph.metadata["input_length"]) == 35  # mr's max_len in the registry
    assert int(graph.metadata["timesteps"]) == 50 and graph.metadata["labels"] == "negative,positive"
    code, _, _ = run(capsys, "export", "--nir", "mr", "-o", str(target), "--form", "neurons", "--project", str(project))
    assert code == 0 and any(isinstance(n, nir.IF) for n in nir.read(target).nodes.values())


def test_module_entry_point_in_a_fresh_process(project):
    """As a user runs it: portable CPU kernels pinned first, output, and exit 2 without a traceback."""
    env = {k: v for k, v in os.environ.items() if k != SWITCH}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    command = [sys.executable, "-m", "snntext.cli.main", "predict", "mr", "good film", "-T", "5"]
    ok = subprocess.run([*command, "--project", str(project)], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0 and "SNN spikes (T=5)" in ok.stdout, ok.stderr
    bad = subprocess.run(
        [*command, "--project", str(project / "missing")], capture_output=True, text=True, env=env, timeout=120
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: ") and "params file not found" in bad.stderr
