"""One spiking network measured: dev/test accuracy, ties and silence, firing rates and energy.

The same report describes every SNN the pipeline keeps (each normalisation of the converted net in
the convert stage, the fine-tuned net in the finetune stage), so their numbers compare line by line.
"""

from __future__ import annotations

from typing import cast

from torch import nn

from snntext.data.embedded import EmbeddedData
from snntext.evaluation.energy import snn_energy
from snntext.models.spiking import SpikingTextCNN, energy_input_rates, evaluate_spiking


def spiking_report(
    snn: SpikingTextCNN,
    data: EmbeddedData,
    *,
    timesteps: int,
    seed: int,
    device,
    batch_size: int = 64,
    predictions: dict | None = None,
) -> dict:
    """Dev/test accuracy, ties/silence, firing rates (test) and SNN energy (test, full L) of a
    spiking network (converted or fine-tuned). A `predictions` dict, when given, receives each
    split's per-sentence predictions (so a caller need not run the split again)."""
    report = {}
    for split in ("dev", "test"):
        part = data.split(split)
        stats = evaluate_spiking(
            snn, part.ids, part.labels, data.table, timesteps=timesteps, seed=seed, batch_size=batch_size, device=device
        )
        report[split] = stats.as_dict()
        if predictions is not None:
            predictions[split] = stats.predictions
    rates = report["test"]["firing_rates"]
    report["energy"] = snn_energy(
        data.max_len,
        data.embedding_dim,
        timesteps=timesteps,
        input_rates=energy_input_rates(rates, snn.kernel_sizes),
        kernel_sizes=snn.kernel_sizes,
        filters=cast(nn.Conv2d, snn.convs[0]).out_channels,
        num_classes=snn.num_classes,
        neurons_per_class=snn.neurons_per_class,
    )
    return report
