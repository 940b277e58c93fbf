"""Attacked examples per second per core on one dataset: before and after the attack speed-ups.

Modes (all on the same examples, models and recipes, after a warm-up that builds every recipe):
  baseline  the stage as it was: one process, torch's default threads, no work shared between attacks
  shared    one process, work shared between the attacks on an example (snntext.attack.caching)
  ray       shared, and the shards run as Ray tasks, one core each (`attack.workers` = cores)
Cores = the CPU cores the run may use (torch uses them all in one process; Ray runs one task per core).
The warm-up (models, WordNet, recipes built: fixed per worker) is timed apart.

  PYTHONPATH=src python benchmarks/attack_throughput.py --dataset mr --examples 40
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mr")
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--recipes", default="deepwordbug,pwws,textfooler,textbugger")
    parser.add_argument("--modes", default="baseline,shared,ray")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    from snntext.attack.offline import prepare_offline

    resources = prepare_offline()
    import torch

    from snntext.attack.run import build_job, summarise
    from snntext.attack.shards import ShardStore, default_workers, plan_shards, run_shards
    from snntext.core.params import load_config

    cores = default_workers()
    settings = dataclasses.replace(
        load_config().attack, examples=args.examples + cores, recipes=tuple(args.recipes.split(","))
    )
    figures = {
        "dataset": args.dataset,
        "examples": args.examples,
        "recipes": settings.recipes,
        "models": settings.models,
        "cores": cores,
        "torch_threads": torch.get_num_threads(),
        "modes": {},
    }
    outcomes = {}
    for mode in args.modes.split(","):
        job = build_job(args.dataset, settings, resources, share_caches=mode != "baseline", log=lambda *_: None)
        warm = [[args.examples + i] for i in range(cores)]  # examples beyond the measured ones
        with tempfile.TemporaryDirectory() as folder:
            backend = "ray" if mode == "ray" else "local"
            start = time.perf_counter()
            run_shards(
                job,
                warm if backend == "ray" else warm[:1],
                ShardStore(Path(folder) / "warm", job.key),
                backend=backend,
                workers=cores,
                log=lambda *_: None,
            )
            warm_s = time.perf_counter() - start
            start = time.perf_counter()
            run = run_shards(
                job,
                plan_shards(args.examples, 5),
                ShardStore(Path(folder) / "run", job.key),
                backend=backend,
                workers=cores,
                log=lambda *_: None,
            )
            wall = time.perf_counter() - start
        models, codes, _ = summarise(run.records)
        outcomes[mode] = codes
        rate = args.examples / wall
        figures["modes"][mode] = {
            "warm_up_s": round(warm_s, 1),
            "wall_s": round(wall, 1),
            "examples_per_s": round(rate, 3),
            "examples_per_s_per_core": round(rate / cores, 4),
            "model_queries": sum(m["queries"] for r in models.values() for m in r.values()),
        }
        print(
            f"{mode:9s} warm-up {warm_s:6.1f} s  attack {wall:7.1f} s  {rate:.3f} examples/s  "
            f"{rate / cores:.4f} examples/s/core  model queries {figures['modes'][mode]['model_queries']}",
            flush=True,
        )
    base = figures["modes"].get("baseline")
    for mode, f in figures["modes"].items():
        if base and mode != "baseline":
            f["speed_up_per_core"] = round(f["examples_per_s_per_core"] / base["examples_per_s_per_core"], 2)
            print(f"{mode}: {f['speed_up_per_core']}x the baseline's examples/s/core")
    modes = list(outcomes)
    figures["same_outcomes"] = {m: outcomes[m] == outcomes[modes[0]] for m in modes[1:]}
    print("outcomes equal to", modes[0], "->", figures["same_outcomes"])
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
