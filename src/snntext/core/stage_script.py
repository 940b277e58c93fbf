"""What every stage script shares: its arguments, the checked params, and failing cleanly.

A user error (SnntextError) is printed as one line naming the file or key, with no
traceback, and the stage exits 2 before heavy work starts. Ctrl-C (KeyboardInterrupt) is one line
too, and exit status 130: every output is written atomically (snntext.core.atomic), so the one
being made is simply not there and the finished ones are kept.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from snntext.core.config import Config, dataset_name
from snntext.core.errors import SnntextError

INTERRUPTED = (
    "interrupted; the output being made was not written (outputs are written whole or not at all), "
    "finished ones are kept; run again to redo what is missing"
)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


def stage_parser(description: str, per_dataset: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    if per_dataset:
        parser.add_argument("dataset", help="dataset name (a key of src/snntext/core/sources.yaml)")
    parser.add_argument("--params", default=None, help="params file (default: params.yaml at the project root)")
    return parser


def stage_inputs(description: str, per_dataset: bool = True) -> tuple[argparse.Namespace, Config]:
    """The stage's arguments and every params.yaml key checked (snntext.core.params); the dataset
    argument must be a plain name (the stages that read the registry look it up there)."""
    from snntext.core.params import load_config

    args = stage_parser(description, per_dataset).parse_args()
    config = load_config(args.params)
    if per_dataset:
        try:
            dataset_name(args.dataset)
        except ValueError as err:
            raise SnntextError(f"dataset argument {args.dataset!r} {err}") from None
    return args, config


def run_stage(main: Callable[[], None], uses_torch: bool = True) -> None:
    """Run a stage's main; a SnntextError becomes one clear line and exit status 2, Ctrl-C one line
    (INTERRUPTED) and exit status 130.

    CPU kernels are pinned to AVX2 first (snntext.core.cpu_kernels), so that a machine with AVX-512
    computes what an AVX2 machine does (docs/reproducibility.md). uses_torch=False (check_params)
    skips that and torch's import, so a bad params.yaml is refused in a fraction of a second."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    from snntext.core.machine import remember_start

    remember_start()
    try:
        if uses_torch:
            from snntext.core.cpu_kernels import pin_portable_cpu_kernels
            from snntext.core.device import keep_freed_memory

            keep_freed_memory()
            pin_portable_cpu_kernels()
        main()
    except SnntextError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
