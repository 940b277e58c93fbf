"""Stage finetune: surrogate-gradient fine-tuning of the converted SNN, selected on dev.

Reads data/models/<dataset>/snn_converted.pt, data/models/<dataset>/dnn.pt (the distill loss's teacher, the gap's
reference) and data/embedded/<dataset>/;
writes data/models/<dataset>/snn.pt (best-dev epoch, first seed), metrics/finetune/<dataset>.json (dev/test
accuracy at that epoch, the gap to the DNN over finetune.test_draws spike draws, energy ratio, pooled firing
rate), metrics/finetune/<dataset>_detail.json (ties/silence, firing rates, energy, seconds of all seeds; with
several `seeds`, a `per_seed` block the reports average; `paired_gap`: the first seed's model on the test set
over finetune.test_draws spike draws against the DNN, gap with its bootstrap interval) and
metrics/finetune/<dataset>_history.csv (first seed).
Params: seed, seeds, device, timesteps, finetune.* (threshold/beta/surrogate come with the converted net).
"""

from __future__ import annotations

import dataclasses

from snntext.core import paths
from snntext.core.device import resolve_device
from snntext.core.stage_metrics import write_stage_metrics
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.embedded import load_embedded
from snntext.evaluation.paired_gap import gap_to_dnn_over_draws
from snntext.models.checkpoint import load_checkpoint, save_checkpoint
from snntext.training.finetuning import check_precision, finetune_over_seeds, write_history_csv


def main() -> None:
    args, settings = stage_inputs(__doc__.splitlines()[0])
    dataset, config = args.dataset, settings.finetune
    seeds, draws = settings.run.finetune_seeds, config.test_draws
    device = resolve_device(settings.run.device)
    check_precision(config.precision, device, settings.source)
    converted, payload = load_checkpoint(paths.models_dir(dataset) / "snn_converted.pt", map_location=device)
    dnn, _ = load_checkpoint(paths.models_dir(dataset) / "dnn.pt", map_location=device)
    data = load_embedded(paths.embedded_dir(dataset))
    runs = finetune_over_seeds(converted, data, config, seeds, device, dnn=dnn)
    snn, result, report = runs.model, runs.result, runs.report
    metrics = {
        "dev_acc": report["dev"]["accuracy"],
        "test_acc": report["test"]["accuracy"],
        "best_epoch": result.best_epoch,
        "best_dev_acc_during_training": result.best_dev_acc,
        "epochs_run": len(result.history) - 1,
        "seconds": round(runs.seconds, 2),
        "energy_uj": report["energy"]["total_uj"],
        "energy_ratio_snn_to_dnn": report["energy"]["ratio_snn_to_dnn"],
        "start_normalisation": payload["extra"].get("normalisation"),
        "config": dataclasses.asdict(config),
        "seed": seeds[0],
        "seeds": seeds,
        **report,
    }
    if len(seeds) > 1:
        metrics["per_seed"] = runs.per_seed
    metrics["paired_gap"] = gap_to_dnn_over_draws(
        dnn,
        snn,
        data.test,
        data.table,
        timesteps=config.timesteps,
        seed=seeds[0],
        draws=draws,
        known=runs.test_predictions,
        batch_size=config.eval_batch_size,
        device=device,
    )
    metrics["gap_points"] = metrics["paired_gap"]["gap_points"]
    metrics["pooled_firing_rate"] = report["test"]["firing_rates"]["pooled"]
    save_checkpoint(
        paths.models_dir(dataset) / "snn.pt",
        snn,
        "spiking",
        snn.config,
        extra={"dataset": dataset, "seed": seeds[0], "best_epoch": result.best_epoch},
    )
    write_stage_metrics("finetune", dataset, metrics)
    write_history_csv(paths.history_file("finetune", dataset), result.history)
    gap = metrics["paired_gap"]
    print(
        f"finetune {dataset}: dev {metrics['dev_acc']:.4f} test {metrics['test_acc']:.4f} "
        f"(epoch {result.best_epoch}, seeds {seeds}); test over {draws} draws {gap['snn_acc_mean']:.4f}, "
        f"gap to the DNN {gap['gap_points']:+.2f} [{gap['ci_low_points']:+.2f}, {gap['ci_high_points']:+.2f}] points"
    )


if __name__ == "__main__":
    run_stage(main)
