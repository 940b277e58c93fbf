"""Queue, run and collect the hyper-parameter ablations as DVC experiments (threshold, beta, neurons per class,
the embedding window embed.clip_sigma).

    python scripts/run_ablations.py --dry-run            # print the commands and a time estimate
    python scripts/run_ablations.py                       # default grid on MR: queue, run, collect
    python scripts/run_ablations.py --grid big --datasets mr sst2
    python scripts/run_ablations.py --set threshold=0.25,0.5,4 --set beta=0.8
    python scripts/run_ablations.py --collect-only        # only rebuild reports/ablations.md and plots

Each grid point is `dvc exp run --queue -n <prefix>-<param>-<value> -S <param>=<value> -S datasets=[...] finetune`;
then `dvc exp run --run-all` runs the queue (one at a time by default: 2 cores) and `dvc exp show --json` is
turned into reports/ablations.md and reports/ablations/<param>.png. Queued experiments start from HEAD plus
tracked changes (overrides never pile up), but see only files git tracks: the script refuses to queue while
files under src/, stages/ or dvc.yaml/params.yaml are untracked. Logic lives in snntext.report.ablations.
"""

from __future__ import annotations

import argparse

from snntext.core import paths
from snntext.core.atomic import write_text_atomic
from snntext.core.errors import SnntextError
from snntext.core.experiments import exp_show, queue_lines, run_queued
from snntext.core.stage_metrics import read_stage_metrics
from snntext.core.stage_script import run_stage
from snntext.report.ablations import (
    BASELINE,
    GRIDS,
    PARAMS,
    ablation_points,
    ablations_markdown,
    build_grid,
    parse_exp_show,
    parse_grid_option,
    queue_commands,
)
from snntext.report.seeds import STAGES, stage_seconds

STAGES_RERUN = {
    "threshold": ("convert", "finetune"),
    "beta": ("convert", "finetune"),
    "neurons_per_class": ("train_dnn", "convert", "finetune"),
    "embed.clip_sigma": ("embed", "train_dnn", "convert", "finetune"),
    None: (),
}


def estimate_seconds(points, datasets: list[str]) -> float | None:
    """From the last full run's metrics: seconds of the stages each point re-runs (None if unknown)."""
    total = 0.0
    for ds in datasets:
        try:
            seconds = stage_seconds(*(read_stage_metrics(stage, ds) for stage in STAGES))
        except (SnntextError, KeyError, TypeError, ValueError):
            return None
        for point in points:
            total += sum(seconds.get(s, 0.0) for s in STAGES_RERUN[point.param])  # embed records none: seconds
    return total


def write_outputs(prefix: str) -> None:
    from snntext.report import figures

    rows = parse_exp_show(exp_show(), prefix)
    written = {}
    for param in PARAMS:
        chosen = [r for r in rows if r.name == f"{prefix}-{BASELINE}" or r.name.startswith(f"{prefix}-{param}-")]
        points = ablation_points(chosen, param)
        if len({p["value"] for p in points}) < 2:
            continue
        series = {}
        for p in points:
            if p["test_acc"] is not None:
                series.setdefault(p["dataset"], []).append((p["value"], p["test_acc"]))
        rates = {}
        for p in points:
            if param == "threshold" and p["pooled_rate"] is not None:
                rates.setdefault(p["dataset"], []).append((p["value"], p["pooled_rate"]))
        rel = f"ablations/{param}.png"  # not under figures/: that folder is the report stage's output, which dvc clears
        figures.ablation_curve(
            series,
            paths.REPORTS_DIR / rel,
            xlabel=param.replace("_", " "),
            ylabel="fine-tuned test accuracy (%)",
            title=f"Accuracy vs {param.replace('_', ' ')}",
            secondary=rates or None,
            secondary_label="pooled firing rate",
        )
        written[param] = rel
    write_text_atomic(paths.REPORTS_DIR / "ablations.md", ablations_markdown(rows, prefix, written))
    print(f"wrote {paths.REPORTS_DIR / 'ablations.md'} ({len(rows)} experiments) and {len(written)} plots")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mr"], help="datasets to run on (default: mr)")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="default")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PARAM=V1,V2",
        help="replace the grid's values of PARAM (repeatable)",
    )
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra -S for every experiment, e.g. finetune.epochs=2",
    )
    parser.add_argument("--prefix", default="abl", help="experiment name prefix (default: abl)")
    parser.add_argument("--jobs", type=int, default=1, help="experiments run at once (default 1: 2 cores)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands and an estimate, run nothing")
    parser.add_argument("--collect-only", action="store_true", help="only collect dvc exp show into the report")
    args = parser.parse_args()

    if args.collect_only:
        write_outputs(args.prefix)
        return
    grid = {k: list(v) for k, v in GRIDS[args.grid].items()}
    grid.update(parse_grid_option(text) for text in args.set)
    points = build_grid(grid)
    overrides = {"datasets": args.datasets}
    for text in args.override:
        key, _, value = text.partition("=")
        overrides[key] = value
    commands = queue_commands(points, prefix=args.prefix, overrides=overrides, targets=["finetune"])
    estimate = estimate_seconds(points, args.datasets)
    print(
        f"{len(points)} experiments on {', '.join(args.datasets)}; estimated "
        + (f"{estimate / 60:.0f} min" if estimate is not None else "unknown (no full-run metrics yet)")
        + " from the last run's stage times"
    )
    queued = {point.name(args.prefix): argv for point, argv in zip(points, commands)}
    if args.dry_run:
        print(queue_lines(queued, args.jobs))
        return
    run_queued(queued, args.jobs)
    write_outputs(args.prefix)


if __name__ == "__main__":
    run_stage(main, uses_torch=False)  # a SnntextError: one line, exit status 2
