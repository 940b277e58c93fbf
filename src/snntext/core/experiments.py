"""Commands that the experiment scripts (scripts/run_ablations.py, scripts/run_energy_grid.py) run in the
project: dvc exp and git, echoed, failing with one SnntextError that quotes the command."""

from __future__ import annotations

import subprocess

from snntext.core import paths
from snntext.core.errors import SnntextError


def run_in_project(argv: list[str], capture: bool = False) -> str:
    """Run argv in the project root; its stdout when captured (else ""), SnntextError on a non-zero exit."""
    print("+ " + " ".join(argv), flush=True)
    done = subprocess.run(argv, cwd=paths.PROJECT_ROOT, text=True, capture_output=capture)
    if done.returncode != 0:
        raise SnntextError(
            f"`{' '.join(argv)}` failed with exit status {done.returncode}"
            + (f": {done.stderr.strip()[-500:]}" if capture else "")
        )
    return done.stdout if capture else ""


def untracked_sources() -> list[str]:
    """Untracked files under src/, stages/ or dvc.yaml/params.yaml: queued experiments see only tracked files."""
    out = run_in_project(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", "src", "stages", "dvc.yaml", "params.yaml"],
        capture=True,
    )
    return [line[3:] for line in out.splitlines() if line.startswith("??")]
