"""Stage attack: adversarial robustness of the DNN(s) and the SNN with TextAttack, fully offline.

Reads data/models/<dataset>/{dnn,snn[,kim]}.pt, data/embedded/<dataset>/, data/prepared/<dataset>/test.tsv
and the pre-trained vectors. Attacks the first attack.examples of a seeded test order with every recipe on
every model (paired: the same examples), in shards of attack.shard_size examples run here (attack.backend:
local) or as Ray tasks (ray; attack.workers at a time). Each finished shard is kept in
data/attack/<dataset>/shards/, so a killed run resumes where it stopped. Writes metrics/attack/<dataset>.json
(per model: accuracy under attack, mean over the recipes that ran), metrics/attack/<dataset>_detail.json
(per model x recipe: clean accuracy, accuracy under attack, success rate, perturbed word share, queries,
wall time; the per-example outcomes; bootstrap intervals and paired SNN - DNN differences; skipped recipes
with their reason; shard bookkeeping) and data/attack/<dataset>/<model>__<recipe>.csv (successful
adversarial examples).
Params: seed, timesteps, device, attack.* (examples, recipes, models, spike_samples, eot_draws, similarity, batch_size,
backend, workers, shard_size, retries).
"""

from __future__ import annotations

from snntext.attack.offline import prepare_offline
from snntext.core.stage_script import run_stage, stage_inputs


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])  # checked without importing textattack
    resources = prepare_offline()  # before anything imports textattack
    from snntext.attack.run import run_attack_stage

    results = run_attack_stage(args.dataset, config.attack, resources)
    rates = ", ".join(f"{m} {q} q/s" for m, q in results["throughput_queries_per_s"].items())
    shards = results["shards"]
    print(
        f"attack {args.dataset}: done in {results['wall_s']} s ({shards['attacked']} shards attacked, "
        f"{shards['reused']} reused, {len(shards['retries'])} retries); throughput {rates}"
    )


if __name__ == "__main__":
    run_stage(main)
