"""Device choice and seeding."""

from __future__ import annotations

import os
import platform
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from snntext.core.device import resolve_device, seed_everything
from snntext.core.errors import SnntextError


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


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_keep_freed_memory_serves_big_tensors_from_the_heap():
    # glibc maps a block over its mmap threshold (at most 32 MB) afresh and unmaps it when freed, so
    # every batch faults its big tensors in again; kept, the block comes from the reusable heap.
    # mallinfo2's hblkhd counts the bytes in mmap'd blocks. In a child process each way, so this
    # test process keeps glibc's defaults.
    script = textwrap.dedent("""
        import ctypes, sys, torch
        from snntext.core.device import keep_freed_memory
        if sys.argv[1] == "keep":
            assert keep_freed_memory()
        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        before = libc.mallinfo2().hblkhd
        held = torch.empty(10 * 2**20).fill_(1.0)   # 40 MB
        print(libc.mallinfo2().hblkhd - before)
    """)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
        "SNNTEXT_KEEP_FREED_MEMORY": "1",
    }
    mapped = {
        mode: int(
            subprocess.run(
                [sys.executable, "-c", script, mode], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for mode in ("default", "keep")
    }
    assert mapped["default"] >= 40 * 2**20
    assert mapped["keep"] == 0


def test_keep_freed_memory_can_be_turned_off(monkeypatch):
    from snntext.core.device import keep_freed_memory

    monkeypatch.setenv("SNNTEXT_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False
