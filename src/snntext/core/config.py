"""Typed, frozen settings, one dataclass per concern; snntext.core.params fills them from params.yaml.

Each field carries its own check (`checked(...)`), used twice: by the dataclass itself, so a library
caller gets a ValueError naming the field, and by snntext.core.params, which reads the field's params.yaml
key and turns the same check into one line naming the file and the key. This module imports neither
torch nor textattack, so every value can be refused in the first second of a stage.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeGuard, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# Allowed values, defined once; the modules that act on them import them from here.
SPLITS = ("train", "dev", "test")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
SURROGATES = ("fast_sigmoid", "atan", "sigmoid")
NORMALISATIONS = ("none", "max_weight", "data_max", "data_p99.9")
LOSSES = ("paper", "count", "distill")
PRECISIONS = ("fp32", "bf16")
OOV_POLICIES = ("paper", "zero")
INPUT_CODES = ("shift", "signed", "latency")  # embed.code: snntext.coding.input_codes
# How the SNN's input layer turns a table value into spikes (SpikingTextCNN.input_code): Bernoulli draws per
# step (the shift and signed codes) or one spike at a value-dependent time (latency): snntext.coding.spike_codes
SPIKE_CODES = ("rate", "latency")
MIN_LATENCY_TIMESTEPS = 2  # at T = 1 every latency spike falls on step 0: the code keeps only "value > 0"
CONFLICT_POLICIES = ("keep", "drop")
RECIPES = ("deepwordbug", "pwws", "textfooler", "textbugger", "pso", "bert_attack")
# snn: frozen spike noise; snn_stochastic: fresh spikes per query; snn_eot: those averaged over attack.eot_draws
ATTACK_MODELS = ("dnn", "kim", "snn", "snn_stochastic", "snn_eot")
ATTACK_BACKENDS = ("local", "ray")  # snntext.attack.shards
DATASET_NAME = re.compile(r"[a-z0-9_]+")  # goes into the stages' shell commands: no quoting needed
MAX_SEED = 2**32 - 1  # numpy's SeedSequence takes 0 .. 2**32 - 1
# Upper bounds on sizes, so that a slip of the keyboard (timesteps: 1000000) is refused in the first second
# instead of failing to allocate, or running for weeks, stages later. Each is far above what the paper and
# docs use (T <= 200 in the sweep, 10-20 neurons per class, 100 filters, batches of 32-128, 40 epochs, 1000
# attacked examples); raise one here if a study really needs more.
MAX_TIMESTEPS = 1000  # T, the sweep's T values, train_dnn.rate_code_steps
MAX_NEURONS_PER_CLASS = 1000
MAX_FILTERS = 1000  # per kernel size
MAX_BATCH_SIZE = 4096
MAX_EPOCHS = 1000
MAX_SPIKE_SAMPLES = 100  # attack.spike_samples: fresh spike draws averaged per query
MAX_EOT_DRAWS = 100  # attack.eot_draws: spike draws averaged per query by snn_eot
MAX_ATTACK_EXAMPLES = 10000
MAX_WORKERS = 1024  # attack.workers: Ray tasks at a time
MAX_RETRIES = 100
MAX_DRAWS = 100  # finetune/direct dev_draws and test_draws: spike draws per evaluation
MIN_TRAIN_SHARE = 0.05  # (1 - prepare.test_fraction) * (1 - prepare.dev_fraction): what is left to train on

Check = Callable[[Any], Any]  # returns the value (converted, e.g. int -> float, list -> tuple) or raises ValueError


# --- checks: each returns the accepted value or raises ValueError("must be ...") -------------------
def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_number(value: Any) -> float:
    """int or float; also YAML 1.1's "1e-3" strings (PyYAML and `dvc exp run -S` read them as str)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("must be a finite number")
    return float(value)


def integer(low: int | None = None, high: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if not _is_int(value):
            raise ValueError("must be an integer")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(_range_text(low, high, ">=", "<="))
        return value

    return check


def number(
    gt: float | None = None, ge: float | None = None, lt: float | None = None, le: float | None = None
) -> Callable[[Any], float]:
    def check(raw: Any) -> float:
        value = _as_number(raw)
        bad = (
            (gt is not None and not value > gt)
            or (ge is not None and not value >= ge)
            or (lt is not None and not value < lt)
            or (le is not None and not value <= le)
        )
        if bad:
            low, low_op = (gt, ">") if gt is not None else (ge, ">=")
            high, high_op = (lt, "<") if lt is not None else (le, "<=")
            raise ValueError(_range_text(low, high, low_op, high_op))
        return value

    return check


def _range_text(low: float | None, high: float | None, low_op: str, high_op: str) -> str:
    if low is not None and high is not None:
        return f"must be {low_op} {low} and {high_op} {high}"
    return f"must be {low_op} {low}" if low is not None else f"must be {high_op} {high}"


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices or not isinstance(value, str):
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def optional_boolean(value: Any) -> bool | None:
    return None if value is None else boolean(value)


def list_of(
    item: Check, *, non_empty: bool = True, unique: bool = False, sort: bool = False
) -> Callable[[Any], tuple[Any, ...]]:
    """A YAML list whose every item passes `item`; returned as a tuple."""

    def check(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)):
            raise ValueError("must be a list")
        if non_empty and not value:
            raise ValueError("must be a non-empty list")
        items = []
        for position, entry in enumerate(value):
            try:
                items.append(item(entry))
            except ValueError as err:
                raise ValueError(f"item {position} ({entry!r}) {err}") from None
        if unique and len(set(items)) != len(items):
            raise ValueError("lists a value twice")
        return tuple(sorted(set(items)) if sort else items)

    return check


def optional(check: Check, empty: Any) -> Check:
    """`check`, or `empty` for a null value."""
    return lambda value: empty if value is None else check(value)


def dataset_name(value: Any) -> str:
    if not isinstance(value, str) or not DATASET_NAME.fullmatch(value):
        raise ValueError("must be a dataset name of lowercase letters, digits and '_' (a key of the registry)")
    return value


def text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def learning_rate(value: Any) -> float | tuple[tuple[str, float], ...]:
    """A positive number, or a mapping {default: x, <dataset>: y} (kept as sorted pairs: frozen)."""
    positive = number(gt=0)
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        value = dict(value)  # already checked once: the dataclass re-runs its checks on construction
    if isinstance(value, dict):
        if not value:
            raise ValueError("must be a number or a mapping {default: <number>, <dataset>: <number>}")
        pairs = []
        for name, rate in value.items():
            if name != "default":
                dataset_name(name)
            try:
                pairs.append((name, positive(rate)))
            except ValueError as err:
                raise ValueError(f"entry {name!r} {err}") from None
        return tuple(sorted(pairs))
    return positive(value)


def checked(check: Check, default: Any = dataclasses.MISSING, *, key: str | None = None, param: bool = True) -> Any:
    """A dataclass field with its check. key: its params.yaml key when not <section>.<field> (a
    top-level key); param=False: a library setting that params.yaml does not set."""
    return field(default=default, metadata={"check": check, "key": key, "param": param})


class _Checked:
    """Runs every field's check on construction; the error names the class and the field."""

    def __post_init__(self) -> None:
        for f in fields(cast("DataclassInstance", self)):  # every subclass is a @dataclass
            check = f.metadata.get("check")
            if check is None:
                continue
            try:
                value = check(getattr(self, f.name))
            except ValueError as err:
                raise ValueError(f"{type(self).__name__}.{f.name} {err}, got {getattr(self, f.name)!r}") from None
            object.__setattr__(self, f.name, value)


# --- the concerns -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunConfig(_Checked):
    """Which datasets, which seeds, which device."""

    datasets: tuple[str, ...] = checked(list_of(dataset_name, unique=True), key="datasets")
    seed: int = checked(integer(0, MAX_SEED), 0, key="seed")
    seeds: tuple[int, ...] = checked(
        optional(list_of(integer(0, MAX_SEED), non_empty=False, unique=True), ()), (), key="seeds"
    )
    device: str = checked(one_of(DEVICE_CHOICES), "auto", key="device")

    @property
    def finetune_seeds(self) -> list[int]:
        """`seeds` when given, else [`seed`]: the first one's model and metrics are kept."""
        return list(self.seeds) or [self.seed]


@dataclass(frozen=True)
class NeuronConfig(_Checked):
    """The spiking neurons: IF (beta 1) or LIF, and the surrogate gradient for training."""

    threshold: float = checked(number(gt=0), 1.0, key="threshold")
    beta: float = checked(number(gt=0, le=1), 1.0, key="beta")
    surrogate: str = checked(one_of(SURROGATES), "fast_sigmoid", key="surrogate")
    surrogate_slope: float = checked(number(gt=0), 25.0, key="surrogate_slope")


@dataclass(frozen=True)
class EncodingConfig(_Checked):
    """The rate code: T Bernoulli draws of each input."""

    timesteps: int = checked(integer(1, MAX_TIMESTEPS), 50, key="timesteps")


@dataclass(frozen=True)
class PrepareConfig(_Checked):
    """Splitting datasets that ship without one."""

    test_fraction: float = checked(number(gt=0, lt=1), 0.1)
    dev_fraction: float = checked(number(gt=0, lt=1), 0.1)  # 0 would leave no dev set to select on
    conflicting_duplicates: str = checked(one_of(CONFLICT_POLICIES), "keep")


@dataclass(frozen=True)
class EmbedConfig(_Checked):
    """Which vectors, and how they are shifted into [0, 1]."""

    english: str = checked(text)
    chinese: str = checked(text)
    oov: str = checked(one_of(OOV_POLICIES), "paper")
    clip_sigma: float = checked(number(gt=0), 3.0)
    code: str = checked(one_of(INPUT_CODES), "shift")
    # signed and latency codes: |z| <= dead_zone sigma never spikes (snntext.coding.input_codes); 0 = none
    dead_zone: float = checked(number(ge=0), 0.0)
    compare: tuple[str, ...] = checked(list_of(text, non_empty=False), ())

    def vectors_for(self, language: str) -> str:
        return {"en": self.english, "zh": self.chinese}[language]


@dataclass(frozen=True)
class TrainConfig(_Checked):
    """One DNN's training (params sections train_dnn and kim); `lr` may vary per dataset."""

    epochs: int = checked(integer(1, MAX_EPOCHS))
    lr: Any = checked(learning_rate)
    weight_decay: float = checked(number(ge=0))
    batch_size: int = checked(integer(1, MAX_BATCH_SIZE))
    patience: int = checked(integer(0))
    dropout: float = checked(number(ge=0, lt=1))
    kernel_sizes: tuple[int, ...] = checked(list_of(integer(1)))  # each <= every dataset's max_len: params.py
    filters: int = checked(integer(1, MAX_FILTERS))
    zero_sum_filters: bool | None = checked(optional_boolean, None)  # tailored net only
    # tailored net only: trained on Binomial(T, x) / T of each input (latency code: (T - t(x)) / T); 0 = exact rates
    rate_code_steps: int = checked(integer(0, MAX_TIMESTEPS), 0)
    # the tailored net's output population per class
    neurons_per_class: int = checked(integer(1, MAX_NEURONS_PER_CLASS), 10, key="neurons_per_class")

    def for_dataset(self, dataset: str) -> TrainConfig:
        """This config with `lr` resolved for `dataset` (its own entry, else `default`)."""
        if not isinstance(self.lr, tuple):
            return self
        rates = dict(self.lr)
        if dataset not in rates and "default" not in rates:
            raise ValueError(f"has neither '{dataset}' nor 'default', got {dict(rates)!r}")
        return dataclasses.replace(self, lr=rates.get(dataset, rates.get("default")))


@dataclass(frozen=True)
class ConvertConfig(_Checked):
    normalisation: str = checked(one_of(NORMALISATIONS), "data_p99.9")
    eval_batch_size: int = checked(integer(1, MAX_BATCH_SIZE), 64)


@dataclass(frozen=True)
class FinetuneConfig(_Checked):
    """Surrogate-gradient fine-tuning of the converted SNN (snntext.training.finetuning)."""

    epochs: int = checked(integer(0, MAX_EPOCHS), 5)
    lr: float = checked(number(gt=0), 1e-4)
    weight_decay: float = checked(number(ge=0), 0.0)
    batch_size: int = checked(integer(1, MAX_BATCH_SIZE), 32)
    loss: str = checked(one_of(LOSSES), "paper")
    temperature: float = checked(number(gt=0), 1.0)  # count and distill losses: logits = mean counts / temperature
    patience: int = checked(integer(0), 0)  # stop after this many epochs without a dev gain; 0 = never
    zero_sum_filters: bool = checked(boolean, False)  # re-project conv filters to zero weight-sum after every step
    timesteps: int = checked(integer(1, MAX_TIMESTEPS), 50, key="timesteps")  # T while training (the top-level T)
    dev_draws: int = checked(integer(1, MAX_DRAWS), 1)  # epochs compared on dev accuracy averaged over this many draws
    eval_batch_size: int = checked(integer(1, MAX_BATCH_SIZE), 64, key="convert.eval_batch_size")
    max_train_examples: int = checked(integer(0), 0)  # 0 = all; >0 = a seeded subset (for quick studies)
    precision: str = checked(one_of(PRECISIONS), "fp32")  # training convolutions (finetuning.check_precision)
    test_draws: int = checked(integer(1, MAX_DRAWS), 1)  # test spike draws of the kept net for the paired gap


@dataclass(frozen=True)
class DirectConfig(_Checked):
    """A SpikingTextCNN trained from random initialisation with surrogate gradients (snntext.training.direct):
    the paper's directly-trained baseline; the top-level T, threshold and surrogate, its own beta."""

    epochs: int = checked(integer(1, MAX_EPOCHS), 10)
    lr: float = checked(number(gt=0), 1e-3)
    weight_decay: float = checked(number(ge=0), 0.0)
    batch_size: int = checked(integer(1, MAX_BATCH_SIZE), 32)
    loss: str = checked(one_of(("paper", "count")), "paper")  # no DNN to distil from
    temperature: float = checked(number(gt=0), 1.0)
    beta: float = checked(number(gt=0, le=1), 0.95)  # the authors' direct-training configs: 0.95
    zero_sum_filters: bool = checked(boolean, True)  # as the DNN is trained; without it Adam silences the convs
    patience: int = checked(integer(0), 0)
    dev_draws: int = checked(integer(1, MAX_DRAWS), 1)


@dataclass(frozen=True)
class SweepConfig(_Checked):
    timesteps: tuple[int, ...] = checked(list_of(integer(1, MAX_TIMESTEPS), sort=True))
    splits: tuple[str, ...] = checked(list_of(one_of(SPLITS), unique=True), ("test",))
    batch_size: int = checked(integer(1, MAX_BATCH_SIZE), 64)


@dataclass(frozen=True)
class AttackConfig(_Checked):
    """The attack stage (plus the top-level seed, T and device it runs with)."""

    examples: int = checked(integer(1, MAX_ATTACK_EXAMPLES))
    recipes: tuple[str, ...] = checked(list_of(one_of(RECIPES), unique=True))
    models: tuple[str, ...] = checked(list_of(one_of(ATTACK_MODELS), unique=True))
    similarity: float = checked(number(ge=-1, le=1))  # a cosine
    spike_samples: int = checked(integer(1, MAX_SPIKE_SAMPLES), 1)  # draws per query of snn_stochastic
    eot_draws: int = checked(integer(1, MAX_EOT_DRAWS), 8)  # draws per query of snn_eot (expectation over draws)
    batch_size: int = checked(integer(1, MAX_BATCH_SIZE), 128)
    backend: str = checked(one_of(ATTACK_BACKENDS), "local")  # local: this process | ray: Ray tasks
    workers: int = checked(integer(0, MAX_WORKERS), 0)  # Ray tasks at a time; 0 = one per CPU core
    shard_size: int = checked(integer(1, MAX_ATTACK_EXAMPLES), 10)  # examples per shard (the unit of retry and resume)
    retries: int = checked(integer(0, MAX_RETRIES), 2)  # times a failed shard is run again before the stage fails
    seed: int = checked(integer(0, MAX_SEED), 0, key="seed")
    timesteps: int = checked(integer(1, MAX_TIMESTEPS), 50, key="timesteps")
    device: str = checked(one_of(DEVICE_CHOICES), "auto", key="device")


@dataclass(frozen=True)
class Config:
    """Everything params.yaml sets, checked; `source` is the file it came from."""

    run: RunConfig
    neuron: NeuronConfig
    encoding: EncodingConfig
    prepare: PrepareConfig
    embed: EmbedConfig
    train_dnn: TrainConfig
    kim: TrainConfig
    convert: ConvertConfig
    finetune: FinetuneConfig
    sweep: SweepConfig
    attack: AttackConfig
    direct: DirectConfig
    source: str = "params.yaml"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the file as read, for the report
