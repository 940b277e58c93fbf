"""Stage embed: prepared TSVs -> data/embedded/<dataset>/ (ids, [0,1] rate table, vocab, meta).

Usage: PYTHONPATH=src python stages/embed.py <dataset> [--params params.yaml]
Reads params embed.english / embed.chinese (vector set per language), embed.oov, embed.code,
embed.dead_zone, embed.clip_sigma and the optional embed.compare (extra vector sets for the coverage table).
Writes metrics/embed/<dataset>.json (coverage, OOV rate, truncation, table mean).
"""

from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.embed import run_embed


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])
    metrics = run_embed(args.dataset, config.embed)
    cov = metrics["coverage"]
    print(
        f"embed {args.dataset}: {metrics['vectors']}, vocab {metrics['vocab_size']}, "
        f"token coverage {cov['token_coverage']:.4f}, type coverage {cov['type_coverage']:.4f}, "
        f"OOV rate {metrics['oov_rate']:.4f}, truncated {metrics['truncated_share']:.4f}"
    )
    for name, result in metrics["compare"].items():
        print(f"  compare {name}: {result.get('skipped') or format(result['token_coverage'], '.4f')}")


if __name__ == "__main__":
    run_stage(main)
