import math

import pytest
import torch

from snntext.core.stage_metrics import read_stage_metrics
from snntext.models.textcnn import TailoredTextCNN
from snntext.training.conversion import convert
from snntext.training.finetuning import FinetuneConfig, finetune, spike_count_loss
from tests.params_helper import write_params


def test_loss_by_hand():
    counts = torch.tensor([[[2.0, 0.0]], [[0.0, 0.0]]])  # T=2, B=1, C=2
    y = torch.tensor([0])
    paper = (math.log(1 + math.exp(-2)) + math.log(2)) / 2
    assert float(spike_count_loss(counts, y, "paper")) == pytest.approx(paper)
    assert float(spike_count_loss(counts, y, "count")) == pytest.approx(math.log(1 + math.exp(-1)))
    assert float(spike_count_loss(counts, y, "count", temperature=0.5)) == pytest.approx(math.log(1 + math.exp(-2)))
    with pytest.raises(ValueError):
        spike_count_loss(counts, y, "mse")


def test_distill_loss_by_hand():
    counts = torch.tensor([[[2.0, 0.0]], [[0.0, 0.0]]])  # mean counts [1, 0]: student p = sigmoid(1 / temperature)
    y = torch.tensor([1])  # ignored: the targets are the DNN's probabilities
    teacher = torch.tensor([[0.5, 0.0]])  # p = sigmoid(0.5)
    assert float(spike_count_loss(counts, y, "distill", temperature=2.0, teacher_scores=teacher)) == pytest.approx(
        0.0, abs=1e-7
    )
    p, q = 1 / (1 + math.exp(-0.5)), 1 / (1 + math.exp(-1.0))  # temperature 1: student sigmoid(1)
    kl = p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    assert float(spike_count_loss(counts, y, "distill", teacher_scores=teacher)) == pytest.approx(kl)
    with pytest.raises(ValueError, match="teacher_scores"):
        spike_count_loss(counts, y, "distill")


def toy_task(seed=0):
    """Class 1 sentences use tokens whose vectors are bright in dims 0-1, class 0 in dims 2-3."""
    g = torch.Generator().manual_seed(seed)
    table = torch.zeros(7, 4)
    table[1:4, :2], table[4:7, 2:] = 0.9, 0.9
    table[1:] += 0.05
    labels = torch.randint(0, 2, (48,), generator=g)
    ids = torch.where(
        labels[:, None] == 1, torch.randint(1, 4, (48, 6), generator=g), torch.randint(4, 7, (48, 6), generator=g)
    )
    ids[:, 4:] = 0
    return ids, labels, table


def run(seed, loss="paper", teacher=None, input_code="rate"):
    ids, labels, table = toy_task()
    torch.manual_seed(0)
    dnn = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval()
    snn = convert(dnn, "none", input_code=input_code)
    cfg = FinetuneConfig(epochs=3, lr=3e-2, batch_size=16, loss=loss, timesteps=8)
    return snn, finetune(
        snn,
        ids[:32],
        labels[:32],
        ids[32:],
        labels[32:],
        table,
        cfg,
        seed=seed,
        log=lambda m: None,
        teacher_scores=teacher,
    )


def test_same_seed_same_history_and_learning():
    snn_a, a = run(3)
    snn_b, b = run(3)

    def without_time(history):
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]

    assert without_time(a.history) == without_time(b.history)
    assert all(torch.equal(x, y) for x, y in zip(snn_a.state_dict().values(), snn_b.state_dict().values()))
    assert len(a.history) == 4 and a.history[0]["epoch"] == 0
    assert a.best_dev_acc == max(h["dev_acc"] for h in a.history)
    assert a.best_dev_acc >= 0.9  # the toy task is easy once spikes flow


def test_zero_sum_projection_runs_after_every_step_when_asked():
    ids, labels, table = toy_task()
    torch.manual_seed(0)
    dnn = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4, zero_sum_filters=False).eval()
    snn = convert(dnn, "none")
    assert max(float(c.weight.sum(dim=(1, 2, 3)).abs().max()) for c in snn.convs) > 1e-3
    snn.project_filters()
    assert max(float(c.weight.sum(dim=(1, 2, 3)).abs().max()) for c in snn.convs) < 1e-5
    for zero_sum, expected in ((True, 2 * 2), (False, 0)):  # 32 sentences / batch 16 = 2 steps per epoch
        calls = []
        snn.project_filters = lambda: calls.append(1)
        cfg = FinetuneConfig(epochs=2, lr=1e-2, batch_size=16, timesteps=4, zero_sum_filters=zero_sum)
        finetune(snn, ids[:32], labels[:32], ids[32:], labels[32:], table, cfg, seed=0, log=lambda m: None)
        assert len(calls) == expected


def test_dev_draws_average_the_same_draws_every_epoch(monkeypatch):
    """dev_draws = k: every dev evaluation is the mean over k spike draws with seeds fixed per run;
    dev_draws = 1 is the single draw of seed + 2, as before the option existed."""
    import snntext.training.finetuning as finetuning

    ids, labels, table = toy_task()
    calls = []
    real = finetuning.evaluate_spiking

    def spy(*args, **kwargs):
        calls.append(kwargs["seed"])
        return real(*args, **kwargs)

    monkeypatch.setattr(finetuning, "evaluate_spiking", spy)
    results = {}
    for draws in (1, 3):
        calls.clear()
        torch.manual_seed(0)
        snn = convert(TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval(), "none")
        cfg = FinetuneConfig(epochs=2, lr=1e-2, batch_size=16, timesteps=4, dev_draws=draws)
        results[draws] = finetune(
            snn, ids[:32], labels[:32], ids[32:], labels[32:], table, cfg, seed=5, log=lambda m: None
        )
        assert calls == [7 + 1000 * k for k in range(draws)] * 3  # epochs 0 (converted), 1, 2
    torch.manual_seed(0)
    snn = convert(TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval(), "none")
    by_hand = (
        sum(
            real(snn, ids[32:], labels[32:], table, timesteps=4, seed=7 + 1000 * k, record_rates=False).accuracy
            for k in range(3)
        )
        / 3
    )
    assert results[3].history[0]["dev_acc"] == by_hand
    with pytest.raises(ValueError, match="FinetuneConfig.dev_draws must be >= 1 and <= 100, got 0"):
        FinetuneConfig(dev_draws=0)


def finetune_from_params(change: dict, top: dict | None = None, source: str = "params.yaml"):
    """config.finetune from the project's params.yaml with `change` applied to its finetune section
    (a None value removes the key) and `top` to the top-level keys."""
    import copy
    from pathlib import Path

    import yaml

    from snntext.core.params import config_from_dict

    data = copy.deepcopy(yaml.safe_load((Path(__file__).resolve().parents[2] / "params.yaml").read_text()))
    for key, value in change.items():
        if value is None:
            data["finetune"].pop(key, None)
        else:
            data["finetune"][key] = value
    data.update(top or {})
    return config_from_dict(data, source, registry=False).finetune


def test_dev_draws_from_params_names_the_key():
    from snntext.core.errors import SnntextError

    assert finetune_from_params({"dev_draws": 2}).dev_draws == 2
    assert finetune_from_params({"dev_draws": None}).dev_draws == 1  # absent: one draw, as before
    with pytest.raises(SnntextError, match=r"params.yaml: key 'finetune.dev_draws' must be >= 1 and <= 100, got 0"):
        finetune_from_params({"dev_draws": 0})


@pytest.mark.parametrize(
    "field, value, key",
    [
        ("epochs", -1, "finetune.epochs"),
        ("lr", 0.0, "finetune.lr"),
        ("weight_decay", -1e-3, "finetune.weight_decay"),
        ("batch_size", 0, "finetune.batch_size"),
        ("loss", "mse", "finetune.loss"),
        ("temperature", -2.0, "finetune.temperature"),
        ("patience", -1, "finetune.patience"),
        ("timesteps", 0, "timesteps"),
        ("eval_batch_size", 0, "convert.eval_batch_size"),
        ("max_train_examples", -5, "finetune.max_train_examples"),
        ("test_draws", 0, "finetune.test_draws"),
    ],
)
def test_config_out_of_range_names_the_key(field, value, key):
    """One check per field for library callers (ValueError naming the field) and params.yaml (naming the key)."""
    from snntext.core.errors import SnntextError

    with pytest.raises(ValueError, match=f"FinetuneConfig.{field} must be .*, got {value!r}"):
        FinetuneConfig(**{field: value})
    if key == "timesteps":
        change, top = {}, {"timesteps": value}
    elif key == "convert.eval_batch_size":
        change, top = {}, {"convert": {"normalisation": "data_p99.9", "eval_batch_size": value}}
    else:
        change, top = {field: value}, {}
    with pytest.raises(SnntextError, match=f"p.yaml: key '{key}' must be .*, got {value!r}"):
        finetune_from_params(change, top, source="p.yaml")


def test_conv_dtype_is_reset_when_a_training_step_raises(monkeypatch):
    """An exception mid-epoch leaves the model computing in fp32, as after a finished epoch."""
    import snntext.training.finetuning as finetuning

    monkeypatch.setattr(finetuning, "bf16_is_fast", lambda device: True)
    ids, labels, table = toy_task()
    snn = convert(TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval(), "none")

    def failing_loss(*args, **kwargs):
        assert snn.conv_dtype == torch.bfloat16
        raise RuntimeError("boom")

    monkeypatch.setattr(finetuning, "spike_count_loss", failing_loss)
    cfg = FinetuneConfig(epochs=1, lr=1e-2, batch_size=16, timesteps=4, precision="bf16")
    with pytest.raises(RuntimeError, match="boom"):
        finetune(snn, ids[:32], labels[:32], ids[32:], labels[32:], table, cfg, seed=0, log=lambda m: None)
    assert snn.conv_dtype is None


def test_a_latency_snn_fine_tunes_through_the_held_current():
    """Surrogate gradients reach the first layer's weights through the held input current; the spikes are
    the data's latency spikes (no draw), so the spike seed changes nothing but the batch order's generator."""
    snn, result = run(1, loss="count", input_code="latency")
    assert snn.input_code == "latency"
    losses = [h["train_loss"] for h in result.history[1:]]
    assert losses[-1] < losses[0]
    assert result.best_dev_acc >= 0.9
    torch.manual_seed(0)  # the run's DNN: the weights fine-tuning started from
    initial = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4)
    assert not torch.equal(snn.convs[0].weight, initial.convs[0].weight)  # the first layer learned


def test_count_loss_trains():
    _, result = run(1, loss="count")
    losses = [h["train_loss"] for h in result.history[1:]]
    assert losses[-1] < losses[0]


def test_distill_trains_towards_the_dnn_scores():
    ids, labels, table = toy_task()
    confident = torch.nn.functional.one_hot(labels[:32], 2).float() * 4.0  # a teacher that knows the labels
    snn, result = run(1, loss="distill", teacher=confident)
    losses = [h["train_loss"] for h in result.history[1:]]
    assert losses[-1] < losses[0]
    assert result.best_dev_acc >= 0.9
    with pytest.raises(ValueError, match="teacher_scores"):
        run(1, loss="distill")
    with pytest.raises(ValueError, match="teacher_scores"):
        run(1, loss="distill", teacher=confident[:10])  # not one row per training example


def test_temperature_from_params_names_the_key():
    from snntext.core.errors import SnntextError

    assert finetune_from_params({"temperature": 2}).temperature == 2.0
    with pytest.raises(SnntextError, match=r"params.yaml: key 'finetune.temperature' must be > 0, got 0"):
        finetune_from_params({"temperature": 0})


def test_precision_from_params_and_where_bf16_is_refused(monkeypatch):
    from snntext.core.errors import SnntextError
    from snntext.training.finetuning import bf16_is_fast, check_precision

    assert finetune_from_params({"precision": None}).precision == "fp32"
    with pytest.raises(SnntextError, match=r"p.yaml: key 'finetune.precision' must be one of fp32, bf16, got 'fp16'"):
        finetune_from_params({"precision": "fp16"}, source="p.yaml")
    with pytest.raises(ValueError, match="FinetuneConfig.precision must be one of fp32, bf16, got 'fp16'"):
        FinetuneConfig(precision="fp16")
    check_precision("fp32", "cpu")  # always allowed
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")  # what the stages pin
    assert not bf16_is_fast("cpu")
    with pytest.raises(SnntextError, match=r"p.yaml: key 'finetune.precision' is 'bf16', but cpu has no fast bf16"):
        check_precision("bf16", "cpu", "p.yaml")
    ids, labels, table = toy_task()
    snn = convert(TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval(), "none")
    with pytest.raises(SnntextError, match="finetune.precision"):  # refused before any training step
        finetune(
            snn,
            ids,
            labels,
            ids,
            labels,
            table,
            FinetuneConfig(epochs=1, precision="bf16", timesteps=4),
            seed=0,
            log=lambda m: None,
        )


def test_bf16_training_steps_learn_and_leave_evaluation_in_fp32(monkeypatch):
    """The bf16 path itself, on any CPU (the speed check is what check_precision guards)."""
    import snntext.training.finetuning as finetuning
    from snntext.models.spiking import SpikingTextCNN

    monkeypatch.setattr(finetuning, "bf16_is_fast", lambda device: True)
    dtypes = []
    forward = SpikingTextCNN.forward

    def spy(self, spikes, full_length=None):
        dtypes.append((self.training, self.conv_dtype))
        return forward(self, spikes, full_length)

    monkeypatch.setattr(SpikingTextCNN, "forward", spy)
    ids, labels, table = toy_task()
    torch.manual_seed(0)
    snn = convert(TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval(), "none")
    cfg = FinetuneConfig(epochs=3, lr=3e-2, batch_size=16, loss="paper", timesteps=8, precision="bf16")
    result = finetune(snn, ids[:32], labels[:32], ids[32:], labels[32:], table, cfg, seed=3, log=lambda m: None)
    assert result.best_dev_acc >= 0.9
    assert {d for training, d in dtypes if training} == {torch.bfloat16}
    assert {d for training, d in dtypes if not training} == {None}  # dev evaluation in fp32
    assert snn.conv_dtype is None and all(p.dtype == torch.float32 for p in snn.parameters())


def test_convert_and_finetune_stages_end_to_end(tmp_path):
    """Both stage scripts on a toy data set in a scratch project root (SNNTEXT_ROOT)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import numpy as np

    from snntext.models.checkpoint import save_checkpoint

    root = Path(__file__).resolve().parents[2]
    ids, labels, table = toy_task()
    emb = tmp_path / "data" / "embedded" / "toy"
    emb.mkdir(parents=True)
    np.save(emb / "table.npy", table.numpy())
    np.savez(
        emb / "ids.npz",
        **{
            f"{s}_ids": ids[a:b].numpy().astype(np.int32)
            for s, a, b in (("train", 0, 32), ("dev", 32, 40), ("test", 40, 48))
        },
        **{f"{s}_labels": labels[a:b].numpy() for s, a, b in (("train", 0, 32), ("dev", 32, 40), ("test", 40, 48))},
    )
    torch.manual_seed(0)
    dnn = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4)
    save_checkpoint(
        tmp_path / "data/models/toy/dnn.pt",
        dnn,
        "tailored",
        dict(embedding_dim=4, num_classes=2, neurons_per_class=2, kernel_sizes=[2, 3], filters=4),
        extra={"dnn_dev_acc": 0.5, "dnn_test_acc": 0.5},
    )
    stats = {"pooled_max": 0.4, "pooled_p999": 0.3, "units_max": 1.0, "units_p999": 0.8}
    (tmp_path / "metrics/train_dnn").mkdir(parents=True)
    (tmp_path / "metrics/train_dnn/toy.json").write_text(json.dumps({"dnn_dev_acc": 0.5}))
    (tmp_path / "metrics/train_dnn/toy_detail.json").write_text(json.dumps({"dnn_activations": stats}))
    base = {
        "seed": 0,
        "device": "cpu",
        "threshold": 1.0,
        "beta": 1.0,
        "timesteps": 6,
        "surrogate": "fast_sigmoid",
        "surrogate_slope": 25,
        "convert.normalisation": "data_p99.9",
        "convert.eval_batch_size": 16,
        "finetune.epochs": 2,
        "finetune.lr": 0.01,
        "finetune.weight_decay": 0.0,
        "finetune.batch_size": 16,
        "finetune.loss": "distill",
        "finetune.temperature": 2.0,
        "finetune.patience": 0,
        "finetune.test_draws": 3,
        "finetune.dev_draws": 1,
    }
    write_params(tmp_path / "params.yaml", base)
    env = dict(os.environ, SNNTEXT_ROOT=str(tmp_path), PYTHONPATH=str(root / "src"))
    for stage in ("convert", "finetune"):
        done = subprocess.run(
            [sys.executable, str(root / "stages" / f"{stage}.py"), "toy"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    conv = read_stage_metrics("convert", "toy", tmp_path / "metrics")
    assert set(conv["options"]) == {"none", "max_weight", "data_max", "data_p99.9"} and conv["chosen"] == "data_p99.9"
    assert "T x input_rate" in conv["options"]["none"]["energy"]["formula"]
    fine = read_stage_metrics("finetune", "toy", tmp_path / "metrics")
    assert 0 <= fine["test_acc"] <= 1 and fine["epochs_run"] == 2 and fine["config"]["loss"] == "distill"
    assert (tmp_path / "metrics/finetune/toy_history.csv").read_text().count("\n") == 4
    assert (tmp_path / "data/models/toy/snn.pt").is_file()
    assert "per_seed" not in fine and fine["seeds"] == [0]
    gap = fine["paired_gap"]  # draw 0 is the test evaluation above; the DNN is the toy's dnn.pt
    assert gap["draws"] == 3 and len(gap["snn_acc_per_draw"]) == 3 and gap["sentences"] == 8
    assert gap["snn_acc_per_draw"][0] == pytest.approx(fine["test_acc"])
    dnn_test = float((dnn.eval()(table[ids[40:48]]).argmax(1) == labels[40:48]).float().mean())
    assert gap["dnn_acc"] == pytest.approx(dnn_test)
    assert gap["ci_low_points"] <= gap["gap_points"] <= gap["ci_high_points"]
    # several seeds: one fine-tuning per seed; the first seed's run stays the top-level result
    write_params(tmp_path / "params.yaml", {**base, "seeds": [0, 5]})
    done = subprocess.run(
        [sys.executable, str(root / "stages/finetune.py"), "toy"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    again = read_stage_metrics("finetune", "toy", tmp_path / "metrics")
    assert set(again["per_seed"]) == {"0", "5"} and again["seeds"] == [0, 5]
    assert again["test_acc"] == fine["test_acc"] == again["per_seed"]["0"]["test_acc"]
    assert set(again["per_seed"]["5"]) >= {"dev_acc", "test_acc", "best_epoch", "energy", "test"}
    write_params(tmp_path / "params.yaml", {**base, "seeds": [0, 0]})
    done = subprocess.run(
        [sys.executable, str(root / "stages/finetune.py"), "toy"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "'seeds'" in done.stderr
    write_params(tmp_path / "params.yaml", {**base, "finetune.test_draws": 0})
    done = subprocess.run(
        [sys.executable, str(root / "stages/finetune.py"), "toy"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "'finetune.test_draws'" in done.stderr
    # a params error names the key
    write_params(tmp_path / "params.yaml", {**base, "convert.normalisation": "p50"})
    done = subprocess.run(
        [sys.executable, str(root / "stages/convert.py"), "toy"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "convert.normalisation" in done.stderr
