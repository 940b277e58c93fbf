"""Stage prepare: parse one dataset's raw files, split it, write its TSVs and stats.

Reads data/raw/<dataset>/<group>/<file> (the download stage's output), writes
data/prepared/<dataset>/{train,dev,test}.tsv (columns text, label) and
metrics/prepare/<dataset>.json (counts, lengths in tokens, duplicates, dropped rows: empty lines and
lines holding only a label). The dataset's entry: src/snntext/core/sources.yaml or datasets.yaml.
Writes nothing for a dataset whose rows all have one label or whose train, dev or test split would hold
fewer than snntext.data.datasets.MIN_SPLIT_ROWS rows: the stage stops with one line naming the entry.
Params: seed, prepare.test_fraction, prepare.dev_fraction, prepare.conflicting_duplicates.
"""

from __future__ import annotations

from snntext.core import paths
from snntext.core.registry import load_registry
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.datasets import prepare_dataset


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])
    spec = load_registry().dataset(args.dataset)
    stats = prepare_dataset(
        spec,
        raw_dir=paths.raw_dataset_dir(spec.name),
        out_dir=paths.prepared_dir(spec.name),
        stats_path=paths.metrics_file("prepare", spec.name),
        seed=config.run.seed,
        test_fraction=config.prepare.test_fraction,
        dev_fraction=config.prepare.dev_fraction,
        conflicting_duplicates=config.prepare.conflicting_duplicates,
    )
    counts = ", ".join(f"{name} {split['count']}" for name, split in stats["splits"].items())
    print(f"prepare {spec.name}: {counts} ({stats['split_source']}); dropped {stats['dropped'] or 'none'}")


if __name__ == "__main__":
    run_stage(main)
