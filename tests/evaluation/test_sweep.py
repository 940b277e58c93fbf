"""The inference-only T sweep: exact at max(T), a same-seed prefix below it, and the stage end to end."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from snntext.evaluation.sweep import accuracy_by_timesteps, check_timesteps, sweep_rows, timestep_sweep, write_sweep_csv
from snntext.models.checkpoint import save_checkpoint
from snntext.models.spiking import SpikingTextCNN, evaluate_spiking
from tests.params_helper import write_params

ROOT = Path(__file__).resolve().parents[2]
L, D, V, N = 8, 6, 12, 40


def tiny_net(seed: int = 0) -> SpikingTextCNN:
    torch.manual_seed(seed)
    net = SpikingTextCNN(D, num_classes=2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4, threshold=0.5)
    with torch.no_grad():
        for conv in net.convs:
            conv.weight.uniform_(-0.2, 0.6)
        net.fc.weight.uniform_(-1.0, 1.5)
    return net


def tiny_data(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    table = torch.rand(V, D, generator=g)
    table[0] = 0
    ids = torch.randint(1, V, (N, L), generator=g)
    lengths = torch.randint(3, L + 1, (N,), generator=g)
    ids[torch.arange(L).expand(N, L) >= lengths[:, None]] = 0
    labels = torch.randint(0, 2, (N,), generator=g)
    return ids, labels, table


def test_max_timesteps_equals_evaluate_spiking():
    net, (ids, labels, table) = tiny_net(), tiny_data()
    points = accuracy_by_timesteps(net, ids, labels, table, timesteps=[1, 3, 12], seed=5, batch_size=16)
    ref = evaluate_spiking(net, ids, labels, table, timesteps=12, seed=5, batch_size=16)
    assert [p.timesteps for p in points] == [1, 3, 12]
    assert points[-1].accuracy == ref.accuracy
    assert (points[-1].ties, points[-1].silent) == (ref.ties, ref.silent)


def test_smaller_timesteps_are_the_prefix_of_one_run():
    # one batch: the T-step draw of a fresh generator is the prefix of the 12-step draw
    net, (ids, labels, table) = tiny_net(), tiny_data()
    points = accuracy_by_timesteps(net, ids, labels, table, timesteps=[2, 4, 12], seed=3, batch_size=N)
    for point in points:
        ref = evaluate_spiking(net, ids, labels, table, timesteps=point.timesteps, seed=3, batch_size=N)
        assert (point.accuracy, point.ties, point.silent) == (ref.accuracy, ref.ties, ref.silent)
    assert points[0].silent >= points[-1].silent  # fewer steps, more silence


def test_sweep_is_deterministic_and_rows_cover_every_point(tmp_path):
    ids, labels, table = tiny_data()
    models = {"converted": tiny_net(0), "finetuned": tiny_net(1)}
    splits = {"dev": (ids[:20], labels[:20]), "test": (ids[20:], labels[20:])}
    one = timestep_sweep(models, splits, table, timesteps=[5, 1, 2], seed=0, batch_size=8)
    two = timestep_sweep(models, splits, table, timesteps=[1, 2, 5], seed=0, batch_size=8)
    strip = lambda r: {m: {s: e["points"] for s, e in v.items()} for m, v in r["models"].items()}
    assert strip(one) == strip(two)
    assert one["timesteps"] == [1, 2, 5]
    rows = sweep_rows(one)
    assert len(rows) == 2 * 2 * 3 and rows[0][:3] == (1, "converted", "dev")
    write_sweep_csv(tmp_path / "s.csv", one)
    with open(tmp_path / "s.csv", encoding="utf-8") as f:
        read = list(csv.DictReader(f))
    assert list(read[0]) == ["T", "model", "split", "accuracy"] and len(read) == 12
    assert float(read[2]["accuracy"]) == pytest.approx(one["models"]["converted"]["dev"]["points"]["5"]["accuracy"])


@pytest.mark.parametrize("bad", [[], [0, 2], [1.5], [True]])
def test_bad_timesteps_are_refused(bad):
    with pytest.raises(ValueError):
        check_timesteps(bad)


def _tiny_project(root: Path, sweep: dict) -> None:
    ids, labels, table = tiny_data()
    emb = root / "data" / "embedded" / "toy"
    emb.mkdir(parents=True)
    np.save(emb / "table.npy", table.numpy())
    parts = {"train": slice(0, 20), "dev": slice(20, 30), "test": slice(30, 40)}
    np.savez(
        emb / "ids.npz",
        **{f"{s}_ids": ids[p].numpy().astype(np.int32) for s, p in parts.items()},
        **{f"{s}_labels": labels[p].numpy() for s, p in parts.items()},
    )
    (emb / "meta.json").write_text(json.dumps({"labels": ["neg", "pos"]}))
    for name, seed in (("snn_converted.pt", 0), ("snn.pt", 1)):
        net = tiny_net(seed)
        save_checkpoint(root / "data" / "models" / "toy" / name, net, "spiking", net.config)
    from snntext.models.textcnn import TailoredTextCNN

    shape = {k: net.config[k] for k in ("embedding_dim", "num_classes", "neurons_per_class", "kernel_sizes", "filters")}
    torch.manual_seed(0)
    save_checkpoint(root / "data" / "models" / "toy" / "dnn.pt", TailoredTextCNN(**shape), "tailored", shape)
    write_params(root / "params.yaml", {"seed": 0, "device": "cpu", **{f"sweep.{k}": v for k, v in sweep.items()}})


def _run_stage(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SNNTEXT_ROOT": str(root), "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, str(ROOT / "stages" / "sweep_timesteps.py"), "toy"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stage_writes_json_and_csv(tmp_path):
    _tiny_project(tmp_path, {"timesteps": [1, 4], "splits": ["test", "dev"], "batch_size": 4})
    done = _run_stage(tmp_path)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "metrics" / "sweep" / "toy.json").read_text())
    assert metrics["dataset"] == "toy" and metrics["timesteps"] == [1, 4]
    assert set(metrics["models"]) == {"converted", "finetuned"}
    assert set(metrics["models"]["finetuned"]) == {"test", "dev"}
    coded = metrics["dnn_rate_coded"]
    assert set(coded) == {"test", "dev"} and set(coded["test"]) == {"1", "4"}
    assert all(0 <= a <= 1 for a in coded["dev"].values())
    lines = (tmp_path / "metrics" / "sweep" / "toy.csv").read_text().splitlines()
    assert lines[0] == "T,model,split,accuracy" and len(lines) == 1 + 2 * 2 * 2


def test_stage_refuses_bad_params_naming_the_key(tmp_path):
    _tiny_project(tmp_path, {"timesteps": [0, 4], "splits": ["test"], "batch_size": 4})
    done = _run_stage(tmp_path)
    assert done.returncode == 2 and "sweep.timesteps" in done.stderr and "params.yaml" in done.stderr
    assert not (tmp_path / "metrics").exists()


def latency_net(seed: int = 0) -> SpikingTextCNN:
    rate = tiny_net(seed)
    net = SpikingTextCNN(D, num_classes=2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4, threshold=0.5,
                         input_code="latency")  # fmt: skip
    net.load_state_dict(rate.state_dict())
    return net


def test_a_latency_net_is_run_once_per_timestep():
    """The latency code's spike times depend on T, so each point is its own run: evaluate_spiking at that T."""
    net, (ids, labels, table) = latency_net(), tiny_data()
    points = accuracy_by_timesteps(net, ids, labels, table, timesteps=[2, 5, 12], seed=5, batch_size=16)
    for point in points:
        ref = evaluate_spiking(net, ids, labels, table, timesteps=point.timesteps, seed=99, batch_size=16)
        assert (point.accuracy, point.ties, point.silent) == (ref.accuracy, ref.ties, ref.silent)
