"""The CPU-kernel pin: each check runs in a fresh interpreter, since a library reads its variable once."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from snntext.core.cpu_kernels import PINS, SWITCH

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64") or "avx2" not in Path("/proc/cpuinfo").read_text(),
    reason="the pin is for x86-64 machines with AVX2",
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PINS and k != SWITCH}
    clean["PYTHONPATH"] = str(ROOT / "src")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env})


CAPABILITY = "import torch; print(torch.backends.cpu.get_cpu_capability())"


def test_pin_selects_avx2_kernels_and_the_switch_leaves_the_machine_s_own():
    native = run_python(CAPABILITY).stdout.strip()
    pinned = run_python(
        "from snntext.core.cpu_kernels import pin_portable_cpu_kernels as pin; assert pin()\n" + CAPABILITY
    )
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.strip() == "AVX2"
    off = run_python(
        "from snntext.core.cpu_kernels import pin_portable_cpu_kernels as pin; assert not pin()\n" + CAPABILITY,
        **{SWITCH: "0"},
    )
    assert off.returncode == 0, off.stderr
    assert off.stdout.strip() == native


def test_pin_after_a_torch_operation_is_refused_on_an_avx512_machine():
    if not run_python(CAPABILITY).stdout.startswith("AVX512"):
        pytest.skip("ATen picks AVX2 here anyway: nothing to refuse")
    late = run_python(
        "import torch; torch.ones(3).sum()\nfrom snntext.core.cpu_kernels import pin_portable_cpu_kernels as pin; pin()"
    )
    assert late.returncode != 0 and "already runs AVX512" in late.stderr


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "stages").glob("*.py")))
def test_every_stage_script_imports_without_running_a_torch_kernel(script):
    """run_stage pins before main(): that only works if importing the stage ran no torch operation."""
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('stage_under_test', {str(ROOT / 'stages' / script)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "from snntext.core.cpu_kernels import pin_portable_cpu_kernels as pin; assert pin()\n" + CAPABILITY
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "AVX2"


def test_run_stage_pins_before_the_stage_s_main():
    result = run_python(
        "import torch\nfrom snntext.core.stage_script import run_stage\n"
        "run_stage(lambda: print(torch.backends.cpu.get_cpu_capability()))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "AVX2"
