"""Queue, run and collect the energy grid (T, input code, DNN trained at T) as DVC experiments.

    python scripts/run_energy_grid.py --dry-run                 # the commands, nothing run
    python scripts/run_energy_grid.py                            # every setting on every dataset of params.yaml
    python scripts/run_energy_grid.py --settings T4 T8 --jobs 1  # some settings
    python scripts/run_energy_grid.py --collect-only             # only re-collect finished experiments

Each setting (snntext.report.frontier.SETTINGS) is `dvc exp run --queue -n energy-<setting> -S ... finetune`;
`dvc exp run --run-all` runs the queue; then each experiment's metrics files are read from its commit
(`git show`) into metrics/energy_grid.json, which is committed and which the report stage turns into the
frontier of reports/energy.md (`dvc repro report`). Collecting keeps the points of settings not re-run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
import time

import yaml

from snntext.core import paths
from snntext.core.atomic import write_text_atomic
from snntext.core.errors import SnntextError
from snntext.core.experiments import run_in_project as run
from snntext.core.experiments import untracked_sources
from snntext.report.frontier import (
    GRID_FILE,
    GRIDS,
    PREFIX,
    SETTINGS,
    epoch_seconds,
    experiment_revs,
    grid_point,
    load_grid,
    queue_command,
    setting,
)


def read_at(rev: str, path: str) -> str:
    return run(["git", "show", f"{rev}:{path}"], capture=True)


def collect(names: list[str] | None, wall_s: float | None, setting_wall_s: dict[str, float] | None = None) -> None:
    grid_path = paths.METRICS_DIR / GRID_FILE
    grid = load_grid(grid_path) or {"settings": {}, "points": []}
    found = experiment_revs(json.loads(run(["dvc", "exp", "show", "--json", "--all-commits"], capture=True)))
    collected = 0
    for name, rev in found.items():
        if names and name not in names:
            continue
        chosen, exp = setting(name), f"{PREFIX}-{name}"
        params = yaml.safe_load(read_at(rev, "params.yaml"))
        points = []
        for ds in params["datasets"]:
            fine = {
                **json.loads(read_at(rev, f"metrics/finetune/{ds}_detail.json")),
                **json.loads(read_at(rev, f"metrics/finetune/{ds}.json")),
            }
            dnn = json.loads(read_at(rev, f"metrics/train_dnn/{ds}.json"))
            history = list(csv.DictReader(io.StringIO(read_at(rev, f"metrics/finetune/{ds}_history.csv"))))
            points.append(grid_point(name, ds, fine, dnn, epoch_seconds=epoch_seconds(history)))
        grid["points"] = [p for p in grid["points"] if p["setting"] != name] + points
        grid["settings"][name] = {
            "what": chosen.what,
            "overrides": chosen.overrides,
            "experiment": exp,
            "rev": rev,
            "finetune_seconds": round(sum(p["finetune_seconds"] for p in points), 1),
        }
        if setting_wall_s and name in setting_wall_s:  # queue to collected, upstream stages included
            grid["settings"][name]["wall_s"] = round(setting_wall_s[name], 1)
        collected += 1
    if wall_s is not None:
        grid["wall_s"] = round(wall_s, 1)
    grid["collected"] = dt.date.today().isoformat()
    grid["note"] = f"collected {grid['collected']}" + (
        f", last grid run {grid['wall_s'] / 60:.0f} min of wall time" if grid.get("wall_s") else ""
    )
    order = [s.name for s in SETTINGS]
    grid["points"].sort(
        key=lambda p: (order.index(p["setting"]) if p["setting"] in order else len(order), p["dataset"])
    )
    write_text_atomic(grid_path, json.dumps(grid, indent=1, sort_keys=True) + "\n")
    print(
        f"wrote {grid_path}: {collected} settings collected, {len(grid['points'])} points in all; "
        "now `dvc repro report`"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", choices=sorted(GRIDS), default="energy")
    parser.add_argument("--settings", nargs="+", help="these settings instead of a grid's")
    parser.add_argument("--datasets", nargs="+", help="default: params.yaml datasets")
    parser.add_argument("--jobs", type=int, default=1, help="experiments run at once (default 1: 2 cores)")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--collect-only", action="store_true")
    args = parser.parse_args()
    names = args.settings or GRIDS[args.grid]
    for name in names:
        setting(name)  # unknown names fail here, before anything is queued
    if args.collect_only:
        collect(names, None)
        return
    datasets = args.datasets or yaml.safe_load((paths.PROJECT_ROOT / "params.yaml").read_text())["datasets"]
    commands = [queue_command(name, datasets) for name in names]
    if args.dry_run:
        for argv in commands:
            print(" ".join(argv))
        print(f"dvc exp run --run-all -j {args.jobs}")
        return
    untracked = untracked_sources()
    if untracked:
        raise SnntextError(
            "queued experiments see only git-tracked files; git add or remove first: " + ", ".join(untracked)
        )
    start, walls = time.monotonic(), {}
    if args.jobs == 1:  # one setting at a time: the same work as one queue, and each setting's wall time
        for name, argv in zip(names, commands):
            began = time.monotonic()
            run(argv)
            run(["dvc", "exp", "run", "--run-all", "-j", "1"])
            walls[name] = time.monotonic() - began
    else:
        for argv in commands:
            run(argv)
        run(["dvc", "exp", "run", "--run-all", "-j", str(args.jobs)])
    collect(names, time.monotonic() - start, walls)


if __name__ == "__main__":
    try:
        main()
    except SnntextError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
