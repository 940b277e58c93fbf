"""The paper's "Random Initial Embedding (without Pretrain)" row: the whole conversion pipeline on random vectors.

The paper claims pre-trained embeddings "clearly improve" the SNN over randomly initialised ones; the authors'
scripts for that mode are missing. Here every word of the dataset's vocabulary gets an i.i.d. N(0, 1) vector
of the same dimension (what `nn.Embedding` starts from), shifted into [0, 1] exactly as the pre-trained
table is (global mean 0 and std 1, clipped at +- embed.clip_sigma; the unknown-word row per embed.oov), then put
in the embedded table's input code (meta.json "code" and "dead_zone": the signed and latency codes have two
columns per dimension, so the random vectors have half the table's columns). The vectors stay fixed, like the pre-trained ones: everything else (the tailored DNN, conversion, fine-tuning,
the test draws) is the committed pipeline's, so the row measures what pre-training buys and nothing else.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch

from snntext.coding.input_codes import apply_input_code, spike_code
from snntext.coding.shift import shift_to_unit_interval
from snntext.core.config import Config
from snntext.data.embedded import EmbeddedData
from snntext.data.vocab import PAD_ID, UNK_ID


def random_rate_table(rows: int, dim: int, *, clip_sigma: float, oov: str, seed: int) -> np.ndarray:
    """float32 [rows, dim] firing rates: row 0 padding (zeros), row 1 the unknown word (the shift of the zero
    vector, 0.5, or zeros for oov "zero"), then one shifted N(0, 1) vector per vocabulary word."""
    if rows < 2 or dim < 1:
        raise ValueError(
            f"random_rate_table: need at least the padding and unknown rows and dim >= 1, got {rows}x{dim}"
        )
    raw = np.random.default_rng(seed).standard_normal((rows - 2, dim))
    table = np.zeros((rows, dim), dtype=np.float32)
    if oov == "paper":
        table[UNK_ID] = shift_to_unit_interval(np.zeros(dim), 0.0, 1.0, clip_sigma)
    table[2:] = shift_to_unit_interval(raw, 0.0, 1.0, clip_sigma)
    table[PAD_ID] = 0.0
    return table


def with_random_table(data: EmbeddedData, *, clip_sigma: float, oov: str, seed: int) -> EmbeddedData:
    """The same ids and labels over a random table of the same shape (the vocabulary is unchanged), in the
    data's input code (meta "code", "dead_zone")."""
    code, dead_zone = data.meta.get("code", "shift"), float(data.meta.get("dead_zone", 0.0))
    rows, columns = data.table.shape
    dim = columns if code == "shift" else columns // 2  # the signed codes: a positive and a negative part
    shifted = random_rate_table(rows, dim, clip_sigma=clip_sigma, oov=oov, seed=seed)
    table = torch.from_numpy(apply_input_code(shifted, code, dead_zone=dead_zone, clip_sigma=clip_sigma))
    return dataclasses.replace(data, table=table, meta={**data.meta, "vectors": f"random-normal-{dim}d"})


def run_random_embeddings(dataset: str, data: EmbeddedData, config: Config, device, log=print) -> dict:
    """Train the tailored DNN on random vectors, convert it, fine-tune the SNN; every step as the committed
    pipeline does it (the same params). Returns the stage's metrics."""
    from snntext.evaluation.paired_gap import gap_to_dnn_over_draws
    from snntext.evaluation.spiking import spiking_report
    from snntext.training.conversion import convert
    from snntext.training.dnn import (
        EVAL_BATCH_SIZE,
        activation_statistics,
        activation_table,
        result_metrics,
        train_model,
    )
    from snntext.training.finetuning import finetune_over_seeds

    seed, timesteps = config.run.seed, config.encoding.timesteps
    random = with_random_table(data, clip_sigma=config.embed.clip_sigma, oov=config.embed.oov, seed=seed)
    table = random.table
    used = torch.cat([s.ids.flatten() for s in (random.train, random.dev, random.test)])
    metrics: dict = {
        "vectors": random.meta["vectors"],
        "timesteps": timesteps,
        "mean_input_rate": float(table[used[used != PAD_ID]].double().mean()),
    }
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    dnn, _, result = train_model("tailored", random, config.train_dnn.for_dataset(dataset), seed=seed, device=device)
    metrics.update(result_metrics("dnn", dnn, result, random, device))
    steps = config.train_dnn.rate_code_steps
    stats = activation_statistics(dnn, random.train.ids, activation_table(random, steps), EVAL_BATCH_SIZE, device)
    seconds["train_dnn"] = time.perf_counter() - start
    log(f"random embeddings {dataset}: DNN dev {metrics['dnn_dev_acc']:.4f} test {metrics['dnn_test_acc']:.4f}")

    start = time.perf_counter()
    code = spike_code(random.meta.get("code", "shift"))
    converted = convert(dnn, config.convert.normalisation, stats, **dataclasses.asdict(config.neuron), input_code=code)
    report = spiking_report(
        converted, random, timesteps=timesteps, seed=seed, device=device, batch_size=config.convert.eval_batch_size
    )
    metrics.update(
        converted_dev_acc=report["dev"]["accuracy"],
        converted_test_acc=report["test"]["accuracy"],
        normalisation=config.convert.normalisation,
    )
    seconds["convert"] = time.perf_counter() - start
    log(
        f"random embeddings {dataset}: converted dev {metrics['converted_dev_acc']:.4f} "
        f"test {metrics['converted_test_acc']:.4f}"
    )

    start = time.perf_counter()
    tune = config.finetune
    runs = finetune_over_seeds(converted, random, tune, [seed], device, log=log, dnn=dnn)
    seconds["finetune"] = time.perf_counter() - start
    gap = gap_to_dnn_over_draws(
        dnn,
        runs.model,
        random.test,
        table,
        timesteps=timesteps,
        seed=seed,
        draws=tune.test_draws,
        known=runs.test_predictions,
        batch_size=tune.eval_batch_size,
        device=device,
    )
    metrics.update(
        snn_dev_acc=runs.report["dev"]["accuracy"],
        snn_test_acc=runs.report["test"]["accuracy"],
        snn_best_epoch=runs.result.best_epoch,
        snn_test_mean=gap["snn_acc_mean"],
        snn_test_std=gap["snn_acc_std"],
        test_draws=gap["draws"],
        paired_gap=gap,
        gap_points=gap["gap_points"],
        energy_ratio_snn_to_dnn=runs.report["energy"]["ratio_snn_to_dnn"],
        seconds={k: round(v, 1) for k, v in seconds.items()},
        seconds_total=round(sum(seconds.values()), 1),
    )
    log(
        f"random embeddings {dataset}: SNN test over {gap['draws']} draws {gap['snn_acc_mean']:.4f} "
        f"(gap to its DNN {gap['gap_points']:+.2f} points), {metrics['seconds_total']:.0f} s"
    )
    return metrics
