"""Stage energy: energy per sentence of the tailored DNN and the fine-tuned SNN, charged for the same positions.

Reads data/models/<dataset>/{dnn,snn}.pt and data/embedded/<dataset>/; writes metrics/energy/<dataset>.json:
per split (test, dev), from one spike draw (the fine-tuned net's first seed, as the finetune stage draws it),
each network's microjoules per sentence with a 95% interval over sentences and the ratio SNN / DNN with its
paired interval, without and with neuron updates, under the fair accounting (both charged for the sentence's
real tokens and the windows touching them; the default) and the paper's (all L positions for the DNN);
spikes per input channel, the real-token share, the draw's accuracy (snntext.evaluation.sentence_energy);
and the SNN's accuracy on each split over finetune.test_draws spike draws (the first is the one above), so
that a setting of the energy grid can be chosen on dev and confirmed on test (issue 33.2).
Params: seed, seeds, device, timesteps, convert.eval_batch_size, finetune.test_draws.
"""

from __future__ import annotations

from snntext.core import paths
from snntext.core.device import resolve_device, seed_everything
from snntext.core.errors import SnntextError
from snntext.core.machine import machine_record
from snntext.core.stage_metrics import write_json_atomic
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.embedded import load_embedded
from snntext.evaluation.paired_gap import draw_seeds, snn_correct_over_draws
from snntext.evaluation.sentence_energy import count_sentence_ops, net_shape, summarise
from snntext.models.checkpoint import load_checkpoint

SPLITS = ("test", "dev")


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])
    dataset, seed = args.dataset, config.run.finetune_seeds[0]
    timesteps, batch_size = config.finetune.timesteps, config.finetune.eval_batch_size
    device = resolve_device(config.run.device)
    seed_everything(seed)
    snn_file, dnn_file = paths.models_dir(dataset) / "snn.pt", paths.models_dir(dataset) / "dnn.pt"
    snn = load_checkpoint(snn_file, map_location=device)[0]
    dnn = load_checkpoint(dnn_file, map_location=device)[0]
    data = load_embedded(paths.embedded_dir(dataset))
    shape = net_shape(snn, data.max_len, timesteps=timesteps, beta=snn.config["beta"])
    if net_shape(dnn, data.max_len, timesteps=timesteps, beta=shape.beta, input_code=shape.input_code) != shape:
        raise SnntextError(f"{dnn_file} and {snn_file} differ in shape; rerun convert and finetune for {dataset}")
    result = {"dataset": dataset, "seed": seed, "batch_size": batch_size, "shape": vars(shape), "splits": {}}
    for split in SPLITS:
        part = data.split(split)
        counts = count_sentence_ops(
            snn, part.ids, data.table, timesteps=timesteps, seed=seed, batch_size=batch_size, device=device
        )
        summary = summarise(counts, shape, seed=seed)
        summary["accuracy"] = float((counts.predictions == part.labels.cpu()).double().mean())
        correct = snn_correct_over_draws(
            snn,
            part.ids,
            part.labels,
            data.table,
            timesteps=timesteps,
            seeds=draw_seeds(seed, config.finetune.test_draws),
            batch_size=batch_size,
            device=device,
            known={seed: counts.predictions.to(part.labels.device)},
        )
        per_draw = correct.mean(dim=1).tolist()
        summary["accuracy_over_draws"] = {
            "draws": len(per_draw),
            "mean": sum(per_draw) / len(per_draw),
            "per_draw": per_draw,
        }
        result["splits"][split] = summary
    result["ran_on"] = machine_record()
    write_json_atomic(paths.metrics_file("energy", dataset), result)
    for split, s in result["splits"].items():
        fair, paper = s["accountings"]["fair"], s["accountings"]["paper"]
        print(
            f"energy {dataset} {split}: fair SNN/DNN {fair['ratio']['value']:.2f} "
            f"[{fair['ratio']['ci_low']:.2f}, {fair['ratio']['ci_high']:.2f}], with neuron updates "
            f"{fair['ratio_with_neuron_updates']['value']:.2f}; paper {paper['ratio']['value']:.2f}"
        )


if __name__ == "__main__":
    run_stage(main)
