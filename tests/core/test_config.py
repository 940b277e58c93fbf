"""snntext.core.config: the frozen, checked dataclasses used directly (as a library caller would)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from snntext.core import config as config_module
from snntext.core.config import (
    AttackConfig,
    ConvertConfig,
    EmbedConfig,
    EncodingConfig,
    FinetuneConfig,
    NeuronConfig,
    PrepareConfig,
    RunConfig,
    SweepConfig,
    TrainConfig,
)

PROJECT = Path(__file__).resolve().parents[2]
TRAIN = dict(epochs=2, lr=1e-3, weight_decay=0.0, batch_size=8, patience=0, dropout=0.5, kernel_sizes=[3, 4], filters=4)
ATTACK = dict(examples=2, recipes=["pwws"], models=["dnn"], similarity=0.85)
EMBED = dict(english="glove-6b-50d", chinese="synonyms-w2v-100d")


def test_finetune_dev_draws_zero_names_class_and_field():
    with pytest.raises(ValueError, match=r"^FinetuneConfig\.dev_draws must be >= 1 and <= 100, got 0$"):
        FinetuneConfig(dev_draws=0)


# (class, required arguments, field, bad value, requirement)
BAD_FIELDS = [
    (RunConfig, {}, "datasets", [], "must be a non-empty list"),
    (RunConfig, {"datasets": ["mr"]}, "seed", -1, "must be >= 0 and <= 4294967295"),
    (RunConfig, {"datasets": ["mr"]}, "seeds", [2, 2], "lists a value twice"),
    (RunConfig, {"datasets": ["mr"]}, "device", "tpu", "must be one of auto, cpu, cuda"),
    (NeuronConfig, {}, "threshold", 0, "must be > 0"),
    (NeuronConfig, {}, "beta", 1.5, "must be > 0 and <= 1"),
    (NeuronConfig, {}, "surrogate", "relu", "must be one of"),
    (EncodingConfig, {}, "timesteps", 0, "must be >= 1"),
    (EncodingConfig, {}, "timesteps", 10**6, "must be >= 1 and <= 1000"),  # issue 31: sizes have upper bounds
    (PrepareConfig, {}, "test_fraction", 1.0, "must be > 0 and < 1"),
    (PrepareConfig, {}, "dev_fraction", 0, "must be > 0 and < 1"),
    (EmbedConfig, EMBED, "oov", "drop", "must be one of paper, zero"),
    (EmbedConfig, EMBED, "clip_sigma", 0, "must be > 0"),
    (TrainConfig, TRAIN, "dropout", 1.0, "must be >= 0 and < 1"),
    (TrainConfig, TRAIN, "kernel_sizes", [0], "must be >= 1"),
    (TrainConfig, TRAIN, "epochs", True, "must be an integer"),
    (TrainConfig, TRAIN, "neurons_per_class", 0, "must be >= 1"),
    (TrainConfig, TRAIN, "neurons_per_class", 10**8, "must be >= 1 and <= 1000"),
    (TrainConfig, TRAIN, "filters", 1001, "must be >= 1 and <= 1000"),
    (ConvertConfig, {}, "normalisation", "max", "must be one of"),
    (FinetuneConfig, {}, "loss", "mse", "must be one of paper, count, distill"),
    (FinetuneConfig, {}, "precision", "fp16", "must be one of fp32, bf16"),
    (SweepConfig, {"timesteps": [1]}, "splits", ["val"], "must be one of train, dev, test"),
    (AttackConfig, ATTACK, "similarity", 2, "must be >= -1 and <= 1"),
    (AttackConfig, ATTACK, "recipes", ["hotflip"], "must be one of deepwordbug"),
    (AttackConfig, ATTACK, "workers", 100000, "must be >= 0 and <= 1024"),
    (AttackConfig, ATTACK, "eot_draws", 0, "must be >= 1 and <= 100"),
    (AttackConfig, ATTACK, "eot_draws", 101, "must be >= 1 and <= 100"),
    (AttackConfig, ATTACK, "models", ["snn", "snn_eo"], "must be one of dnn, kim, snn, snn_stochastic, snn_eot"),
    (SweepConfig, {}, "timesteps", [1, 1001], "item 1 (1001) must be >= 1 and <= 1000"),
]


@pytest.mark.parametrize(
    ("cls", "required", "name", "value", "requirement"),
    BAD_FIELDS,
    ids=[f"{c.__name__}.{n}={v!r}" for c, _, n, v, _ in BAD_FIELDS],
)
def test_bad_field_raises_value_error_naming_it(cls, required, name, value, requirement):
    with pytest.raises(ValueError) as info:
        cls(**{**required, name: value})
    message = str(info.value)
    assert re.match(rf"{cls.__name__}\.{name} ", message), message
    assert requirement in message and message.endswith(f", got {value!r}"), message


def test_defaults_are_valid():
    for cls, required in [
        (RunConfig, {"datasets": ["mr"]}),
        (NeuronConfig, {}),
        (EncodingConfig, {}),
        (PrepareConfig, {}),
        (EmbedConfig, EMBED),
        (TrainConfig, TRAIN),
        (ConvertConfig, {}),
        (FinetuneConfig, {}),
        (SweepConfig, {"timesteps": [1]}),
        (AttackConfig, ATTACK),
    ]:
        cls(**required)


def test_every_field_carries_a_check():
    for cls in (
        RunConfig,
        NeuronConfig,
        EncodingConfig,
        PrepareConfig,
        EmbedConfig,
        TrainConfig,
        ConvertConfig,
        FinetuneConfig,
        SweepConfig,
        AttackConfig,
    ):
        unchecked = [f.name for f in dataclasses.fields(cls) if not callable(f.metadata.get("check"))]
        assert unchecked == [], f"{cls.__name__}: {unchecked}"


def test_attack_eot_model_and_draws():
    config = AttackConfig(**{**ATTACK, "models": ["snn", "snn_stochastic", "snn_eot"]})
    assert config.models == ("snn", "snn_stochastic", "snn_eot") and config.eot_draws == 8
    assert AttackConfig(**ATTACK, eot_draws=1).eot_draws == 1


def test_frozen():
    config = FinetuneConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.dev_draws = 0
    run = RunConfig(datasets=["mr"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.seed = 3
    assert isinstance(run.datasets, tuple)  # lists are stored as tuples: nothing inside can change either


def test_replace_rechecks():
    with pytest.raises(ValueError, match=r"^NeuronConfig\.beta "):
        dataclasses.replace(NeuronConfig(), beta=0)


def test_values_are_converted():
    neuron = NeuronConfig(threshold=1, surrogate_slope="25")
    assert type(neuron.threshold) is float and neuron.surrogate_slope == 25.0
    assert FinetuneConfig(lr="1e-3").lr == 0.001
    assert SweepConfig(timesteps=[50, 1, 50]).timesteps == (1, 50)


def test_train_config_number_lr_for_dataset_is_itself():
    config = TrainConfig(**TRAIN)
    assert config.for_dataset("mr") is config


def test_train_config_resolves_per_dataset_lr_and_default():
    config = TrainConfig(**{**TRAIN, "lr": {"default": 1e-3, "sst2": "5e-4"}})
    assert config.lr == (("default", 1e-3), ("sst2", 5e-4))  # frozen: sorted pairs
    assert config.for_dataset("sst2").lr == 5e-4
    assert config.for_dataset("mr").lr == 1e-3
    resolved = config.for_dataset("mr")
    assert resolved.epochs == config.epochs and resolved.kernel_sizes == config.kernel_sizes


def test_train_config_lr_mapping_without_default_or_dataset():
    config = TrainConfig(**{**TRAIN, "lr": {"sst2": 5e-4}})
    assert config.for_dataset("sst2").lr == 5e-4
    with pytest.raises(ValueError, match=r"neither 'mr' nor 'default'"):
        config.for_dataset("mr")


def test_train_config_with_lr_mapping_survives_replace():
    """dataclasses.replace re-runs every check on the stored (already converted) values."""
    config = TrainConfig(**{**TRAIN, "lr": {"default": 1e-3}})
    assert dataclasses.replace(config, epochs=3).lr == config.lr


@pytest.mark.parametrize("lr", [{}, {"default": 0}, {"MR": 1e-3}, 0, "fast"])
def test_train_config_bad_lr(lr):
    with pytest.raises(ValueError, match=r"^TrainConfig\.lr "):
        TrainConfig(**{**TRAIN, "lr": lr})


def test_finetune_seeds():
    assert RunConfig(datasets=["mr"]).finetune_seeds == [0]
    assert RunConfig(datasets=["mr"], seed=7).finetune_seeds == [7]
    assert RunConfig(datasets=["mr"], seed=7, seeds=None).finetune_seeds == [7]
    assert RunConfig(datasets=["mr"], seed=7, seeds=[3, 1]).finetune_seeds == [3, 1]


def test_embed_vectors_for():
    embed = EmbedConfig(**EMBED)
    assert embed.vectors_for("en") == "glove-6b-50d" and embed.vectors_for("zh") == "synonyms-w2v-100d"


def test_dataset_name_refuses_shell_text():
    for bad in ["x; echo hi > f #", "MR", "", "a b", "../mr"]:
        with pytest.raises(ValueError):
            config_module.dataset_name(bad)
    assert config_module.dataset_name("sst2") == "sst2"


def test_importing_config_and_params_pulls_in_neither_torch_nor_textattack():
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    code = (
        "import snntext.core.config, snntext.core.params, sys; "
        "print('torch' in sys.modules, 'textattack' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
