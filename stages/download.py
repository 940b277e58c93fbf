"""Stage download: fetch one dataset's source files (or, with --vectors, the pre-trained vectors; with
--resources, the attack's resources) into data/raw, verified against the registry's sha256.

`download.py <dataset>` writes data/raw/<dataset>/<group>/<file> and reads no params (a file given with
--params is still checked, as every stage checks it); a local `path` file of datasets.yaml is copied,
checked against (or on first use recorded in) datasets.lock.
`download.py --vectors` reads embed.english, embed.chinese, embed.compare and datasets; it keeps the
vector archives in .cache/downloads and writes their members to data/raw/vectors/<name>/.
`download.py --resources` (only the attack stage needs them) writes the NLTK stopwords and WordNet
lexnames to data/raw/resources/<group>/<file>.
Set SNNTEXT_MIRROR to a folder or http(s) base URL laid out <group>/<file> to work offline.
"""

import argparse

from snntext.core import paths, stage_script
from snntext.core.params import load_config
from snntext.core.registry import load_registry
from snntext.data.download import fetch_all, vectors_needed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset", nargs="?", help="dataset name (a key of src/snntext/core/sources.yaml or datasets.yaml)"
    )
    parser.add_argument("--vectors", action="store_true", help="fetch the pre-trained vectors instead")
    parser.add_argument("--resources", action="store_true", help="fetch the attack's resources instead")
    parser.add_argument("--params", default=None, help="params file (default: params.yaml at the project root)")
    args = parser.parse_args()
    if [bool(args.dataset), args.vectors, args.resources].count(True) != 1:
        parser.error("give one of: a dataset name, --vectors, --resources")
    registry = load_registry()
    # --vectors reads its keys; the other modes read none, but a params file named on the command line
    # is loaded and checked all the same rather than silently ignored
    config = load_config(args.params, registry) if args.vectors or args.params else None
    if args.resources:
        summary = fetch_all(registry, [], [], list(registry.resources), raw_dir=paths.RESOURCES_DIR)
    elif args.dataset:
        summary = fetch_all(registry, [args.dataset], [], raw_dir=paths.raw_dataset_dir(args.dataset))
    else:
        assert config is not None  # loaded above for --vectors
        vectors = vectors_needed(
            registry,
            config.run.datasets,
            english=config.embed.english,
            chinese=config.embed.chinese,
            compare=config.embed.compare,
        )
        summary = fetch_all(registry, [], vectors, raw_dir=paths.RAW_DIR, archive_dir=paths.DOWNLOAD_CACHE)
    print(f"download: {summary.line()}")


if __name__ == "__main__":
    stage_script.run_stage(main)
