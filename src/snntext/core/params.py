"""The only reader of params.yaml: fills the typed configs of snntext.core.config and checks every key.

`load_config` refuses, with one SnntextError naming the file and the dotted key, any value of the
wrong type or out of range (sizes have upper bounds: snntext.core.config), any unknown key (with the
nearest known one), a dataset name that is not a key of the source registry, a vector set of the wrong
language, split fractions that leave too little to train on, and a kernel longer than a dataset's
max_len. It imports no torch, so a stage (and the `check_params` stage that runs before all others)
fails within its first second.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, Literal

from snntext.core import paths
from snntext.core.config import (
    MIN_LATENCY_TIMESTEPS,
    MIN_TRAIN_SHARE,
    AttackConfig,
    Config,
    ConvertConfig,
    DirectConfig,
    EmbedConfig,
    EncodingConfig,
    FinetuneConfig,
    NeuronConfig,
    PrepareConfig,
    RunConfig,
    SweepConfig,
    TrainConfig,
)
from snntext.core.errors import SnntextError
from snntext.core.registry import Registry, load_registry, read_yaml_file

# (Config attribute, dataclass, params.yaml section or None for top-level keys, fields params.yaml does not set)
SECTIONS = (
    ("run", RunConfig, None, ()),
    ("neuron", NeuronConfig, None, ()),
    ("encoding", EncodingConfig, None, ()),
    ("prepare", PrepareConfig, "prepare", ()),
    ("embed", EmbedConfig, "embed", ()),
    ("train_dnn", TrainConfig, "train_dnn", ()),
    ("kim", TrainConfig, "kim", ("zero_sum_filters", "rate_code_steps", "neurons_per_class")),
    ("convert", ConvertConfig, "convert", ()),
    ("finetune", FinetuneConfig, "finetune", ()),
    ("sweep", SweepConfig, "sweep", ()),
    ("attack", AttackConfig, "attack", ()),
    ("direct", DirectConfig, "direct", ()),
)
_ABSENT = object()


def read_params_file(path: str | Path | None = None) -> tuple[dict[str, Any], Path]:
    """params.yaml as a mapping (default: the project's), or a SnntextError naming the file (and line:
    a byte that is not UTF-8, invalid YAML, a key given twice)."""
    path = Path(path) if path else paths.PARAMS_FILE
    try:
        data = read_yaml_file(path)
    except FileNotFoundError:
        raise SnntextError(f"{path}: params file not found") from None
    if not isinstance(data, dict):
        raise SnntextError(f"{path}: expected a mapping of keys at the top level")
    return data, path


def load_config(path: str | Path | None = None, registry: Registry | Literal[False] | None = None) -> Config:
    """Every key of params.yaml checked and typed; registry: the source registry the dataset and
    vector names are checked against (default: the packaged one; False skips those checks)."""
    data, path = read_params_file(path)
    return config_from_dict(data, path, registry)


def config_from_dict(
    data: dict[str, Any], source: str | Path = "params.yaml", registry: Registry | Literal[False] | None = None
) -> Config:
    known = _known_keys()
    sections = {section for _, _, section, _ in SECTIONS if section}
    for name in sections:
        if name in data and not isinstance(data[name], dict):
            raise SnntextError(f"{source}: key '{name}' must be a section (a mapping of keys), got {data[name]!r}")
    for dotted in _leaf_keys(data):
        if dotted not in known:
            near = difflib.get_close_matches(dotted, sorted(known), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else f"; known keys: {', '.join(sorted(known))}"
            raise SnntextError(f"{source}: unknown key '{dotted}'{hint}")
    parts: dict[str, Any] = {}
    for attr, cls, section, skipped in SECTIONS:
        values: dict[str, Any] = {}
        for f in fields(cls):
            if not f.metadata.get("param", True) or f.name in skipped:
                continue
            key = f.metadata.get("key") or f"{section}.{f.name}"
            raw = _lookup(data, key)
            if raw is _ABSENT:
                if f.default is MISSING:
                    raise SnntextError(f"{source}: missing key '{key}'")
                continue
            try:
                values[f.name] = f.metadata["check"](raw)
            except ValueError as err:
                raise SnntextError(f"{source}: key '{key}' {err}, got {raw!r}") from None
        parts[attr] = cls(**values)
    config = Config(**parts, source=str(source), raw=data)
    _check_across(config, registry)
    return config


def _check_across(config: Config, registry: Registry | Literal[False] | None) -> None:
    """What one key cannot tell alone: per-dataset learning rates, the split fractions together,
    registry names, vector languages, kernel sizes against the datasets' max_len."""
    for section in ("train_dnn", "kim"):
        for dataset in config.run.datasets:
            try:
                getattr(config, section).for_dataset(dataset)
            except ValueError as err:
                raise SnntextError(f"{config.source}: key '{section}.lr' {err}") from None
    _check_input_code(config)
    test, dev = config.prepare.test_fraction, config.prepare.dev_fraction
    train_share = (1 - test) * (1 - dev)
    if round(train_share, 9) < MIN_TRAIN_SHARE:  # rounded: 0.9 and 0.5 leave 0.05, not 0.04999...
        raise SnntextError(
            f"{config.source}: keys 'prepare.test_fraction' ({test}) and 'prepare.dev_fraction' ({dev}) leave "
            f"{train_share:.4g} of a dataset to train on; (1 - test_fraction) * (1 - dev_fraction) must be "
            f">= {MIN_TRAIN_SHARE}"
        )
    if registry is False:
        return
    if registry is None:
        registry = load_registry()
    # A dataset whose registry entry is broken counts as defined: its own stages report the entry's
    # error, so one bad entry of datasets.yaml does not stop the other datasets.
    datasets = (registry.dataset_names, registry.dataset_files)
    names: list[tuple[str, str, Collection[str], str | Path]] = [
        (f"{section}.lr", name, *datasets)
        for section in ("train_dnn", "kim")
        for name, _ in _pairs(getattr(config, section).lr)
        if name != "default"
    ]
    names += [("datasets", name, *datasets) for name in config.run.datasets]
    names += [("embed.compare", name, registry.vectors, registry.source) for name in config.embed.compare]
    for key, name, defined, files in names:
        if name not in defined and registry.user_error and key != "embed.compare":
            # the user's datasets.yaml is unreadable: its own error first, naming the file and line
            raise SnntextError(
                f"{registry.user_error} ({config.source} key '{key}' names {name!r}, which {registry.source} "
                f"does not define, so it must come from {registry.user_source})"
            )
        if name not in defined:
            raise SnntextError(
                f"{config.source}: key '{key}' names {name!r}, which {files} does not "
                f"define; defined: {', '.join(sorted(defined))}"
            )
    for language, key in (("en", "embed.english"), ("zh", "embed.chinese")):
        name = config.embed.vectors_for(language)
        fits = ", ".join(n for n, v in registry.vectors.items() if v.language == language)
        if name not in registry.vectors or registry.vectors[name].language != language:
            raise SnntextError(
                f"{config.source}: key '{key}' is {name!r}, not a '{language}' vector set of "
                f"{registry.source}; choose one of: {fits}"
            )
    _check_kernels(config, registry)


def _check_input_code(config: Config) -> None:
    """embed.dead_zone only where the code has a dead zone (signed, latency) and narrower than the clip; the
    latency code only at T >= 2 (at T = 1 every spike falls on step 0), for the SNN and the DNN's training."""
    embed, source = config.embed, config.source
    if embed.dead_zone > 0 and embed.code == "shift":
        raise SnntextError(
            f"{source}: key 'embed.dead_zone' is {embed.dead_zone}, but embed.code is 'shift', which has no dead "
            "zone (its mean fires at rate 0.5); set embed.code to signed or latency, or embed.dead_zone to 0"
        )
    if embed.dead_zone >= embed.clip_sigma:
        raise SnntextError(
            f"{source}: key 'embed.dead_zone' ({embed.dead_zone}) must be < embed.clip_sigma ({embed.clip_sigma}): "
            "values beyond the clip are cut to it, so a dead zone that wide silences every input"
        )
    if embed.code != "latency":
        return
    for key, steps, exempt in (
        ("timesteps", config.encoding.timesteps, ()),
        ("train_dnn.rate_code_steps", config.train_dnn.rate_code_steps, (0,)),  # 0: exact values
    ):
        if steps < MIN_LATENCY_TIMESTEPS and steps not in exempt:
            raise SnntextError(
                f"{source}: key '{key}' is {steps}, but embed.code latency needs >= {MIN_LATENCY_TIMESTEPS} "
                "steps: at 1 step every input fires on step 0 and only 'value > 0' is left of it"
            )


def _check_kernels(config: Config, registry: Registry) -> None:
    """A convolution kernel may not be longer than a sentence: every kernel size <= the max_len of every
    dataset run (a broken registry entry is left to its own stages, as above)."""
    specs = [registry.datasets[name] for name in config.run.datasets if name in registry.datasets]
    if not specs:
        return
    shortest = min(specs, key=lambda spec: spec.max_len)
    for section in ("train_dnn", "kim"):
        longest = max(getattr(config, section).kernel_sizes)
        if longest > shortest.max_len:
            raise SnntextError(
                f"{config.source}: key '{section}.kernel_sizes' has a kernel of {longest} tokens, longer than the "
                f"max_len {shortest.max_len} of dataset '{shortest.name}' ({shortest.registry_file}); each kernel "
                f"size must be <= {shortest.max_len}, the shortest max_len of the datasets in 'datasets'"
            )


def _pairs(lr: Any) -> tuple[tuple[str, float], ...]:
    """A per-dataset learning rate's (name, value) pairs; none for a single number."""
    return lr if isinstance(lr, tuple) else ()


def _known_keys() -> set[str]:
    known = set()
    for _, cls, section, skipped in SECTIONS:
        for f in fields(cls):
            if f.metadata.get("param", True) and f.name not in skipped:
                known.add(f.metadata.get("key") or f"{section}.{f.name}")
    return known


def _leaf_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys: top-level keys, and the keys of each section (a mapping at the top); a mapping
    inside a section (train_dnn.lr) is a value."""
    keys = []
    for name, value in data.items():
        dotted = f"{prefix}{name}"
        if isinstance(value, dict) and not prefix:
            keys.extend(_leaf_keys(value, dotted + "."))
        else:
            keys.append(dotted)
    return keys


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node
