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
import json
import sys

from snntext.core import paths
from snntext.core.atomic import write_text_atomic
from snntext.core.errors import SnntextError
from snntext.core.experiments import run_in_project as run
from snntext.core.experiments import untracked_sources
from snntext.core.stage_metrics import read_stage_metrics
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
            seconds = {
                "train_dnn": (lambda m: m["kim_seconds"] + m["dnn_seconds"])(read_stage_metrics("train_dnn", ds)),
                "convert": sum(o["seconds"] for o in read_stage_metrics("convert", ds)["options"].values()),
                "finetune": read_stage_metrics("finetune", ds)["seconds"],
            }
        except (SnntextError, KeyError, TypeError):
            return None
        for point in points:
            total += sum(seconds.get(s, 0.0) for s in STAGES_RERUN[point.param])  # embed records none: seconds
    return total


def write_outputs(prefix: str) -> None:
    from snntext.report import figures

    rows = parse_exp_show(json.loads(run(["dvc", "exp", "show", "--json", "--all-commits"], capture=True)), prefix)
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
    for argv in commands:
        run(argv)
    run(["dvc", "exp", "run", "--run-all", "-j", str(args.jobs)])
    write_outputs(args.prefix)


if __name__ == "__main__":
    try:
        main()
    except SnntextError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
