"""Queue, run and collect the training-seed study: the whole chain re-run under other seeds, as DVC experiments.

    python scripts/run_seed_study.py --dry-run           # the commands and a time estimate, nothing run
    python scripts/run_seed_study.py                      # seeds 1 and 2 on every dataset of params.yaml
    python scripts/run_seed_study.py --seeds 1 2 3 --jobs 1
    python scripts/run_seed_study.py --collect-only      # only re-collect finished experiments and the workspace

Each seed S is `dvc exp run --queue -n seed-<S> -S seed=<S> finetune`. The top-level `seed` fixes every random
draw (splits, initialisation, dropout, spikes), so the experiment re-runs prepare and every stage after it up to
fine-tuning: embed, the Kim TextCNN and the tailored DNN (train_dnn), conversion, fine-tuning. MR, Subj, ChnSenti and Waimai have no
standard split, so each seed also holds out other test and dev sentences; SST-2 and SST-5 keep theirs.
`dvc exp run --run-all` runs the queue (about 1 h a seed on 2 cores); then each experiment's metrics are read
at its commit (`git show`), and the committed run (params.yaml's seed) from the workspace's metrics/, into
metrics/seed_study.json, which is committed and which the report stage turns into "Over training seeds" in
reports/accuracy.md (`dvc repro report`). Collecting keeps the points of seeds not re-run. Logic lives in
snntext.report.seeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import yaml

from snntext.core import paths
from snntext.core.atomic import write_text_atomic
from snntext.core.errors import SnntextError
from snntext.core.experiments import exp_show, file_at, queue_lines, run_queued, stage_metrics_at
from snntext.core.experiments import run_in_project as run
from snntext.core.stage_metrics import read_stage_metrics
from snntext.core.stage_script import run_stage
from snntext.report.seeds import (
    EXTRA_SEEDS,
    PREFIX,
    STAGES,
    STUDY_FILE,
    experiment_revs,
    load_study,
    merge_seed,
    queue_command,
    seed_points,
    stage_seconds,
)


def workspace_params() -> dict:
    return yaml.safe_load((paths.PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))


def collect(seeds: list[int], wall_s: float | None, seed_wall_s: dict[int, float] | None = None) -> dict:
    """Read the workspace's run and each seed's newest experiment into metrics/seed_study.json; returns it."""
    path = paths.METRICS_DIR / STUDY_FILE
    params = workspace_params()
    own = int(params["seed"])
    head = run(["git", "rev-parse", "--short=10", "HEAD"], capture=True).strip()
    points = seed_points(own, list(params["datasets"]), lambda stage, ds: read_stage_metrics(stage, ds))
    study = merge_seed(load_study(path), own, points, {"experiment": None, "rev": head})
    found = experiment_revs(exp_show(), seeds)
    for seed in seeds:
        if seed not in found:
            print(f"seed {seed}: no finished experiment {PREFIX}-{seed}; left as it was", file=sys.stderr)
            continue
        rev = found[seed]
        datasets = list(yaml.safe_load(file_at(rev, "params.yaml"))["datasets"])
        points = seed_points(seed, datasets, lambda stage, ds, rev=rev: stage_metrics_at(rev, stage, ds))
        info: dict = {"experiment": f"{PREFIX}-{seed}", "rev": rev}
        if seed_wall_s and seed in seed_wall_s:  # queue to collected, upstream stages included
            info["wall_s"] = round(seed_wall_s[seed], 1)
        study = merge_seed(study, seed, points, info)
    if wall_s is not None:
        study["wall_s"] = round(wall_s, 1)
    study["collected"] = dt.date.today().isoformat()
    write_text_atomic(path, json.dumps(study, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}: seeds {', '.join(sorted(study['seeds'], key=int))}; now `dvc repro report`")
    return study


def estimate_seconds(datasets: list[str]) -> float | None:
    """One seed's training stages from the workspace's metrics (None when a stage has not run)."""
    try:
        return sum(sum(stage_seconds(*(read_stage_metrics(s, ds) for s in STAGES)).values()) for ds in datasets)
    except (SnntextError, KeyError, TypeError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(EXTRA_SEEDS), help="default: 1 2")
    parser.add_argument("--datasets", nargs="+", help="default: params.yaml datasets (the study's claim: all six)")
    parser.add_argument("--jobs", type=int, default=1, help="experiments run at once (default 1: 2 cores)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands and an estimate, run nothing")
    parser.add_argument("--collect-only", action="store_true", help="only collect finished experiments")
    args = parser.parse_args()
    params = workspace_params()
    seeds = [s for s in dict.fromkeys(args.seeds) if s != int(params["seed"])]  # the workspace's seed: committed
    if args.collect_only:
        collect(seeds, None)
        return
    queued = {seed: queue_command(seed, args.datasets) for seed in seeds}
    estimate = estimate_seconds(args.datasets or params["datasets"])
    print(
        f"{len(seeds)} seeds; estimated "
        + (f"{len(seeds) * estimate / 3600:.1f} h" if estimate is not None else "unknown (no full-run metrics yet)")
        + " from the last run's stage times"
    )
    if args.dry_run:
        print(queue_lines(queued, args.jobs))
        return
    wall_s, walls = run_queued(queued, args.jobs)
    collect(seeds, wall_s, walls)


if __name__ == "__main__":
    run_stage(main, uses_torch=False)  # a SnntextError: one line, exit status 2
