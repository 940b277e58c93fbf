"""Stage finetune: surrogate-gradient fine-tuning of the converted SNN, selected on dev.

Reads data/models/<dataset>/snn_converted.pt and data/embedded/<dataset>/; writes
data/models/<dataset>/snn.pt (best-dev epoch, first seed), metrics/finetune/<dataset>.json (dev/test
accuracy at that epoch, ties/silence, firing rates, energy, seconds; with several `seeds`, a
`per_seed` block the reports average) and metrics/finetune/<dataset>_history.csv (first seed).
Params: seed, seeds, device, timesteps, finetune.* (threshold/beta/surrogate come with the converted net).
"""
from __future__ import annotations

from snntext import paths
from snntext.cli import run_stage, stage_parser
from snntext.device import resolve_device
from snntext.evaluation import load_embedded, write_json_atomic
from snntext.finetuning import FinetuneConfig, finetune_over_seeds, finetune_seeds, write_history_csv
from snntext.models.checkpoint import load_checkpoint, save_checkpoint
from snntext.params import load_params


def main() -> None:
    args = stage_parser(__doc__.splitlines()[0]).parse_args()
    params = load_params(args.params)
    dataset = args.dataset
    config = FinetuneConfig.from_params(params)
    seeds = finetune_seeds(params)
    device = resolve_device(params.get("device", type_=str))
    converted = paths.models_dir(dataset) / "snn_converted.pt"
    _, payload = load_checkpoint(converted)
    data = load_embedded(paths.embedded_dir(dataset))
    snn, result, report, per_seed = finetune_over_seeds(converted, data, config, seeds, device)
    metrics = {"dev_acc": report["dev"]["accuracy"], "test_acc": report["test"]["accuracy"],
               "best_epoch": result.best_epoch, "best_dev_acc_during_training": result.best_dev_acc,
               "epochs_run": len(result.history) - 1, "seconds": round(result.seconds, 2),
               "energy_uj": report["energy"]["total_uj"], "energy_ratio_snn_to_dnn": report["energy"]["ratio_snn_to_dnn"],
               "start_normalisation": payload["extra"].get("normalisation"), "config": vars(config),
               "seed": seeds[0], "seeds": seeds, **report}
    if len(seeds) > 1:
        metrics["per_seed"] = per_seed
    save_checkpoint(paths.models_dir(dataset) / "snn.pt", snn, "spiking", snn.config,
                    extra={"dataset": dataset, "seed": seeds[0], "best_epoch": result.best_epoch})
    write_json_atomic(paths.metrics_file("finetune", dataset), metrics)
    write_history_csv(paths.history_file("finetune", dataset), result.history)
    print(f"finetune {dataset}: dev {metrics['dev_acc']:.4f} test {metrics['test_acc']:.4f} "
          f"(epoch {result.best_epoch}, seeds {seeds})")


if __name__ == "__main__":
    run_stage(main)
