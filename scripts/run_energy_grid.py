"""Queue, run and collect the energy grid (T, input code, DNN trained at T) as DVC experiments.

    python scripts/run_energy_grid.py --dry-run                 # the commands, nothing run
    python scripts/run_energy_grid.py                            # every setting on every dataset of params.yaml
    python scripts/run_energy_grid.py --settings T4 T8 --jobs 1  # some settings
    python scripts/run_energy_grid.py --collect-only             # only re-collect finished experiments

Each setting (snntext.report.frontier.SETTINGS) is `dvc exp run --queue -n energy-<setting> -S ... energy`
(finetune, then the per-sentence energy and the SNN's dev and test accuracy over its spike draws);
`dvc exp run --run-all` runs the queue; then each experiment's metrics files are read from its commit
(`git show`) into metrics/energy_grid.json, which is committed and which the report stage turns into the
frontier of reports/energy.md (`dvc repro report`). An experiment without metrics/energy/<ds>.json (one run
before the grid ran the energy stage) gives points without dev numbers: shown, never selected on dev.
Collecting keeps the points of settings not re-run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json

import yaml

from snntext.core import paths
from snntext.core.atomic import write_text_atomic
from snntext.core.experiments import exp_show, file_at, json_at_if_present, queue_lines, run_queued, stage_metrics_at
from snntext.core.stage_script import run_stage
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
    usable_energy,
)


def collect(names: list[str] | None, wall_s: float | None, setting_wall_s: dict[str, float] | None = None) -> None:
    grid_path = paths.METRICS_DIR / GRID_FILE
    grid = load_grid(grid_path) or {"settings": {}, "points": []}
    found = experiment_revs(exp_show())
    previous_rev = {name: entry.get("rev") for name, entry in grid["settings"].items()}
    collected = 0
    for name, rev in found.items():
        if names and name not in names:
            continue
        chosen, exp = setting(name), f"{PREFIX}-{name}"
        params = yaml.safe_load(file_at(rev, "params.yaml"))
        points = []
        for ds in params["datasets"]:
            fine = stage_metrics_at(rev, "finetune", ds)
            dnn = stage_metrics_at(rev, "train_dnn", ds)
            history = list(csv.DictReader(io.StringIO(file_at(rev, f"metrics/finetune/{ds}_history.csv"))))
            energy_file = paths.metrics_file("energy", ds).relative_to(paths.PROJECT_ROOT).as_posix()
            energy = usable_energy(json_at_if_present(rev, energy_file))
            points.append(grid_point(name, ds, fine, dnn, epoch_seconds=epoch_seconds(history), energy=energy))
        grid["points"] = [p for p in grid["points"] if p["setting"] != name] + points
        kept_wall = grid["settings"].get(name, {}).get("wall_s")  # a re-collection keeps the run's time
        grid["settings"][name] = {
            "what": chosen.what,
            "overrides": chosen.overrides,
            "experiment": exp,
            "rev": rev,
            "finetune_seconds": round(sum(p["finetune_seconds"] for p in points), 1),
        }
        if setting_wall_s and name in setting_wall_s:  # queue to collected, upstream stages included
            grid["settings"][name]["wall_s"] = round(setting_wall_s[name], 1)
        elif kept_wall is not None and grid["settings"][name]["rev"] == previous_rev.get(name):
            grid["settings"][name]["wall_s"] = kept_wall
        collected += 1
    if wall_s is not None:
        grid["wall_s"] = round(wall_s, 1)
    grid["collected"] = dt.date.today().isoformat()
    timed = [entry["wall_s"] for entry in grid["settings"].values() if entry.get("wall_s")]
    grid["note"] = f"collected {grid['collected']}" + (  # a re-run restored from DVC's cache takes seconds
        f", {sum(timed) / 60:.0f} min of wall time over the {len(timed)} settings timed" if timed else ""
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
    queued = {name: queue_command(name, datasets) for name in names}
    if args.dry_run:
        print(queue_lines(queued, args.jobs))
        return
    wall_s, walls = run_queued(queued, args.jobs)
    collect(names, wall_s, walls)


if __name__ == "__main__":
    run_stage(main, uses_torch=False)  # a SnntextError: one line, exit status 2
