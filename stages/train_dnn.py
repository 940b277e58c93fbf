"""Stage train_dnn: train Kim's TextCNN and the tailored TextCNN (the DNN to convert) on one data set.

Reads data/embedded/<dataset>/ (the embed stage's output), writes data/models/<dataset>/{kim,dnn}.pt
(checkpoints at the best-dev epoch; no run times in them, so the same params give the same bytes),
metrics/train_dnn/<dataset>.json (dev/test accuracy of both), metrics/train_dnn/<dataset>_detail.json
(epochs, time, majority-class accuracy, the DNN's activation statistics and energy, the T of the
rate-coded input it was trained on, 0 = exact rates) and metrics/train_dnn/<dataset>_history.csv.
The tailored net trains on the embedded table's input code (meta.json "code"): Bernoulli means for the shift
and signed codes, the latency quantisation for embed.code latency (snntext.coding.spike_codes), and its
activation statistics are measured on what it trained on (training.dnn.activation_table).
Params: seed, device, neurons_per_class, train_dnn.*, kim.*.
"""

from __future__ import annotations

from snntext.core import paths
from snntext.core.device import resolve_device
from snntext.core.stage_metrics import write_stage_metrics
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.embedded import load_embedded
from snntext.evaluation.energy import dnn_energy
from snntext.evaluation.scoring import majority_class_accuracy
from snntext.models.checkpoint import save_checkpoint
from snntext.training.dnn import (
    EVAL_BATCH_SIZE,
    activation_statistics,
    activation_table,
    result_metrics,
    train_model,
    write_history_csv,
)

MODELS = (("kim", "kim"), ("dnn", "tailored"))  # (file/metric name = Config attribute, kind)
CHECKPOINT_KEYS = ("dev_acc", "test_acc", "best_epoch", "epochs_run")  # run times stay in the metrics only


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])
    dataset, seed = args.dataset, config.run.seed
    device = resolve_device(config.run.device)
    configs = {"kim": config.kim.for_dataset(dataset), "dnn": config.train_dnn.for_dataset(dataset)}
    data = load_embedded(paths.embedded_dir(dataset))
    metrics = {
        f"majority_{split}_acc": majority_class_accuracy(data.train.labels, data.split(split).labels)
        for split in ("dev", "test")
    }
    histories, trained = {}, {}
    for name, kind in MODELS:
        model, model_config, result = train_model(kind, data, configs[name], seed=seed, device=device)
        scores = result_metrics(name, model, result, data, device)
        metrics.update(scores)
        histories[name], trained[name] = result.history, model
        save_checkpoint(
            paths.models_dir(dataset) / f"{name}.pt",
            model,
            kind,
            model_config,
            extra={
                "dataset": dataset,
                "seed": seed,
                **{f"{name}_{key}": scores[f"{name}_{key}"] for key in CHECKPOINT_KEYS},
            },
        )
        print(
            f"train_dnn {dataset} {name}: dev {scores[f'{name}_dev_acc']:.4f} test {scores[f'{name}_test_acc']:.4f} "
            f"(best epoch {result.best_epoch} of {result.epochs_run})"
        )
    dnn = configs["dnn"]
    metrics["dnn_activations"] = activation_statistics(
        trained["dnn"], data.train.ids, activation_table(data, dnn.rate_code_steps), EVAL_BATCH_SIZE, device
    )
    energy = dnn_energy(
        data.max_len,
        data.embedding_dim,
        kernel_sizes=dnn.kernel_sizes,
        filters=dnn.filters,
        num_classes=data.num_classes,
        neurons_per_class=dnn.neurons_per_class,
    )
    metrics.update(
        dnn_macs=energy["total_macs"], dnn_energy_uj=energy["total_uj"], dnn_rate_code_steps=dnn.rate_code_steps
    )
    write_stage_metrics("train_dnn", dataset, metrics)
    write_history_csv(paths.history_file("train_dnn", dataset), histories)


if __name__ == "__main__":
    run_stage(main)
