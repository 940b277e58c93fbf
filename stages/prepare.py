"""Stage prepare: parse one dataset's raw files, split it, write its TSVs and stats.

Reads data/raw/<dataset>/<group>/<file> (the download stage's output), writes
data/prepared/<dataset>/{train,dev,test}.tsv (columns text, label) and
metrics/prepare/<dataset>.json (counts, lengths in tokens, duplicates, dropped rows).
Params: seed, prepare.test_fraction, prepare.dev_fraction, prepare.conflicting_duplicates.
"""
from __future__ import annotations

from snntext import paths
from snntext.cli import run_stage, stage_parser
from snntext.data.datasets import CONFLICT_POLICIES, prepare_dataset
from snntext.data.sources import load_registry
from snntext.params import load_params


def main() -> None:
    args = stage_parser(__doc__.splitlines()[0]).parse_args()
    params = load_params(args.params)
    spec = load_registry().dataset(args.dataset)
    stats = prepare_dataset(
        spec,
        raw_dir=paths.raw_dataset_dir(spec.name),
        out_dir=paths.prepared_dir(spec.name),
        stats_path=paths.metrics_file("prepare", spec.name),
        seed=params.get("seed", type_=int),
        test_fraction=params.get("prepare.test_fraction", type_=float),
        dev_fraction=params.get("prepare.dev_fraction", type_=float),
        conflicting_duplicates=params.choice("prepare.conflicting_duplicates", CONFLICT_POLICIES),
    )
    counts = ", ".join(f"{name} {split['count']}" for name, split in stats["splits"].items())
    print(f"prepare {spec.name}: {counts}; dropped {stats['dropped'] or 'none'}")


if __name__ == "__main__":
    run_stage(main)
