"""Stage finetune: surrogate-gradient fine-tuning of the converted SNN, selected on dev.

Reads data/models/<dataset>/snn_converted.pt and data/embedded/<dataset>/; writes
data/models/<dataset>/snn.pt (best-dev epoch), metrics/finetune/<dataset>.json (dev/test accuracy
at that epoch, ties/silence, firing rates, energy, seconds) and metrics/finetune/<dataset>_history.csv.
Params: seed, device, timesteps, finetune.* (threshold/beta/surrogate come with the converted net).
"""
from __future__ import annotations

from snntext import paths
from snntext.cli import run_stage, stage_parser
from snntext.conversion import conversion_report
from snntext.device import resolve_device, seed_everything
from snntext.evaluation import load_embedded, write_json_atomic
from snntext.finetuning import FinetuneConfig, finetune, write_history_csv
from snntext.models.checkpoint import load_checkpoint, save_checkpoint
from snntext.params import load_params


def main() -> None:
    args = stage_parser(__doc__.splitlines()[0]).parse_args()
    params = load_params(args.params)
    dataset, seed = args.dataset, params.get("seed", type_=int)
    config = FinetuneConfig.from_params(params)
    device = resolve_device(params.get("device", type_=str))
    seed_everything(seed)
    snn, payload = load_checkpoint(paths.models_dir(dataset) / "snn_converted.pt", map_location=device)
    data = load_embedded(paths.embedded_dir(dataset))
    result = finetune(snn, data.train.ids, data.train.labels, data.dev.ids, data.dev.labels, data.table, config,
                      seed=seed, device=device)
    report = conversion_report(snn, data, timesteps=config.timesteps, seed=seed, device=device,
                               batch_size=config.eval_batch_size)
    metrics = {"dev_acc": report["dev"]["accuracy"], "test_acc": report["test"]["accuracy"],
               "best_epoch": result.best_epoch, "best_dev_acc_during_training": result.best_dev_acc,
               "epochs_run": len(result.history) - 1, "seconds": round(result.seconds, 2),
               "energy_uj": report["energy"]["total_uj"], "energy_ratio_snn_to_dnn": report["energy"]["ratio_snn_to_dnn"],
               "start_normalisation": payload["extra"].get("normalisation"), "config": vars(config), **report}
    save_checkpoint(paths.models_dir(dataset) / "snn.pt", snn, "spiking", snn.config,
                    extra={"dataset": dataset, "seed": seed, "best_epoch": result.best_epoch})
    out = paths.metrics_file("finetune", dataset)
    write_json_atomic(out, metrics)
    write_history_csv(paths.history_file("finetune", dataset), result.history)
    print(f"finetune {dataset}: dev {metrics['dev_acc']:.4f} test {metrics['test_acc']:.4f} (epoch {result.best_epoch})")


if __name__ == "__main__":
    run_stage(main)
