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


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_keep_freed_memory_cuts_page_faults_of_repeated_steps():
    # in a child process each way, so this test process keeps glibc's defaults
    script = textwrap.dedent("""
        import resource, sys, torch
        from snntext.device import keep_freed_memory
        if sys.argv[1] == "keep":
            assert keep_freed_memory()
        def faults():
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        def step():   # a training step's pattern: big temporaries alive together, then all freed
            held = [torch.empty(n * 2**18).fill_(1.0) for n in (8, 20, 20, 12)]   # MB
            return sum(float(t[0]) for t in held)
        step()
        before = faults()
        for _ in range(5):
            step()
        print(faults() - before)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    faults = {mode: int(subprocess.run([sys.executable, "-c", script, mode], env=env, check=True,
                                       capture_output=True, text=True).stdout)
              for mode in ("default", "keep")}
    assert faults["default"] > 5 * 10_000     # glibc's default maps 60 MB afresh: ~15,000 pages per step
    assert faults["keep"] < faults["default"] / 2, faults
