"""Which fine-tuning setting closes the DNN-SNN gap? A small, reproducible study on one dataset.

Runs the pipeline's own convert + finetune code (no DVC) on a seeded subset of the training set
for a few epochs per setting and prints dev accuracy per epoch, so the defaults in params.yaml
can be chosen on DEV. Needs data/models/<dataset>/dnn.pt and metrics/train_dnn/<dataset>.json.

    PYTHONPATH=src python scripts/finetune_study.py mr --train 2000 --epochs 2 > reports/finetune_study.md
"""

from __future__ import annotations

import argparse
import time

import torch

from snntext.core import paths
from snntext.core.config import PRECISIONS, FinetuneConfig
from snntext.core.cpu_kernels import pin_portable_cpu_kernels
from snntext.core.device import keep_freed_memory
from snntext.core.stage_metrics import read_stage_metrics
from snntext.data.embedded import load_embedded
from snntext.evaluation.scoring import class_scores
from snntext.models.checkpoint import load_checkpoint
from snntext.training.conversion import convert
from snntext.training.finetuning import finetune

SETTINGS = [  # (start normalisation, loss, lr, temperature, zero-sum projection while fine-tuning)
    ("none", "paper", 1e-4, 1.0, False),  # the paper's setting
    ("data_p99.9", "paper", 1e-4, 1.0, False),
    ("data_p99.9", "paper", 1e-3, 1.0, False),
    ("data_p99.9", "count", 1e-4, 1.0, False),
    ("data_p99.9", "count", 1e-3, 1.0, False),
]


def parse_setting(text: str) -> tuple:
    """start:loss:lr:temperature:zero_sum, e.g. data_p99.9:paper:3e-4:1:1"""
    try:
        start, loss, lr, temperature, zero_sum = text.split(":")
        return start, loss, float(lr), float(temperature), zero_sum in ("1", "true", "yes")
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--setting {text!r}: expected start:loss:lr:temperature:zero_sum") from error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--train", type=int, default=2000, help="seeded subset of the training set")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--timesteps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dev-draws", type=int, default=1, help="dev accuracy = mean over this many spike draws")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help="the training steps' convolutions (finetune.precision); bf16 needs SNNTEXT_PORTABLE_CPU=0 "
        "on a CPU with bf16 instructions",
    )
    parser.add_argument(
        "--setting",
        type=parse_setting,
        action="append",
        help="start:loss:lr:temperature:zero_sum (repeatable; default: the built-in grid)",
    )
    args = parser.parse_args()
    pin_portable_cpu_kernels()  # as every stage does (before the first torch operation): the paper-loss
    keep_freed_memory()  # setting at the pipeline's params then repeats the finetune stage's dev curve
    data = load_embedded(paths.embedded_dir(args.dataset))
    dnn, payload = load_checkpoint(paths.models_dir(args.dataset) / "dnn.pt")
    stats = read_stage_metrics("train_dnn", args.dataset)["dnn_activations"]
    print(f"# Fine-tuning study on {args.dataset}\n")
    print(
        f"DNN dev {payload['extra'].get('dnn_dev_acc'):.4f}; T={args.timesteps}; {args.train or 'all'} training "
        f"sentences; {args.epochs} epochs; dev accuracy (mean of {args.dev_draws} spike draws) after each epoch "
        f"(epoch 0 = converted); training convolutions in {args.precision}; CPU kernels "
        f"{torch.backends.cpu.get_cpu_capability()}.\n"
    )
    print("| start | loss | lr | temperature | zero-sum | dev by epoch | s |\n|---|---|---|---|---|---|---|")
    teacher = None
    for start, loss, lr, temperature, zero_sum in args.setting or SETTINGS:
        if loss == "distill" and teacher is None:
            teacher = class_scores(dnn, data.train.ids, data.table)
        torch.manual_seed(args.seed)
        snn = convert(dnn, start, stats, threshold=1.0, beta=1.0, surrogate="fast_sigmoid", surrogate_slope=25.0)
        config = FinetuneConfig(
            epochs=args.epochs,
            lr=lr,
            loss=loss,
            temperature=temperature,
            zero_sum_filters=zero_sum,
            timesteps=args.timesteps,
            max_train_examples=args.train,
            dev_draws=args.dev_draws,
            precision=args.precision,
        )
        began = time.perf_counter()
        result = finetune(
            snn,
            data.train.ids,
            data.train.labels,
            data.dev.ids,
            data.dev.labels,
            data.table,
            config,
            seed=args.seed,
            log=lambda *_: None,
            teacher_scores=teacher if loss == "distill" else None,
        )
        curve = " / ".join(f"{row['dev_acc'] * 100:.1f}" for row in result.history)
        print(
            f"| {start} | {loss} | {lr:g} | {temperature:g} | {'on' if zero_sum else 'off'} | {curve} | {time.perf_counter() - began:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
