"""The `snntext` command: `snntext predict` and `snntext export` (pyproject [project.scripts]).

  snntext predict mr "a gripping, beautifully acted film"      # sentences as arguments
  printf 'dull\\nfunny\\n' | snntext predict mr                   # or one per line on stdin
  snntext predict mr "a gripping film" --raster raster.png      # plus each layer's spike raster
  snntext export --nir mr -o mr.nir                             # the fine-tuned SNN as a NIR graph

Arguments and params.yaml are read here; the work is in snntext.cli.predict and snntext.cli.nir_export.
A user error prints one line on stderr and exits with status 2, Ctrl-C one line and status 130
(snntext.core.stage_script.run_stage); an output path that cannot be written is refused before any work.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from snntext.core import paths
from snntext.core.errors import SnntextError

MAX_TIMESTEPS = 1000  # --timesteps: a sentence's spikes are T x max_len x dim floats (T = 10**8 asks for 38 GB)
MAX_SEED = 2**64 - 1  # --seed: what torch.Generator.manual_seed takes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snntext", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--project",
            type=Path,
            default=None,
            help=f"project root holding data/ and params.yaml (default: {paths.PROJECT_ROOT})",
        )
        p.add_argument(
            "--params", type=Path, default=None, help="params file (default: params.yaml at the project root)"
        )

    predict = sub.add_parser(
        "predict",
        help="classify sentences with a dataset's DNN and fine-tuned SNN",
        description="Classify sentences (arguments, or one per line on stdin) with the DNN and "
        "the fine-tuned SNN of a dataset: per class the DNN's probability and the "
        "SNN's output spike count over T steps, then both predicted labels.",
    )
    predict.add_argument("dataset", help="dataset name (a key of src/snntext/core/sources.yaml), e.g. mr")
    predict.add_argument("text", nargs="*", help="sentences to classify; none: read stdin, one per line")
    predict.add_argument(
        "--timesteps", "-T", type=int, default=None, help="time steps T (default: params.yaml `timesteps`)"
    )
    predict.add_argument(
        "--seed", type=int, default=None, help="seed of the input spikes (default: params.yaml `seed`)"
    )
    predict.add_argument(
        "--raster",
        type=Path,
        default=None,
        metavar="OUT",
        help="draw the spike raster of each layer for the (single) sentence to OUT (.png/.pdf/.svg)",
    )
    common(predict)

    export = sub.add_parser(
        "export",
        help="export a fine-tuned SNN to another format",
        description="Export a dataset's fine-tuned SNN (data/models/<dataset>/snn.pt) as a NIR "
        "graph for inputs of the dataset's max_len (docs/predict-and-export.md).",
    )
    export.add_argument("--nir", required=True, metavar="DATASET", help="dataset whose SNN to export as NIR")
    export.add_argument("-o", "--output", type=Path, default=None, help="output file (default: ./<dataset>.nir)")
    export.add_argument(
        "--form",
        choices=("exact", "neurons"),
        default="exact",
        help="exact: membrane + threshold + subtractive reset loop, the SNN's own equation (default); "
        "neurons: NIR IF/LIF nodes, which reset to zero (an approximation)",
    )
    common(export)
    return parser


def _settings(args) -> tuple[int, int]:
    """(timesteps, seed) from params.yaml, checked; the command line's values win."""
    from snntext.core.params import load_config

    root = args.project or paths.PROJECT_ROOT
    config = load_config(args.params or Path(root) / paths.PARAMS_FILE.name, registry=False)
    timesteps = config.encoding.timesteps if getattr(args, "timesteps", None) is None else args.timesteps
    seed = config.run.seed if getattr(args, "seed", None) is None else args.seed
    if timesteps < 1:
        raise SnntextError(f"--timesteps must be at least 1, got {timesteps}")
    if getattr(args, "timesteps", None) is not None and timesteps > MAX_TIMESTEPS:
        raise SnntextError(f"--timesteps must be at most {MAX_TIMESTEPS}, got {timesteps}")
    if seed < 0:
        raise SnntextError(f"--seed must be >= 0, got {seed}")
    if seed > MAX_SEED:
        raise SnntextError(f"--seed must be at most {MAX_SEED} (2**64 - 1), got {seed}")
    return timesteps, seed


def _writable(path: Path, option: str) -> Path:
    """`path` if a file can be written there (the write makes missing folders); else one SnntextError
    naming the option, before any model is loaded: a folder, a path under a file, a folder without
    write permission."""
    try:
        if path.is_dir():
            raise SnntextError(f"{option} {path}: is a folder; give a file name")
        folder = path.parent
        while not folder.exists():
            folder = folder.parent
    except OSError as err:
        raise SnntextError(f"{option} {path}: cannot be reached ({err.strerror or err})") from None
    if not folder.is_dir():
        raise SnntextError(f"{option} {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SnntextError(f"{option} {path}: {folder} is not writable")
    return path


def _texts(args, stdin) -> list[str]:
    if args.text:
        for i, text in enumerate(args.text, 1):
            if not text.strip():
                raise SnntextError(f"sentence {i} is empty: nothing to classify")
        return list(args.text)
    if stdin is None or stdin.isatty():
        raise SnntextError("no sentence given: pass sentences as arguments or pipe them on stdin, one per line")
    texts = [line.strip() for line in stdin.read().splitlines() if line.strip()]
    if not texts:
        raise SnntextError("stdin holds no sentence (only empty lines): nothing to classify")
    return texts


def run_predict(args, out=None, stdin=None) -> None:
    out = out or sys.stdout
    stdin = sys.stdin if stdin is None else stdin
    from snntext.cli.predict import classify, draw_raster, format_prediction, load_classifier, raster_format

    texts = _texts(args, stdin)
    if args.raster is not None and len(texts) != 1:
        raise SnntextError(f"--raster draws one sentence; {len(texts)} were given")
    timesteps, seed = _settings(args)
    if args.raster is not None:  # refused before the models are loaded
        raster_format(args.raster)
        _writable(args.raster, "--raster")
    classifier = load_classifier(args.dataset, timesteps=timesteps, seed=seed, project=args.project)
    predictions = classify(classifier, texts, record=args.raster is not None)
    print("\n\n".join(format_prediction(p, classifier) for p in predictions), file=out)
    if args.raster is not None:
        p = predictions[0]
        draw_raster(
            p.recording,
            args.raster,
            labels=classifier.labels,
            neurons_per_class=classifier.snn.neurons_per_class,
            length=min(len(p.tokens), classifier.max_len),
            title=f"{args.dataset}: {p.text[:60]!r}  DNN {classifier.labels[p.dnn_label]}, "
            f"SNN {classifier.labels[p.snn_label]}, T={timesteps}",
        )
        print(f"raster: {args.raster}", file=out)


def run_export(args, out=None) -> None:
    out = out or sys.stdout
    from snntext.cli.nir_export import export_snn
    from snntext.cli.predict import checked_dataset, project_path, require_built
    from snntext.core.registry import load_registry

    dataset = checked_dataset(args.nir)
    spec = load_registry().dataset(dataset)
    timesteps, _ = _settings(args)
    snn_path = require_built(project_path(paths.models_dir(dataset), args.project) / "snn.pt", dataset)
    target = _writable(args.output or Path(f"{dataset}.nir"), "-o")
    export_snn(snn_path, target, spec.max_len, form=args.form, timesteps=timesteps, labels=list(spec.labels))
    print(
        f"wrote {target} ({args.form} form, input [{spec.max_len} positions], T={timesteps} in its metadata)", file=out
    )


def main(argv: list[str] | None = None) -> None:
    from snntext.core.stage_script import run_stage

    args = build_parser().parse_args(argv)
    run_stage(lambda: run_predict(args) if args.command == "predict" else run_export(args))


if __name__ == "__main__":
    main()
