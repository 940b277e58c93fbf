"""Where tensors live and where every random draw starts.

`device` in params.yaml is "auto" (CUDA when present, else CPU), "cpu" or "cuda";
`seed_everything` seeds every generator a stage touches, so one seed fixes a run.
"""
from __future__ import annotations

import random

import numpy as np
import torch

from snntext.errors import SnntextError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """The torch device for the params value `device`: auto | cpu | cuda."""
    if name not in DEVICE_CHOICES:
        raise SnntextError(f"params key 'device' is {name!r}; allowed: {', '.join(DEVICE_CHOICES)}")
    if name == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if name == "cuda":
        raise SnntextError("params key 'device' is 'cuda' but no CUDA device is visible; set device: auto or cpu")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every CUDA device) from one integer, and ask
    cuDNN for its deterministic kernels so a CUDA run repeats too."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
