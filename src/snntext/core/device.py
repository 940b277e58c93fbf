"""Where tensors live and where every random draw starts.

`device` in params.yaml is "auto" (CUDA when present, else CPU), "cpu" or "cuda";
`seed_everything` seeds every generator a stage touches, so one seed fixes a run;
`keep_freed_memory` stops the C allocator handing big blocks back to the OS after every step.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import random

import numpy as np
import torch

from snntext.core.config import DEVICE_CHOICES
from snntext.core.errors import SnntextError


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


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse: no mmap'd blocks, no trimming of the heap.

    Big per-step tensors then reuse pages instead of faulting fresh zero-filled ones in; the process
    keeps what it freed, so peak RSS grows (measurements: benchmarks/README.md, "Keeping freed memory").
    SNNTEXT_KEEP_FREED_MEMORY=0 in the environment keeps glibc's defaults. Returns False (and changes
    nothing) when opted out or where the C library is not glibc.
    """
    if os.environ.get("SNNTEXT_KEEP_FREED_MEMORY", "1") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_max = -1, -4
    return bool(mallopt(m_mmap_max, 0)) and bool(mallopt(m_trim_threshold, 2**30))
