"""Stage train_dnn: train Kim's TextCNN and the tailored TextCNN (the DNN to convert) on one data set.

Reads data/embedded/<dataset>/ (the embed stage's output), writes data/models/<dataset>/{kim,dnn}.pt
(checkpoints at the best-dev epoch), metrics/train_dnn/<dataset>.json (dev/test accuracy, epochs,
time, majority-class accuracy, the DNN's activation statistics and energy, the T of the rate-coded
input it was trained on, 0 = exact rates) and
metrics/train_dnn/<dataset>_history.csv (epoch, model, train_loss, dev_acc).
Params: seed, device, neurons_per_class, train_dnn.*, kim.*.
"""
from __future__ import annotations

from snntext import paths
from snntext.cli import run_stage, stage_parser
from snntext.device import resolve_device
from snntext.energy import dnn_energy
from snntext.evaluation import load_embedded, majority_class_accuracy, write_json_atomic
from snntext.models.checkpoint import save_checkpoint
from snntext.params import load_params
from snntext.training import (
    EVAL_BATCH_SIZE, TrainConfig, activation_statistics, result_metrics, train_model, write_history_csv,
)

MODELS = (("kim", "kim", "kim"), ("dnn", "tailored", "train_dnn"))   # (file/metric name, kind, params section)


def main() -> None:
    args = stage_parser(__doc__.splitlines()[0]).parse_args()
    params = load_params(args.params)
    dataset = args.dataset
    seed, neurons = params.get("seed", type_=int), params.get("neurons_per_class", type_=int)
    device = resolve_device(params.get("device", type_=str))
    configs = {name: TrainConfig.from_params(params, section, dataset) for name, _, section in MODELS}
    data = load_embedded(paths.embedded_dir(dataset))
    metrics = {f"majority_{split}_acc": majority_class_accuracy(data.train.labels, data.split(split).labels)
               for split in ("dev", "test")}
    histories, trained = {}, {}
    for name, kind, _ in MODELS:
        model, config, result = train_model(kind, data, configs[name], seed=seed, device=device, neurons_per_class=neurons)
        scores = result_metrics(name, model, result, data, device)
        metrics.update(scores)
        histories[name], trained[name] = result.history, model
        save_checkpoint(paths.models_dir(dataset) / f"{name}.pt", model, kind, config,
                        extra={"dataset": dataset, "seed": seed, **scores})
        print(f"train_dnn {dataset} {name}: dev {scores[f'{name}_dev_acc']:.4f} test {scores[f'{name}_test_acc']:.4f} "
              f"(best epoch {result.best_epoch} of {result.epochs_run})")
    metrics["dnn_activations"] = activation_statistics(trained["dnn"], data.train.ids, data.table, EVAL_BATCH_SIZE, device)
    energy = dnn_energy(data.max_len, data.embedding_dim, kernel_sizes=configs["dnn"].kernel_sizes,
                        filters=configs["dnn"].filters, num_classes=data.num_classes, neurons_per_class=neurons)
    metrics.update(dnn_macs=energy["total_macs"], dnn_energy_uj=energy["total_uj"],
                   dnn_rate_code_steps=configs["dnn"].rate_code_steps)
    metrics_path = paths.metrics_file("train_dnn", dataset)
    write_json_atomic(metrics_path, metrics)
    write_history_csv(paths.history_file("train_dnn", dataset), histories)


if __name__ == "__main__":
    run_stage(main)
