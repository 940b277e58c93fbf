"""Stage convert: copy the tailored DNN into a SpikingTextCNN under every normalisation option.

Reads data/models/<dataset>/dnn.pt, metrics/train_dnn/<dataset>.json (dnn_activations) and
data/embedded/<dataset>/; writes data/models/<dataset>/snn_converted.pt (the option named by
convert.normalisation, the start of fine-tuning) and metrics/convert/<dataset>.json (per option:
dev/test accuracy, ties/silence, firing rates per layer, energy with its formula; and the DNN on
rate-coded input at T and 4T, the ceiling a conversion can reach at that T).
Params: seed, device, threshold, beta, timesteps, surrogate, surrogate_slope, convert.*.
"""
from __future__ import annotations

import json
import time

from snntext import paths
from snntext.cli import run_stage, stage_parser
from snntext.conversion import NORMALISATIONS, conversion_report, convert, rate_coded_dnn_accuracy
from snntext.device import resolve_device, seed_everything
from snntext.errors import SnntextError
from snntext.evaluation import load_embedded, write_json_atomic
from snntext.models.checkpoint import load_checkpoint, save_checkpoint
from snntext.params import load_params


def main() -> None:
    args = stage_parser(__doc__.splitlines()[0]).parse_args()
    params = load_params(args.params)
    dataset, seed = args.dataset, params.get("seed", type_=int)
    chosen = params.choice("convert.normalisation", NORMALISATIONS)
    neuron = dict(threshold=params.get("threshold", type_=float), beta=params.get("beta", type_=float),
                  surrogate=params.get("surrogate", type_=str), surrogate_slope=params.get("surrogate_slope", type_=float))
    timesteps = params.get("timesteps", type_=int)
    device = resolve_device(params.get("device", type_=str))
    seed_everything(seed)
    dnn, payload = load_checkpoint(paths.models_dir(dataset) / "dnn.pt", map_location=device)
    dnn_metrics_path = paths.metrics_file("train_dnn", dataset)
    try:
        stats = json.loads(dnn_metrics_path.read_text(encoding="utf-8"))["dnn_activations"]
    except (OSError, KeyError, json.JSONDecodeError) as err:
        raise SnntextError(f"{dnn_metrics_path}: no dnn_activations ({type(err).__name__}); rerun train_dnn") from None
    data = load_embedded(paths.embedded_dir(dataset))
    metrics = {"chosen": chosen, "timesteps": timesteps, **neuron,
               "dnn_dev_acc": payload["extra"].get("dnn_dev_acc"), "dnn_test_acc": payload["extra"].get("dnn_test_acc"),
               "activation_stats": stats, "options": {}}
    eval_batch = params.get("convert.eval_batch_size", 64, type_=int)
    metrics["dnn_rate_coded"] = {}
    for steps in sorted({timesteps, 4 * timesteps}):
        metrics["dnn_rate_coded"][str(steps)] = {
            split: rate_coded_dnn_accuracy(dnn, data.split(split).ids, data.split(split).labels, data.table,
                                           timesteps=steps, seed=seed, device=device)
            for split in ("dev", "test")}
        print(f"convert {dataset}: DNN on rate-coded input, T={steps}: {metrics['dnn_rate_coded'][str(steps)]}")
    for option in NORMALISATIONS:
        start = time.perf_counter()
        snn = convert(dnn, option, stats, **neuron)
        report = conversion_report(snn, data, timesteps=timesteps, seed=seed, device=device,
                                   batch_size=eval_batch)
        metrics["options"][option] = {**report, "seconds": time.perf_counter() - start}
        print(f"convert {dataset} {option}: dev {report['dev']['accuracy']:.4f} test {report['test']['accuracy']:.4f}")
        if option == chosen:
            save_checkpoint(paths.models_dir(dataset) / "snn_converted.pt", snn, "spiking", snn.config,
                            extra={"dataset": dataset, "seed": seed, "normalisation": option, "timesteps": timesteps})
    best = metrics["options"][chosen]
    metrics.update(dev_acc=best["dev"]["accuracy"], test_acc=best["test"]["accuracy"],
                   energy_uj=best["energy"]["total_uj"], energy_ratio_snn_to_dnn=best["energy"]["ratio_snn_to_dnn"])
    write_json_atomic(paths.metrics_file("convert", dataset), metrics)


if __name__ == "__main__":
    run_stage(main)
