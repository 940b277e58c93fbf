"""A small fixed training run whose weights must come out bit for bit the same on every machine of a kind:
the tailored DNN (a few hundred Adam steps), its conversion and SNN fine-tuning, on fixed synthetic data.

Run in a fresh interpreter (`python -m tests.golden_training`): the CPU kernels are pinned as every stage
pins them (snntext.core.cpu_kernels) before torch runs anything, with 2 threads. Prints one JSON object:
the CPU it ran on and the sha256 of each network's weights.
"""

from __future__ import annotations

import hashlib
import json

from snntext.core.machine import cpu_kind

THREADS = 2


def weights_sha256(model) -> str:
    """sha256 over every tensor of the state dict, in name order, as raw little-endian bytes."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def run() -> dict:
    from snntext.core.cpu_kernels import pin_portable_cpu_kernels

    pinned = pin_portable_cpu_kernels()
    import numpy as np
    import torch

    torch.set_num_threads(THREADS)
    from snntext.core.config import FinetuneConfig, TrainConfig
    from snntext.data.embedded import EmbeddedData, Split
    from snntext.training.conversion import convert
    from snntext.training.dnn import activation_statistics, train_model
    from snntext.training.finetuning import finetune

    rng = np.random.default_rng(20261206)
    vocab, dim, length = 300, 32, 24
    table = rng.random((vocab, dim), dtype=np.float32)
    table[0] = 0.0
    signal = rng.normal(0, 1, (vocab,))  # each word leans to one class

    def split(n: int) -> Split:
        lengths = rng.integers(6, length + 1, n)
        ids = np.zeros((n, length), dtype=np.int64)
        for i, k in enumerate(lengths):
            ids[i, :k] = rng.integers(2, vocab, k)
        labels = (signal[ids].sum(axis=1) > 0).astype(np.int64)
        return Split(torch.from_numpy(ids), torch.from_numpy(labels))

    data = EmbeddedData(split(480), split(120), split(120), table=torch.from_numpy(table), meta={"labels": ["a", "b"]})
    device = torch.device("cpu")
    cfg = TrainConfig(
        epochs=8,
        lr=1e-2,
        weight_decay=0.0,
        batch_size=16,
        patience=0,
        dropout=0.1,
        kernel_sizes=(3, 4, 5),
        filters=16,
        zero_sum_filters=True,
        rate_code_steps=8,
        neurons_per_class=4,
    )
    dnn, _, _ = train_model("tailored", data, cfg, seed=0, device=device, progress=False)  # 8 x 30 = 240 steps
    stats = activation_statistics(dnn, data.train.ids, data.table, 64, device)
    snn = convert(dnn, "data_p99.9", stats, threshold=1.0, beta=1.0)
    tune = FinetuneConfig(epochs=2, lr=1e-3, batch_size=16, timesteps=8, zero_sum_filters=True)  # 60 steps
    finetune(
        snn,
        data.train.ids,
        data.train.labels,
        data.dev.ids,
        data.dev.labels,
        data.table,
        tune,
        seed=0,
        device=device,
        log=lambda message: None,
    )
    return {
        "cpu": cpu_kind(),
        "pinned": pinned,
        "threads": THREADS,
        "torch": torch.__version__,
        "dnn": weights_sha256(dnn),
        "snn": weights_sha256(snn),
    }


if __name__ == "__main__":
    print(json.dumps(run()))
