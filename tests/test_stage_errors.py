"""Stage scripts refuse a bad params file: exit 2, one "error: " line naming the file and the key, no
traceback, and no output touched. Each stage runs in a scratch project root (SNNTEXT_ROOT, read by
snntext.core.paths) holding earlier outputs, which must come through byte- and mtime-identical.
Run with -s to see each stage's wall time to the error.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[1]
REAL = yaml.safe_load((PROJECT / "params.yaml").read_text(encoding="utf-8"))
OLD = 1_000_000_000  # mtime (s) of the pre-existing outputs, so a same-bytes rewrite still shows
OUTPUTS = [  # what earlier stages left in the scratch root
    "data/params_checked.txt",
    "data/prepared/mr/train.tsv",
    "data/prepared/mr/dev.tsv",
    "data/prepared/mr/test.tsv",
    "data/embedded/mr/meta.json",
    "data/models/mr/dnn.pt",
    "data/models/mr/kim.pt",
    "data/models/mr/snn_converted.pt",
    "data/models/mr/snn.pt",
    "data/attack/mr/dnn_pwws.csv",
    "metrics/train_dnn/mr.json",
    "metrics/convert/mr.json",
    "metrics/convert/mr_detail.json",
    "metrics/finetune/mr.json",
    "metrics/finetune/mr_history.csv",
    "metrics/attack/mr.json",
    "metrics/sweep_timesteps/mr.json",
    "metrics/energy/mr.json",
]


def params_with(dotted: str, value) -> dict:
    data = copy.deepcopy(REAL)
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = value
    return data


def snapshot(root: Path) -> dict:
    """Every path under root with its bytes (files) and mtime."""
    found = {}
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        found[str(path.relative_to(root))] = (path.read_bytes() if path.is_file() else None, stat.st_mtime_ns)
    return found


@pytest.fixture
def scratch_root(tmp_path):
    root = tmp_path / "root"
    for name in OUTPUTS:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"earlier output {name}\n".encode())
    for path in [*root.rglob("*"), root]:
        os.utime(path, (OLD, OLD))
    return root


def run_script(stage: str, args: list[str], root: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src"), "SNNTEXT_ROOT": str(root)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, f"stages/{stage}.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )
    return done, time.perf_counter() - start


# (stage, dataset argument or None, key, bad value, a fragment of the requirement)
CASES = [
    ("convert", "mr", "threshold", 0, "must be > 0"),
    ("train_dnn", "mr", "neurons_per_class", 0, "must be >= 1"),
    ("prepare", "mr", "seed", -1, "must be >= 0"),
    ("finetune", "mr", "timesteps", 0, "must be >= 1"),
    ("energy", "mr", "convert.eval_batch_size", 0, "must be >= 1"),
    ("attack", "mr", "attack.similarity", 2, "must be >= -1 and <= 1"),
    ("check_params", None, "datasets", ["x; echo hi > f #"], "must be a dataset name"),
]


@pytest.mark.parametrize(
    ("stage", "dataset", "key", "value", "requirement"), CASES, ids=[f"{stage}-{key}" for stage, _, key, _, _ in CASES]
)
def test_bad_params_exit_2_with_one_line(stage, dataset, key, value, requirement, scratch_root, tmp_path):
    params_file = tmp_path / "exp" / "params.yaml"
    params_file.parent.mkdir()
    params_file.write_text(yaml.safe_dump(params_with(key, value), sort_keys=False), encoding="utf-8")
    before = snapshot(scratch_root)

    done, seconds = run_script(stage, [*([dataset] if dataset else []), "--params", str(params_file)], scratch_root)
    print(f"\n{stage}: {key}={value!r}: error after {seconds:.2f} s: {done.stderr.strip()}")

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and done.stderr.endswith("\n"), done.stderr
    assert re.match(rf"error: {re.escape(str(params_file))}: key '{re.escape(key)}' ", lines[0]), lines[0]
    assert requirement in lines[0]
    assert snapshot(scratch_root) == before


def test_check_params_reads_the_roots_params_file_by_default(scratch_root):
    """Without --params the stage reads <SNNTEXT_ROOT>/params.yaml and names that file."""
    params_file = scratch_root / "params.yaml"
    params_file.write_text(yaml.safe_dump(params_with("datasets", ["mr", "nosuch"])), encoding="utf-8")
    before = snapshot(scratch_root)
    done, seconds = run_script("check_params", [], scratch_root)
    print(f"\ncheck_params (default params file): error after {seconds:.2f} s: {done.stderr.strip()}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert re.fullmatch(
        rf"error: {re.escape(str(params_file))}: key 'datasets' names 'nosuch', which .+\n", done.stderr
    ), done.stderr
    assert snapshot(scratch_root) == before


def test_check_params_passes_and_writes_under_the_scratch_root(scratch_root, tmp_path):
    """The control: good params pass, and the output lands under SNNTEXT_ROOT (so the checks above
    watch the folder a stage would have written to)."""
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(REAL), encoding="utf-8")
    checked = scratch_root / "data" / "params_checked.txt"
    done, seconds = run_script("check_params", ["--params", str(params_file)], scratch_root)
    print(f"\ncheck_params (good params): exit {done.returncode} after {seconds:.2f} s")
    assert done.returncode == 0, done.stderr
    assert checked.read_text(encoding="utf-8") == "params.yaml passed every check of snntext.core.params\n"
    assert checked.stat().st_mtime_ns != OLD * 10**9
