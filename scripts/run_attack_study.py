"""Run the paper-scale adversarial study (issue 34): more examples and recipes than the attack stage, resumable.

    python scripts/run_attack_study.py --dry-run                  # the plan and its estimated cost, nothing run
    python scripts/run_attack_study.py                            # the whole study (days of CPU on 2 cores)
    python scripts/run_attack_study.py --datasets mr sst2 --examples mr=1000,sst2=500 --recipes deepwordbug pwws
    RAY_ADDRESS=auto python scripts/run_attack_study.py --backend ray   # on a running Ray cluster
    python scripts/run_attack_study.py --collect-only             # rewrite the metrics from the kept shards

Defaults: 1000 test examples of MR and SST-2, 300 of SST-5, Subj, ChnSenti and Waimai; recipes deepwordbug,
pwws, textfooler, textbugger, pso (each dataset runs those that apply to its language); models dnn, snn,
snn_stochastic, snn_eot. Every other setting is params.yaml's `attack` section (T, eot_draws, similarity, seed,
shard size, retries, and the backend and workers unless given). The datasets' models, embedded data and
vectors must have been built by the pipeline (dvc repro attack's dependencies).

Shards go to data/attack_study/<dataset>/shards/: run the same command again after a kill, Ctrl-C or SIGTERM
and it attacks only what is missing. metrics/attack_study/<dataset>.json is written after each dataset and when
stopped (labelled partial); the report stage turns the files into "Paper-scale study" in reports/robustness.md
(`dvc repro report`). Logic lives in snntext.attack.study.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from snntext.core import paths
from snntext.core.config import ATTACK_BACKENDS, ATTACK_MODELS, MAX_WORKERS, RECIPES
from snntext.core.errors import SnntextError
from snntext.core.stage_script import run_stage
from snntext.report.robustness import STUDY_FOLDER  # data/attack_study/<dataset>/, metrics/attack_study/


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from snntext.attack.study import STUDY_EXAMPLES, STUDY_MODELS, STUDY_RECIPES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", help=f"default: {' '.join(STUDY_EXAMPLES)}")
    parser.add_argument(
        "--examples",
        help="one number for every dataset, or dataset=number pairs (mr=1000,sst2=1000); default: "
        + ",".join(f"{ds}={n}" for ds, n in STUDY_EXAMPLES.items()),
    )
    parser.add_argument("--recipes", nargs="+", help=f"of {', '.join(RECIPES)}; default: {' '.join(STUDY_RECIPES)}")
    parser.add_argument("--models", nargs="+", help=f"of {', '.join(ATTACK_MODELS)}; default: {' '.join(STUDY_MODELS)}")
    parser.add_argument("--backend", choices=ATTACK_BACKENDS, help="default: params.yaml attack.backend")
    parser.add_argument(
        "--workers",
        type=int,
        help="Ray tasks at a time, 0 = one per core (default: params.yaml attack.workers); "
        "a cluster is reached through RAY_ADDRESS",
    )
    parser.add_argument("--params", help="params file (default: params.yaml at the project root)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and its estimated cost, run nothing")
    parser.add_argument(
        "--collect-only", action="store_true", help="write the metrics from the shards kept, attack nothing"
    )
    args = parser.parse_args(argv)
    if args.workers is not None and not 0 <= args.workers <= MAX_WORKERS:
        parser.error(f"--workers: between 0 and {MAX_WORKERS}")
    return args


def language_filter():
    """recipe_skip_reason, which needs textattack (and so the offline preparation first); returns it with
    the offline resources."""
    from snntext.attack.offline import prepare_offline

    resources = prepare_offline()
    from snntext.attack.recipes import recipe_skip_reason

    return recipe_skip_reason, resources


def make_plans(args: argparse.Namespace, skip_reason) -> list:
    """The study's DatasetPlans from the arguments and params.yaml's attack settings."""
    from snntext.attack.study import (
        STUDY_EXAMPLES,
        STUDY_MODELS,
        STUDY_RECIPES,
        parse_examples,
        parse_names,
        plan_study,
    )
    from snntext.core.params import load_config
    from snntext.core.registry import load_registry

    config = load_config(args.params)
    registry = load_registry()
    datasets = parse_names(args.datasets, registry.datasets, STUDY_EXAMPLES, "datasets")
    return plan_study(
        parse_examples(args.examples, datasets),
        parse_names(args.recipes, RECIPES, STUDY_RECIPES, "recipes"),
        parse_names(args.models, ATTACK_MODELS, STUDY_MODELS, "models"),
        config.attack,
        language_of=lambda ds: registry.dataset(ds).language,
        skip_reason=skip_reason,
        backend=args.backend,
        workers=args.workers,
    )


def stage_detail(dataset: str) -> dict | None:
    """The attack stage's detail metrics of `dataset` (the cost estimate's basis), None when absent or unreadable."""
    from snntext.core.stage_metrics import detail_file

    try:
        data = json.loads(detail_file("attack", dataset).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def dry_run(plans: list) -> str:
    from snntext.attack.shards import default_workers
    from snntext.attack.study import estimate_core_seconds, plan_text, shard_files

    settings = plans[0].settings if plans else None
    workers = 1 if settings is None or settings.backend == "local" else settings.workers or default_workers()
    estimates = {p.dataset: estimate_core_seconds(p, stage_detail(p.dataset)) for p in plans}
    kept = {p.dataset: shard_files(study_folder(p.dataset) / "shards") for p in plans}
    return plan_text(plans, estimates, workers, kept)


def study_folder(dataset: str) -> Path:
    return paths.DATA_DIR / STUDY_FOLDER / dataset


def metrics_path(dataset: str) -> Path:
    return paths.METRICS_DIR / STUDY_FOLDER / f"{dataset}.json"


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C: shards kept, partial metrics written


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    skip_reason, resources = language_filter()
    plans = make_plans(args, skip_reason)
    print(dry_run(plans), flush=True)
    if args.dry_run:
        return
    from snntext.attack.study import build_study_job, run_study_dataset

    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    failed = []
    try:
        for plan in plans:
            job = build_study_job(plan, resources)
            try:
                run_study_dataset(
                    plan, job, study_folder(plan.dataset), metrics_path(plan.dataset), collect_only=args.collect_only
                )
            except SnntextError as err:  # a shard failed every retry: the next dataset still runs
                print(f"error: attack study {plan.dataset}: {err}", file=sys.stderr, flush=True)
                failed.append(plan.dataset)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if failed:
        raise SnntextError(f"attack study: {', '.join(failed)} stopped early (partial metrics written); run again")
    print("done; now `dvc repro report` for reports/robustness.md", flush=True)


if __name__ == "__main__":
    run_stage(main)  # a SnntextError: one line, exit 2; Ctrl-C or SIGTERM: one line, exit 130
