"""The DNN training loop, its config from params, and the activation statistics."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from snntext.coding.rate import rate_code_mean
from snntext.data.batching import embed
from snntext.data.embedded import EmbeddedData, Split
from snntext.evaluation.scoring import accuracy
from snntext.models.textcnn import TailoredTextCNN
from snntext.training.dnn import (
    TrainConfig,
    activation_statistics,
    model_config,
    train_classifier,
    train_model,
    write_history_csv,
)

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny nets train fastest on one thread, and the test machine is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def input_recorder(seen: list[torch.Tensor]) -> type[TailoredTextCNN]:
    """A TailoredTextCNN that appends a copy of every input it trains on to `seen` (what the DNN was fed)."""

    class Recorder(TailoredTextCNN):
        def forward(self, x):
            if self.training:
                seen.append(x.detach().clone())
            return super().forward(x)

    return Recorder


def separable_data(seed: int = 0, sizes=(160, 60, 60), max_len: int = 8) -> EmbeddedData:
    """Sentences of neutral words plus >= 1 word of their class; class words differ in which dims are high."""
    gen = torch.Generator().manual_seed(seed)
    table = torch.zeros(14, 4)
    table[1] = 0.5  # OOV
    table[2:6] = torch.tensor([0.9, 0.9, 0.1, 0.1])  # class-0 words
    table[6:10] = torch.tensor([0.1, 0.1, 0.9, 0.9])  # class-1 words
    table[10:14] = 0.5
    table[2:] += 0.05 * torch.rand(12, 4, generator=gen)
    splits = []
    for n in sizes:
        labels = torch.randint(0, 2, (n,), generator=gen)
        ids = torch.randint(10, 14, (n, max_len), generator=gen)
        lengths = torch.randint(3, max_len + 1, (n,), generator=gen)
        for i in range(n):
            where = torch.randperm(int(lengths[i]), generator=gen)[:2]
            ids[i, where] = 2 + 4 * labels[i] + torch.randint(0, 4, (2,), generator=gen)
            ids[i, lengths[i] :] = 0
        splits.append(Split(ids, labels))
    return EmbeddedData(*splits, table=table.clamp(0, 1), meta={"labels": ["a", "b"]})


def small_config(**overrides) -> TrainConfig:
    values = dict(
        epochs=12,
        lr=1e-2,
        weight_decay=1e-3,
        batch_size=16,
        patience=0,
        dropout=0.1,
        kernel_sizes=(2, 3),
        filters=8,
        zero_sum_filters=True,
    )
    values.update(overrides)
    return TrainConfig(**values)


def test_learns_a_separable_task_and_keeps_the_best_dev_epoch():
    data = separable_data()
    model, config, result = train_model(
        "tailored", data, small_config(neurons_per_class=2), seed=0, device=CPU, progress=False
    )
    devs = [row["dev_acc"] for row in result.history]
    assert result.best_dev_acc > 0.9
    assert result.best_epoch == 1 + devs.index(max(devs))
    assert result.best_dev_acc == max(devs)
    assert accuracy(model, data.dev.ids, data.dev.labels, data.table, 64, CPU) == result.best_dev_acc
    assert all(torch.equal(model.state_dict()[k], v) for k, v in result.best_state.items())
    assert config["neurons_per_class"] == 2 and config["kernel_sizes"] == [2, 3]
    sums = torch.cat([conv.weight.sum(dim=(1, 2, 3)) for conv in model.convs])
    assert sums.abs().max() < 1e-5  # projected after every step
    assert result.history[0]["train_loss"] > result.history[-1]["train_loss"]


def test_kim_trains_too():
    data = separable_data()
    model, config, result = train_model("kim", data, small_config(epochs=4), seed=0, device=CPU, progress=False)
    assert "neurons_per_class" not in config
    assert result.best_dev_acc > 0.9


def test_early_stopping_after_patience_epochs_without_improvement():
    data = separable_data()
    model = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2,), filters=4)
    result = train_classifier(
        model,
        data,
        epochs=20,
        lr=1e-12,
        weight_decay=0.0,
        batch_size=32,
        patience=2,
        seed=0,
        device=CPU,
        progress=False,
    )
    assert result.best_epoch == 1
    assert result.epochs_run == 3


def test_same_seed_same_history_other_seed_differs():
    data = separable_data()
    runs = [
        train_model("tailored", data, small_config(epochs=3), seed=s, device=CPU, progress=False) for s in (5, 5, 6)
    ]
    assert runs[0][2].history == runs[1][2].history
    assert all(torch.equal(runs[0][0].state_dict()[k], v) for k, v in runs[1][0].state_dict().items())
    assert runs[0][2].history != runs[2][2].history


def test_after_step_runs_once_per_optimiser_step():
    data = separable_data(sizes=(40, 10, 10))
    calls = []
    model = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2,), filters=4)
    train_classifier(
        model,
        data,
        epochs=2,
        lr=1e-3,
        weight_decay=0.0,
        batch_size=16,
        patience=0,
        seed=0,
        device=CPU,
        after_step=lambda: calls.append(1),
        progress=False,
    )
    assert len(calls) == 2 * math.ceil(40 / 16)


def test_rate_code_steps_train_on_seeded_binomial_means_of_the_inputs(monkeypatch):
    """rate_code_steps = T: each training batch is Binomial(T, x) / T of its rates, drawn afresh per
    batch from the seed; 0 trains on the rates themselves; dev is always scored on exact rates."""
    import snntext.training.dnn as training

    data = separable_data(sizes=(40, 10, 10))
    seen: list[torch.Tensor] = []
    Recorder = input_recorder(seen)

    def run(steps, seed=0):
        seen.clear()
        model = Recorder(4, 2, neurons_per_class=2, kernel_sizes=(2,), filters=4)
        train_classifier(
            model,
            data,
            epochs=1,
            lr=1e-3,
            weight_decay=0.0,
            batch_size=16,
            patience=0,
            seed=seed,
            device=CPU,
            rate_code_steps=steps,
            progress=False,
        )
        return list(seen)

    exact = run(0)
    coded, again, other_seed = run(7), run(7), run(7, seed=1)
    assert len(coded) == len(exact) == math.ceil(40 / 16)
    order = list(training.batches(data.train.ids, data.train.labels, 16, shuffle=True, seed=1))
    for batch, (ids, _) in zip(exact, order):
        assert torch.equal(batch, embed(ids, data.table))
    for batch, noisy, _ in zip(exact, coded, order):
        assert not torch.equal(batch, noisy)
        assert torch.equal(torch.round(noisy * 7), noisy * 7)  # multiples of 1/T
        assert torch.all(noisy[batch == 0] == 0) and torch.all(noisy[batch == 1] == 1)  # padding stays silent
    assert all(torch.equal(a, b) for a, b in zip(coded, again))
    assert not all(torch.equal(a, b) for a, b in zip(coded[:1], other_seed[:1]))
    # over many draws the code is unbiased: its mean is the rate
    generator = torch.Generator().manual_seed(0)
    rates = torch.tensor([0.0, 0.2, 0.5, 0.9, 1.0])
    means = torch.stack([rate_code_mean(rates, 7, generator) for _ in range(4000)]).mean(0)
    torch.testing.assert_close(means, rates, atol=0.02, rtol=0)


def test_rate_code_steps_only_reach_the_tailored_net():
    data = separable_data(sizes=(40, 10, 10))
    noisy_cfg = small_config(epochs=2, rate_code_steps=5)
    kim = [
        train_model("kim", data, cfg, seed=0, device=CPU, progress=False)[2].history
        for cfg in (small_config(epochs=2), noisy_cfg)
    ]
    tailored = [
        train_model("tailored", data, cfg, seed=0, device=CPU, progress=False)[2].history
        for cfg in (small_config(epochs=2), noisy_cfg)
    ]
    assert kim[0] == kim[1]
    assert tailored[0] != tailored[1]


def test_activation_statistics_match_a_brute_force_count():
    data = separable_data(sizes=(37, 5, 5))
    torch.manual_seed(1)
    model = TailoredTextCNN(4, 2, neurons_per_class=3, kernel_sizes=(2, 3), filters=5, zero_sum_filters=False)
    stats = activation_statistics(model, data.train.ids, data.table, 8, CPU)
    model.eval()
    x = embed(data.train.ids, data.table)
    with torch.no_grad():
        layers = {f"conv{k}": torch.relu(conv(x.unsqueeze(1))) for k, conv in zip(model.kernel_sizes, model.convs)}
        layers["pooled"] = model.pooled(x)
        layers["units"] = model.units(x)
    assert set(stats) == {f"{n}_{s}" for n in layers for s in ("max", "p999")}
    for name, values in layers.items():
        flat = values.flatten().double().numpy()
        assert stats[f"{name}_max"] == pytest.approx(flat.max(), rel=1e-6)
        assert stats[f"{name}_p999"] == pytest.approx(np.percentile(flat, 99.9), rel=1e-5)
    assert model_config("tailored", small_config(neurons_per_class=3), 4, 2)["zero_sum_filters"] is True


def test_write_history_csv(tmp_path):
    path = tmp_path / "h.csv"
    write_history_csv(
        path,
        {
            "kim": [{"epoch": 1, "train_loss": 0.5, "dev_acc": 0.7}],
            "dnn": [{"epoch": 1, "train_loss": 0.6, "dev_acc": 0.6}, {"epoch": 2, "train_loss": 0.4, "dev_acc": 0.8}],
        },
    )
    rows = list(csv.DictReader(path.open()))
    assert [(r["epoch"], r["model"]) for r in rows] == [("1", "kim"), ("1", "dnn"), ("2", "dnn")]
    assert float(rows[2]["dev_acc"]) == 0.8


def test_train_dnn_stage_twice_gives_identical_checkpoint_bytes(tmp_path):
    """Run times live in the metrics only: the same params give the same .pt bytes, so DVC re-runs
    nothing downstream of an unchanged training."""
    import hashlib
    import json
    import os
    import subprocess
    import sys

    from tests.params_helper import write_params

    root = Path(__file__).resolve().parents[2]
    data = separable_data(sizes=(40, 12, 12))
    emb = tmp_path / "data" / "embedded" / "toy"
    emb.mkdir(parents=True)
    np.save(emb / "table.npy", data.table.numpy())
    np.savez(
        emb / "ids.npz",
        **{f"{s}_ids": data.split(s).ids.numpy().astype(np.int32) for s in ("train", "dev", "test")},
        **{f"{s}_labels": data.split(s).labels.numpy() for s in ("train", "dev", "test")},
    )
    (emb / "meta.json").write_text(json.dumps({"labels": ["neg", "pos"]}))
    small = {"epochs": 2, "patience": 0, "batch_size": 16, "kernel_sizes": [2, 3], "filters": 4}
    write_params(
        tmp_path / "params.yaml",
        {
            "device": "cpu",
            "neurons_per_class": 2,
            "train_dnn.rate_code_steps": 4,
            **{f"{section}.{k}": v for section in ("train_dnn", "kim") for k, v in small.items()},
        },
    )
    env = dict(os.environ, SNNTEXT_ROOT=str(tmp_path), PYTHONPATH=str(root / "src"))
    digests, seconds = [], []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, str(root / "stages" / "train_dnn.py"), "toy"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        digests.append(
            {
                name: hashlib.sha256((tmp_path / "data/models/toy" / name).read_bytes()).hexdigest()
                for name in ("kim.pt", "dnn.pt")
            }
        )
        seconds.append(json.loads((tmp_path / "metrics/train_dnn/toy_detail.json").read_text())["dnn_seconds"])
    assert digests[0] == digests[1]
    assert all(s > 0 for s in seconds)  # the timings are still measured, in the metrics


def test_a_latency_table_trains_the_dnn_on_what_the_snn_integrates(monkeypatch):
    """embed.code latency (meta "code"): each training batch is x_q = (T - t(x)) / T of its values, the mean
    over T of the held current the SNN's first layer integrates; no draw, so every epoch sees the same inputs."""
    from snntext.coding.latency import latency_code_mean, latency_spikes, synaptic_current

    data = separable_data(sizes=(40, 10, 10))
    data.meta["code"] = "latency"
    seen: list[torch.Tensor] = []
    Recorder = input_recorder(seen)

    monkeypatch.setattr("snntext.training.dnn.build_model", lambda kind, config: Recorder(**config))
    train_model("tailored", data, small_config(epochs=2, rate_code_steps=6), seed=0, device=CPU, progress=False)
    order = [ids for ids, _ in training_batches(data, 16, seed=0)]  # epoch 1 of seed 0
    assert len(seen) == 2 * len(order)
    for batch, ids in zip(seen, order):
        values = embed(ids, data.table)
        assert torch.equal(batch, latency_code_mean(values, 6))
        torch.testing.assert_close(batch, synaptic_current(latency_spikes(values, 6)).mean(dim=0), rtol=0, atol=1e-6)


def training_batches(data, batch_size, seed):
    import snntext.training.dnn as training

    return training.batches(data.train.ids, data.train.labels, batch_size, shuffle=True, seed=seed * 100_003 + 1)


def test_activation_table_is_the_quantised_table_only_under_latency():
    from snntext.coding.latency import latency_code_mean
    from snntext.training.dnn import activation_table

    data = separable_data(sizes=(20, 10, 10))
    assert activation_table(data, 8) is data.table  # the shift code: the Bernoulli mean is the rate
    data.meta["code"] = "signed"
    assert activation_table(data, 8) is data.table
    data.meta["code"] = "latency"
    assert activation_table(data, 0) is data.table  # trained on exact values
    assert torch.equal(activation_table(data, 8), latency_code_mean(data.table, 8))
