"""Whether two stages at once finish sooner than one after another on a 2-core machine (issue 32.5).

`dvc --wait-for-lock repro A` beside `dvc --wait-for-lock repro B` runs independent stages side by side
(DVC's documented parallel execution). The numbers stay the same only if each stage keeps its 2 torch threads
(the thread count moves training results, docs/reproducibility.md), so two stages at once put 4 threads on
2 cores. This times exactly that at the pipeline's sizes: one epoch of SNN fine-tuning (T = 50) from each
dataset's committed converted SNN (data/models/<dataset>/snn_converted.pt), a fresh interpreter per run,
one after another and two at once, under libgomp's default wait policy (threads spin between parallel
regions) and OMP_WAIT_POLICY=PASSIVE (they sleep). Prints the wall time of each way, its gain over one
after another with the default policy (the pipeline's way), and a weight hash per run: every way must give
the same networks.

    PYTHONPATH=src python benchmarks/concurrent_stages.py --datasets sst2 mr   (needs the convert stage)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

POLICIES = {"default": {}, "passive": {"OMP_WAIT_POLICY": "PASSIVE"}}


def child(dataset: str, train: int, threads: int) -> dict:
    from snntext.core.cpu_kernels import pin_portable_cpu_kernels

    pin_portable_cpu_kernels()
    import torch

    torch.set_num_threads(threads)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from golden_training import weights_sha256

    from snntext.core import paths
    from snntext.core.config import FinetuneConfig
    from snntext.data.embedded import load_embedded
    from snntext.models.checkpoint import load_checkpoint
    from snntext.training.finetuning import finetune

    data = load_embedded(paths.embedded_dir(dataset))
    snn, _ = load_checkpoint(paths.models_dir(dataset) / "snn_converted.pt", map_location="cpu")
    n = train or len(data.train.ids)
    tune = FinetuneConfig(epochs=1, lr=1e-3, batch_size=32, timesteps=50, zero_sum_filters=True, loss="count")
    start = time.perf_counter()
    finetune(snn, data.train.ids[:n], data.train.labels[:n], data.dev.ids[:200], data.dev.labels[:200],
             data.table, tune, seed=0, device="cpu", log=lambda message: None)  # fmt: skip
    return {"seconds": round(time.perf_counter() - start, 2), "snn": weights_sha256(snn)[:12]}


def launch(dataset: str, train: int, threads: int, policy: str) -> subprocess.Popen:
    argv = [sys.executable, __file__, "--child", dataset, "--train", str(train), "--threads", str(threads)]
    env = {**os.environ, **POLICIES[policy]}
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate()  # stderr: fine-tuning's progress bar, shown only when a run fails
    if process.returncode:
        raise SystemExit(f"a run failed (exit status {process.returncode}): {err[-2000:]}")
    result: dict = json.loads(out.strip().splitlines()[-1])
    return result


def timed(datasets: list[str], train: int, threads: int, policy: str, together: bool) -> tuple[float, list[dict]]:
    """Wall seconds from the first start to the last end, and each run's result."""
    start = time.perf_counter()
    if together:
        results = [finish(p) for p in [launch(ds, train, threads, policy) for ds in datasets]]
    else:
        results = [finish(launch(ds, train, threads, policy)) for ds in datasets]
    return time.perf_counter() - start, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs=2, default=["sst2", "mr"], metavar="DATASET")
    parser.add_argument("--train", type=int, default=0, help="training sentences per run (0 = the whole split)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads per run (the stages': 2)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.train, args.threads)))
        return
    ways = [(policy, together) for together in (False, True) for policy in POLICIES]
    print(f"{args.datasets[0]} and {args.datasets[1]}, one fine-tuning epoch each, {args.threads} threads per run")
    print(f"{'way':<34} {'wall s':>7} {'gain':>6}  per run (s, weight hash)")
    baseline, hashes = None, None
    for policy, together in ways:
        wall, results = timed(args.datasets, args.train, args.threads, policy, together)
        baseline = baseline or wall
        runs = [r["snn"] for r in results]
        hashes = hashes or runs
        name = f"{'two at once' if together else 'one after another'}, {policy} wait"
        cells = "  ".join(f"{r['seconds']:>6} {r['snn']}" for r in results)
        same = "" if runs == hashes else "  WEIGHTS DIFFER from the first way"
        print(f"{name:<34} {wall:>7.1f} {baseline / wall:>5.2f}x  {cells}{same}", flush=True)


if __name__ == "__main__":
    main()
