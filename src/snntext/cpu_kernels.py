"""Pin torch's CPU kernels to AVX2, so that an x86-64 machine with wider vectors computes what an
AVX2 machine does.

Why: ATen, oneDNN and MKL each choose their kernels by the CPU they find, and AVX-512 kernels add in
another order than AVX2 ones. The last bits differ, the DNN's training drifts apart within an epoch,
and every metric downstream moves. Measured 2026-12-01, same code, params and thread count (2):
MR's tailored DNN reached test 73.08% (best epoch 12) on the AVX2 machine that made the previous
metrics and 73.64% (epoch 21) on an AVX-512 machine. Pinned, the AVX-512 machine reproduced that
AVX2 run bit for bit for the Kim TextCNN on all six datasets and for the tailored DNN (and all that
follows from it) on MR and SST-5, at the same speed within noise (2.18 against 2.16 s per epoch);
the tailored DNN on the other four still drifted after 2-4 epochs (the AVX2 machine ran MKL without
MKL_CBWR, so MKL may have chosen other kernels there). The thread count matters too: keep it.

`SNNTEXT_PORTABLE_CPU=0` lets each library use the machine's widest kernels instead. A variable the
user already set is kept. Other machines (ARM, CUDA) are left alone: their numbers are their own.
"""
from __future__ import annotations

import os
import platform

from snntext.errors import SnntextError

SWITCH = "SNNTEXT_PORTABLE_CPU"
PINS = {
    "ATEN_CPU_CAPABILITY": "avx2",   # torch's own vectorised kernels
    "ONEDNN_MAX_CPU_ISA": "AVX2",    # convolutions (mkldnn)
    "MKL_CBWR": "AVX2",              # matmuls (MKL's conditional numerical reproducibility)
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
