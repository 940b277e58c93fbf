"""The golden run (tests/golden_training.py) gives the committed weight hashes on every machine of a known
kind: a change of code, kernels or library that moves training by one bit fails here, not hours into a
`dvc repro`. Hashes are kept per CPU vendor and vector ISA (tests/golden/weights.json): a CPU kind not
listed yet is reported (its hashes printed, to be added once checked) and skipped, so CI never turns red
on a machine it has not met. docs/reproducibility.md lists where it passed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KNOWN = ROOT / "tests" / "golden" / "weights.json"


def golden_run() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATEN_", "ONEDNN_", "MKL_", "OMP_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    done = subprocess.run(
        [sys.executable, "-m", "tests.golden_training"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def kind_of(cpu: dict) -> str:
    return f"{cpu['vendor']} {cpu['isa']}"


def test_training_weights_match_the_committed_hashes_for_this_cpu_kind():
    result = golden_run()
    kind = kind_of(result["cpu"])
    known = json.loads(KNOWN.read_text(encoding="utf-8"))
    if kind not in known:
        pytest.skip(
            f"no committed hashes for {kind} ({result['cpu']['model']}): this run gave dnn {result['dnn']}, "
            f"snn {result['snn']}; add them to {KNOWN.relative_to(ROOT)} once a second machine agrees"
        )
    expected = known[kind]
    assert (result["dnn"], result["snn"]) == (expected["dnn"], expected["snn"]), (
        f"{kind} ({result['cpu']['model']}): training moved; dnn {result['dnn']}, snn {result['snn']} "
        f"against the committed {expected['dnn']}, {expected['snn']} (first seen on {expected['seen_on']})"
    )


def test_the_hash_sees_a_one_bit_change():
    import torch

    from tests.golden_training import weights_sha256

    model = torch.nn.Linear(3, 2)
    before = weights_sha256(model)
    with torch.no_grad():
        model.weight.view(-1)[0] = torch.nextafter(model.weight.view(-1)[0], torch.tensor(1e9))
    assert weights_sha256(model) != before
