"""Stage train_direct: the directly-trained SNN baseline (random initialisation, surrogate gradients over T).

Reads data/embedded/<dataset>/ only (no DNN: nothing is converted); writes data/models/<dataset>/snn_direct.pt
(best-dev epoch), metrics/train_direct/<dataset>.json (dev/test accuracy, test mean over finetune.test_draws
spike draws, energy ratio), metrics/train_direct/<dataset>_detail.json (per-draw test accuracy, firing rates,
energy, history, seconds) and metrics/train_direct/<dataset>_history.csv. The report puts it in
reports/accuracy.md beside the converted and fine-tuned SNN.
Params: seed, device, timesteps, threshold, surrogate, surrogate_slope, neurons_per_class,
train_dnn.kernel_sizes, train_dnn.filters, convert.eval_batch_size, finetune.test_draws, direct.*.
"""

from __future__ import annotations

from snntext.core import paths
from snntext.core.device import resolve_device
from snntext.core.stage_metrics import write_stage_metrics
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.embedded import load_embedded
from snntext.models.checkpoint import save_checkpoint
from snntext.training.direct import run_direct_training
from snntext.training.finetuning import write_history_csv


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])
    dataset = args.dataset
    device = resolve_device(config.run.device)
    data = load_embedded(paths.embedded_dir(dataset))
    snn, metrics = run_direct_training(dataset, data, config, device)
    history = metrics.pop("history")
    save_checkpoint(
        paths.models_dir(dataset) / "snn_direct.pt",
        snn,
        "spiking",
        snn.config,
        extra={"dataset": dataset, "seed": config.run.seed, "best_epoch": metrics["best_epoch"]},
    )
    write_stage_metrics("train_direct", dataset, metrics)
    write_history_csv(paths.history_file("train_direct", dataset), history)


if __name__ == "__main__":
    run_stage(main)
