"""Device choice and seeding."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from snntext.device import resolve_device, seed_everything
from snntext.errors import SnntextError


def test_resolve_device(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(SnntextError, match="'cuda' but no CUDA device"):
        resolve_device("cuda")
    with pytest.raises(SnntextError, match="allowed: auto, cpu, cuda"):
        resolve_device("gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_seed_everything_repeats_every_generator():
    draws = []
    for _ in range(2):
        seed_everything(7)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1]
