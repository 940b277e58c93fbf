"""Where a stage's numbers were made: the CPU, thread count, torch, date and code commit.

Training numbers depend on the CPU vendor (docs/reproducibility.md), so every stage records this
beside its metrics (snntext.core.stage_metrics), and the report names the machine that trained,
not the one that wrote the report.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

CODE_DIRS = ("src", "stages")  # what a stage runs: a change here outside a commit marks the record "+dirty"
_started_at: dict[str, str] = {}  # the commit when the stage started (remember_start), if it was called


def cpu_kind() -> dict[str, str]:
    """Vendor, model and widest vector ISA of this CPU (Linux /proc/cpuinfo; 'unknown' elsewhere)."""
    info = {"vendor": "unknown", "model": platform.processor() or "unknown", "isa": "unknown"}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    fields = {}
    for line in text.splitlines():  # the first processor's block is enough
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    info["vendor"] = fields.get("vendor_id", "unknown")
    info["model"] = fields.get("model name", info["model"])
    info["isa"] = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "other"
    return info


def code_commit(root: Path | None = None) -> str:
    """HEAD's commit, with "+dirty" when src/ or stages/ differ from it; "unknown" outside a git checkout."""
    cwd = root or Path.cwd()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=10", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", *CODE_DIRS], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if changed else "")


def remember_start() -> None:
    """Note the code commit now, at the stage's start: a commit made while a long stage runs must not be
    recorded as the code it ran (snntext.core.stage_script.run_stage calls this first)."""
    _started_at["commit"] = code_commit()


def machine_record() -> dict[str, Any]:
    """This process's machine, as a stage's detail metrics keep it (key `ran_on`); the commit is the one
    remembered at the stage's start when there is one."""
    import torch

    return {
        "cpu": cpu_kind(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _started_at.get("commit") or code_commit(),
    }
