"""Stage convert: copy the tailored DNN into a SpikingTextCNN under every normalisation option.

Reads data/models/<dataset>/dnn.pt, metrics/train_dnn/<dataset>_detail.json (dnn_activations) and
data/embedded/<dataset>/; writes data/models/<dataset>/snn_converted.pt (the option named by
convert.normalisation, the start of fine-tuning), metrics/convert/<dataset>.json (that option's dev/test
accuracy and energy ratio) and metrics/convert/<dataset>_detail.json (per option: dev/test accuracy,
ties/silence, firing rates per layer, energy with its formula; and the DNN on rate-coded input at T
and 4T, the ceiling a conversion can reach at that T). The SNN reads spikes under the embedded table's
input code (meta.json "code": rate spikes, or latency spikes for embed.code latency), and the DNN's
ceiling is measured under the same code.
Params: seed, device, threshold, beta, timesteps, surrogate, surrogate_slope, convert.*.
"""

from __future__ import annotations

import dataclasses
import time

from snntext.coding.input_codes import spike_code
from snntext.core import paths
from snntext.core.config import NORMALISATIONS
from snntext.core.device import resolve_device, seed_everything
from snntext.core.errors import SnntextError
from snntext.core.stage_metrics import detail_file, read_stage_metrics, write_stage_metrics
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.embedded import load_embedded
from snntext.evaluation.spiking import spiking_report
from snntext.models.checkpoint import load_checkpoint, save_checkpoint
from snntext.training.conversion import convert, rate_coded_dnn_accuracy


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])
    dataset, seed = args.dataset, config.run.seed
    chosen, eval_batch = config.convert.normalisation, config.convert.eval_batch_size
    neuron = dataclasses.asdict(config.neuron)
    timesteps = config.encoding.timesteps
    device = resolve_device(config.run.device)
    seed_everything(seed)
    dnn, payload = load_checkpoint(paths.models_dir(dataset) / "dnn.pt", map_location=device)
    stats = read_stage_metrics("train_dnn", dataset).get("dnn_activations")
    if not isinstance(stats, dict):
        raise SnntextError(f"{detail_file('train_dnn', dataset)}: no dnn_activations; rerun train_dnn")
    data = load_embedded(paths.embedded_dir(dataset))
    code = spike_code(data.meta.get("code", "shift"))
    metrics = {
        "chosen": chosen,
        "timesteps": timesteps,
        **neuron,
        "dnn_dev_acc": payload["extra"].get("dnn_dev_acc"),
        "dnn_test_acc": payload["extra"].get("dnn_test_acc"),
        "activation_stats": stats,
        "options": {},
    }
    metrics["dnn_rate_coded"] = {}
    for steps in sorted({timesteps, 4 * timesteps}):
        metrics["dnn_rate_coded"][str(steps)] = {
            split: rate_coded_dnn_accuracy(
                dnn,
                data.split(split).ids,
                data.split(split).labels,
                data.table,
                timesteps=steps,
                seed=seed,
                device=device,
                code=code,
            )
            for split in ("dev", "test")
        }
        print(f"convert {dataset}: DNN on {code}-coded input, T={steps}: {metrics['dnn_rate_coded'][str(steps)]}")
    for option in NORMALISATIONS:
        start = time.perf_counter()
        snn = convert(dnn, option, stats, **neuron, input_code=code)
        report = spiking_report(snn, data, timesteps=timesteps, seed=seed, device=device, batch_size=eval_batch)
        metrics["options"][option] = {**report, "seconds": time.perf_counter() - start}
        print(f"convert {dataset} {option}: dev {report['dev']['accuracy']:.4f} test {report['test']['accuracy']:.4f}")
        if option == chosen:
            save_checkpoint(
                paths.models_dir(dataset) / "snn_converted.pt",
                snn,
                "spiking",
                snn.config,
                extra={"dataset": dataset, "seed": seed, "normalisation": option, "timesteps": timesteps},
            )
    best = metrics["options"][chosen]
    metrics.update(
        dev_acc=best["dev"]["accuracy"],
        test_acc=best["test"]["accuracy"],
        energy_uj=best["energy"]["total_uj"],
        energy_ratio_snn_to_dnn=best["energy"]["ratio_snn_to_dnn"],
    )
    write_stage_metrics("convert", dataset, metrics)


if __name__ == "__main__":
    run_stage(main)
