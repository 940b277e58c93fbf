"""Stage download: fetch every source file the configured datasets and embeddings need into data/raw.

Reads params: datasets, embed.english, embed.chinese, embed.compare (optional extra vector names).
Set SNNTEXT_MIRROR to a folder or http(s) base URL laid out <group>/<name> to work offline.
"""
from snntext import cli
from snntext.data.download import fetch_all, vectors_needed
from snntext.data.sources import load_registry
from snntext.params import load_params


def main() -> None:
    args = cli.stage_parser(__doc__.splitlines()[0], per_dataset=False).parse_args()
    params = load_params(args.params)
    registry = load_registry()
    datasets = params.get("datasets", type_=list)
    vectors = vectors_needed(
        registry, datasets,
        english=params.get("embed.english", type_=str),
        chinese=params.get("embed.chinese", type_=str),
        compare=params.get("embed.compare", default=[], type_=list),
    )
    summary = fetch_all(registry, datasets, vectors, resources=list(registry.resources))
    print(f"download: {summary.line()}")


if __name__ == "__main__":
    cli.run_stage(main)
