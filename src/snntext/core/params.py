"""The only reader of params.yaml: fills the typed configs of snntext.core.config and checks every key.

`load_config` refuses, with one SnntextError naming the file and the dotted key, any value of the
wrong type or out of range, any unknown key (with the nearest known one), a dataset name that is
not a key of the source registry, and a vector set of the wrong language. It imports no torch, so a
stage (and the `check_params` stage that runs before all others) fails within its first second.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Hashable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from snntext.core import paths
from snntext.core.config import (
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

if TYPE_CHECKING:
    from snntext.core.registry import Registry

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


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load, except that a key given twice in one mapping is an error (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_params_file(path: str | Path | None = None) -> tuple[dict[str, Any], Path]:
    """params.yaml as a mapping (default: the project's), or a SnntextError naming the file and line."""
    path = Path(path) if path else paths.PARAMS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnntextError(f"{path}: params file not found") from None
    except UnicodeDecodeError as err:
        raise SnntextError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SnntextError(f"{path}{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
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
    """What one key cannot tell alone: per-dataset learning rates, registry names, vector languages."""
    for section in ("train_dnn", "kim"):
        for dataset in config.run.datasets:
            try:
                getattr(config, section).for_dataset(dataset)
            except ValueError as err:
                raise SnntextError(f"{config.source}: key '{section}.lr' {err}") from None
    if registry is False:
        return
    if registry is None:
        from snntext.core.registry import load_registry

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
