"""Stage attack: adversarial robustness of the DNN(s) and the SNN with TextAttack, fully offline.

Reads data/models/<dataset>/{dnn,snn[,kim]}.pt, data/embedded/<dataset>/, data/prepared/<dataset>/test.tsv
and the pre-trained vectors; writes metrics/attack/<dataset>.json (per model: accuracy under attack,
mean over the recipes that ran), metrics/attack/<dataset>_detail.json (per model x recipe: clean accuracy,
accuracy under attack, success rate, perturbed word share, queries, wall time, queries/s; skipped
recipes with their reason) and data/attack/<dataset>/<model>__<recipe>.csv (successful adversarial examples).
Params: seed, timesteps, device, attack.* (examples, recipes, models, spike_samples, similarity, batch_size).
"""
from __future__ import annotations

from snntext.attack.offline import prepare_offline
from snntext.cli import run_stage, stage_inputs


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])   # checked without importing textattack
    resources = prepare_offline()          # before anything imports textattack
    from snntext.attack.run import run_attack_stage

    results = run_attack_stage(args.dataset, config.attack, resources)
    rates = ", ".join(f"{m} {q} q/s" for m, q in results["throughput_queries_per_s"].items())
    print(f"attack {args.dataset}: done in {results['wall_s']} s; throughput {rates}")


if __name__ == "__main__":
    run_stage(main)
