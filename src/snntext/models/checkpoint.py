"""Saving and loading networks as self-describing checkpoints.

A checkpoint is one torch file holding {"kind", "config", "state_dict", "extra"}: `kind`
names the class in the registry below, `config` is its constructor's keyword arguments, so
`load_checkpoint` rebuilds the network without the caller knowing its shape. `extra` is free
metadata (plain Python values and tensors only: files are read with weights_only=True, so a
checkpoint cannot run code when loaded).

The spiking network registers itself (kind "spiking") from its own module with
`register_model_kind`; loading a "spiking" checkpoint imports that module on demand.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from snntext.core.atomic import atomic_path
from snntext.core.errors import SnntextError
from snntext.models.textcnn import KimTextCNN, TailoredTextCNN

_REGISTRY: dict[str, type[nn.Module]] = {"tailored": TailoredTextCNN, "kim": KimTextCNN}
# Kinds defined in modules that import this one: imported when such a checkpoint is loaded.
_PROVIDERS = {"spiking": "snntext.models.spiking"}
_KEYS = ("kind", "config", "state_dict", "extra")


def register_model_kind(kind: str, cls: type[nn.Module]) -> None:
    """Make `kind` loadable: checkpoints of that kind are rebuilt as cls(**config)."""
    existing = _REGISTRY.get(kind)
    if existing is not None and existing is not cls:
        raise ValueError(f"model kind {kind!r} is already registered to {existing.__name__}")
    _REGISTRY[kind] = cls


def model_class(kind: str) -> type[nn.Module]:
    if kind not in _REGISTRY and kind in _PROVIDERS:
        importlib.import_module(_PROVIDERS[kind])
    if kind not in _REGISTRY:
        raise KeyError(kind)
    return _REGISTRY[kind]


def build_model(kind: str, config: dict[str, Any]) -> nn.Module:
    """A fresh network of a registered kind from its constructor kwargs."""
    return model_class(kind)(**config)


def save_checkpoint(
    path: str | Path, model: nn.Module, kind: str, config: dict[str, Any], extra: dict | None = None
) -> None:
    """Write the checkpoint atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    model_class(kind)  # fail before writing if the kind could not be loaded back
    payload = {
        "kind": kind,
        "config": dict(config),
        "state_dict": {name: t.detach().cpu() for name, t in model.state_dict().items()},
        "extra": dict(extra or {}),
    }
    with atomic_path(path) as temp, open(temp, "wb") as out:
        torch.save(payload, out)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """(network in eval mode, payload) from a checkpoint written by save_checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise SnntextError(f"{path}: checkpoint not found; run the stage that writes it (dvc repro)")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated, not a torch file, or holds non-plain objects
        raise SnntextError(
            f"{path}: not a readable checkpoint ({type(err).__name__}); delete it and rerun its stage"
        ) from None
    if not isinstance(payload, dict) or any(key not in payload for key in _KEYS):
        raise SnntextError(f"{path}: not a snntext checkpoint (needs keys {', '.join(_KEYS)}); rerun its stage")
    try:
        cls = model_class(payload["kind"])
    except (KeyError, ImportError):
        known = ", ".join(sorted(set(_REGISTRY) | set(_PROVIDERS)))
        raise SnntextError(f"{path}: unknown model kind {payload['kind']!r}; known: {known}") from None
    try:
        model = cls(**payload["config"])
        model.load_state_dict(payload["state_dict"])
    except (TypeError, RuntimeError) as err:
        raise SnntextError(
            f"{path}: weights do not fit a {cls.__name__} of its config ({err}); rerun its stage"
        ) from None
    model.to(map_location).eval()
    return model, payload
