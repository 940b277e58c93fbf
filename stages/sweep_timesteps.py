"""Stage sweep_timesteps: inference-only accuracy vs the number of time steps T (paper figure 5).

Reads data/models/<dataset>/{dnn,snn_converted,snn}.pt and data/embedded/<dataset>/; writes
metrics/sweep/<dataset>.json (per model "converted"/"finetuned" x split: accuracy, ties, silence
per T; and "dnn_rate_coded": the DNN fed the mean of T input spike draws, per split and T) and metrics/sweep/<dataset>.csv (T, model, split, accuracy) for the plot. No training:
one seeded run at max(T) per model and split gives every T (snntext.evaluation.sweep).
Params: seed, device, sweep.timesteps, sweep.splits, sweep.batch_size.
"""

from __future__ import annotations

from snntext.core import paths
from snntext.core.device import resolve_device, seed_everything
from snntext.core.stage_metrics import write_json_atomic
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.embedded import load_embedded
from snntext.evaluation.sweep import timestep_sweep, write_sweep_csv
from snntext.models.checkpoint import load_checkpoint
from snntext.training.conversion import rate_coded_dnn_accuracy

MODELS = {"converted": "snn_converted.pt", "finetuned": "snn.pt"}


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])
    dataset, seed = args.dataset, config.run.seed
    steps, splits = list(config.sweep.timesteps), list(config.sweep.splits)
    device = resolve_device(config.run.device)
    seed_everything(seed)
    models = {
        name: load_checkpoint(paths.models_dir(dataset) / file, map_location=device)[0] for name, file in MODELS.items()
    }
    data = load_embedded(paths.embedded_dir(dataset))
    result = timestep_sweep(
        models,
        {s: (data.split(s).ids, data.split(s).labels) for s in splits},
        data.table,
        timesteps=steps,
        seed=seed,
        batch_size=config.sweep.batch_size,
        device=device,
    )
    dnn = load_checkpoint(paths.models_dir(dataset) / "dnn.pt", map_location=device)[0]
    result["dnn_rate_coded"] = {  # the DNN on the mean of T input draws: the encoding's own loss at each T
        split: {
            str(t): rate_coded_dnn_accuracy(
                dnn, data.split(split).ids, data.split(split).labels, data.table, timesteps=t, seed=seed, device=device
            )
            for t in steps
        }
        for split in splits
    }
    out = paths.metrics_file("sweep", dataset)
    write_json_atomic(out, {"dataset": dataset, **result})
    write_sweep_csv(out.with_suffix(".csv"), result)
    for name, per_split in result["models"].items():
        curve = ", ".join(f"T={t} {p['accuracy']:.4f}" for t, p in per_split[splits[0]]["points"].items())
        print(f"sweep {dataset} {name} ({splits[0]}): {curve}")


if __name__ == "__main__":
    run_stage(main)
