"""Stage random_embeddings: the pipeline on random word vectors instead of pre-trained ones (what pre-training buys).

Reads data/embedded/<dataset>/ (ids, labels and the vocabulary's size; its table is replaced by shifted
N(0, 1) vectors, snntext.training.random_embeddings); trains the tailored DNN, converts and fine-tunes it exactly as
train_dnn, convert and finetune do with the same params; writes metrics/random_embeddings/<dataset>.json
(DNN, converted and fine-tuned SNN test accuracy, gap to its own DNN) and
metrics/random_embeddings/<dataset>_detail.json (dev accuracies, test draws, seconds per step). No model is
kept: the row is the measurement.
Params: seed, device, timesteps, threshold, beta, surrogate, surrogate_slope, neurons_per_class,
embed.clip_sigma, embed.oov, train_dnn.*, convert.*, finetune.*.
"""

from __future__ import annotations

from snntext.core import paths
from snntext.core.device import resolve_device
from snntext.core.stage_metrics import write_stage_metrics
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.data.embedded import load_embedded
from snntext.training.random_embeddings import run_random_embeddings


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0])
    device = resolve_device(config.run.device)
    data = load_embedded(paths.embedded_dir(args.dataset))
    write_stage_metrics("random_embeddings", args.dataset, run_random_embeddings(args.dataset, data, config, device))


if __name__ == "__main__":
    run_stage(main)
