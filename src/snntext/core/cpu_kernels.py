"""Pin torch's CPU kernels to AVX2, so that an x86-64 machine with wider vectors computes what an
AVX2 machine does.

Why: ATen, oneDNN and MKL each choose their kernels by the CPU they find, and AVX-512 kernels add in
another order than AVX2 ones; DNN training amplifies the last-bit differences until every metric
downstream moves. PINS holds one variable per library; the thread count matters too, so keep it.
What the pin was measured to reproduce, and what not: docs/reproducibility.md.

`SNNTEXT_PORTABLE_CPU=0` (SWITCH) lets each library use the machine's widest kernels instead. A
variable the user already set is kept. Other machines (ARM, CUDA) are left alone: their numbers are
their own.
"""

from __future__ import annotations

import os
import platform

from snntext.core.errors import SnntextError

SWITCH = "SNNTEXT_PORTABLE_CPU"
PINS = {
    "ATEN_CPU_CAPABILITY": "avx2",  # torch's own vectorised kernels
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # convolutions (mkldnn)
    "MKL_CBWR": "AVX2",  # matmuls (MKL's conditional numerical reproducibility)
}


def pin_portable_cpu_kernels() -> bool:
    """Set PINS in this process's environment (x86-64 only); True when pinned.

    Must run before torch runs its first kernel: each library reads its variable once, at first use.
    Raises when ATen has already chosen wider kernels, rather than silently computing other numbers.
    """
    if os.environ.get(SWITCH, "1") == "0" or platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    for name, value in PINS.items():
        os.environ.setdefault(name, value)
    import torch

    chosen = torch.backends.cpu.get_cpu_capability()
    if os.environ["ATEN_CPU_CAPABILITY"].lower() == "avx2" and chosen.startswith("AVX512"):
        raise SnntextError(
            f"torch already runs {chosen} kernels: pin_portable_cpu_kernels() was called after the first torch "
            f"operation; call it first, or set {SWITCH}=0 to compute with the machine's own kernels"
        )
    return True
