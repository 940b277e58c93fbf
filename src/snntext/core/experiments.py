"""Commands that the experiment scripts (scripts/run_ablations.py, scripts/run_energy_grid.py,
scripts/run_seed_study.py) run in the project: dvc exp and git, echoed, failing with one SnntextError that
quotes the command; and a stage's metrics as an experiment's commit holds them."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Hashable
from typing import Any

from snntext.core import paths
from snntext.core.errors import SnntextError
from snntext.core.stage_metrics import HEADLINE, detail_file, headline_file


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


def file_at(rev: str, path: str) -> str:
    """The text of `path` (relative to the project root) at commit `rev` (`git show`)."""
    return run_in_project(["git", "show", f"{rev}:{path}"], capture=True)


def json_at_if_present(rev: str, path: str) -> dict[str, Any] | None:
    """The JSON object of `path` at commit `rev`, None when the commit holds no such file (a stage the experiment
    did not run); SnntextError when it is there and not valid JSON."""
    check = subprocess.run(
        ["git", "cat-file", "-e", f"{rev}:{path}"], cwd=paths.PROJECT_ROOT, capture_output=True, text=True
    )
    if check.returncode != 0:
        return None
    try:
        data: dict[str, Any] = json.loads(file_at(rev, path))
    except json.JSONDecodeError as err:
        raise SnntextError(f"{path} at {rev}: not valid JSON ({err})") from None
    return data


def stage_metrics_at(rev: str, stage: str, dataset: str) -> dict[str, Any]:
    """A stage's metrics at commit `rev`, headline joined with detail as snntext.core.stage_metrics.read_stage_metrics
    joins them in the workspace."""
    where = paths.METRICS_DIR.relative_to(paths.PROJECT_ROOT)
    files = ([detail_file(stage, dataset, where)] if stage in HEADLINE else []) + [headline_file(stage, dataset, where)]
    data: dict[str, Any] = {}
    for path in files:
        try:
            data.update(json.loads(file_at(rev, path.as_posix())))
        except json.JSONDecodeError as err:
            raise SnntextError(f"{path} at {rev}: not valid JSON ({err})") from None
    return data


def queue_lines(commands: dict[Hashable, list[str]], jobs: int) -> str:
    """What run_queued would run, one command a line (a script's --dry-run)."""
    return "\n".join([*(" ".join(argv) for argv in commands.values()), f"dvc exp run --run-all -j {jobs}"])


def run_queued(commands: dict[Hashable, list[str]], jobs: int) -> tuple[float, dict[Hashable, float]]:
    """Queue each `dvc exp run --queue` argv of `commands` (name -> argv) and run the queue with `jobs` workers,
    after refusing untracked sources (queued experiments see only what git tracks). With one job each name is
    queued and run alone: the same work, and each one's wall time. Returns (wall seconds, name -> seconds)."""
    untracked = untracked_sources()
    if untracked:
        raise SnntextError(
            "queued experiments see only git-tracked files; git add or remove first: " + ", ".join(untracked)
        )
    start, walls = time.monotonic(), {}
    if jobs == 1:
        for name, argv in commands.items():
            began = time.monotonic()
            run_in_project(argv)
            run_in_project(["dvc", "exp", "run", "--run-all", "-j", "1"])
            walls[name] = time.monotonic() - began
    else:
        for argv in commands.values():
            run_in_project(argv)
        run_in_project(["dvc", "exp", "run", "--run-all", "-j", str(jobs)])
    return time.monotonic() - start, walls


def exp_show() -> list[dict[str, Any]]:
    """`dvc exp show --json --all-commits`, parsed: every experiment of every commit (DVC 3.x, newest first)."""
    out = run_in_project(["dvc", "exp", "show", "--json", "--all-commits"], capture=True)
    try:
        data: list[dict[str, Any]] = json.loads(out)
    except json.JSONDecodeError as err:
        raise SnntextError(f"`dvc exp show --json` printed no valid JSON ({err})") from None
    return data
