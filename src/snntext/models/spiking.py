"""SpikingTextCNN: the tailored TextCNN with spiking neurons, run over all T steps at once.

Per step t (input spikes x[t]: [B, L, D]):
  conv_k(x[t]) -> LeakyNode (one population per k)          spike maps [B, L-k+1, F]
  average over the L-k+1 positions x pool_scale -> LeakyNode  one population per branch [B, F]
  fc(concat of the 3 branches) -> LeakyNode                 output spikes [B, C*N]
The pooled neurons of the three branches are separate populations (the authors' code chains one
membrane through all three; the DNN has no counterpart for that). `convs` / `fc` are named as in
TailoredTextCNN, so the DNN's weights copy across; `pool_scale` (a buffer, 1 = plain copy) is
the data-based normalisation's 1/lambda_pool.

Multi-step: the three convolutions run ONCE over all T*B inputs, as convolutions with D input
channels in channels-last memory (full_width_convs; the Conv2d modules hold the weights), then each
neuron layer runs its T-loop over channels-last maps [T, B, positions, F].

Exact speed trick: the net has no bias, so an all-zero input window gives zero current and no
spike ever. A batch may therefore be cut to its longest sentence plus (max kernel - 1) padding
positions (so every window touching a real token survives), provided the pooling still divides
by the FULL L-k+1: pass `full_length`.

Input code (`input_code`, snntext.coding.spike_codes): "rate" (Bernoulli input spikes, each a synaptic
event on its step) or "latency" (at most one input spike per channel; the input synapses hold it as a
persistent current, so the convolutions integrate synaptic_current(spikes)). Either way `forward` takes the
input SPIKES, and the "input" count (firing_rates, energy) is those spikes: the synaptic events.

Prediction: argmax over classes of the output population's spike count summed over T.
torch.argmax takes the first maximum, so ties (and silence: all counts 0) go to the lowest
class index, as in the authors' code; `SpikeStats` counts how often that happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import torch
from spikingjelly.activation_based import functional
from torch import nn
from torch.nn import functional as F

from snntext.coding.latency import synaptic_current
from snntext.core.config import SPIKE_CODES
from snntext.models.checkpoint import register_model_kind
from snntext.models.neurons import LeakyNode
from snntext.models.textcnn import TailoredTextCNN, population_scores


def full_width_convs(x: torch.Tensor, weights) -> list[torch.Tensor]:
    """Every (k x D) convolution of input [N, L, D] as a convolution with D input channels over a
    1 x L map, in channels-last memory: for each weight [F, 1, k, D], currents [N, L-k+1, F].

    Why this form: [N, L, D] already is the channels-last layout of [N, D, 1, L], so the input is used
    as it lies, and the currents come out positions before channels, as the neurons take them: no
    copy on either side. Outputs and weight gradients equal Conv2d with one input channel (how the
    weights are stored), which runs far from matmul speed. Timings, and the ways tried and dropped:
    benchmarks/README.md (benchmarks/conv_layout.py).
    """
    n, length, dim = x.shape
    channels_last = x.reshape(n, 1, length, dim).permute(0, 3, 1, 2)  # [N, D, 1, L], no copy
    # w: [F, 1, k, D] -> [F, D, 1, k], itself channels-last; out: [N, F, 1, L'] -> [N, L', F], no copy
    return [
        F.conv2d(channels_last, w.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).reshape(n, -1, w.shape[0]) for w in weights
    ]


class SpikingTextCNN(nn.Module):
    pool_scale: torch.Tensor  # a buffer (register_buffer in __init__)

    def __init__(
        self,
        embedding_dim: int,
        num_classes: int,
        neurons_per_class: int = 10,
        kernel_sizes: tuple[int, ...] | list[int] = (3, 4, 5),
        filters: int = 100,
        threshold: float = 1.0,
        beta: float = 1.0,
        surrogate: str = "fast_sigmoid",
        surrogate_slope: float = 25.0,
        input_code: str = "rate",
    ):
        super().__init__()
        if input_code not in SPIKE_CODES:
            raise ValueError(f"SpikingTextCNN: input_code must be one of {', '.join(SPIKE_CODES)}, got {input_code!r}")
        self.config = dict(
            embedding_dim=embedding_dim,
            num_classes=num_classes,
            neurons_per_class=neurons_per_class,
            kernel_sizes=list(kernel_sizes),
            filters=filters,
            threshold=float(threshold),
            beta=float(beta),
            surrogate=surrogate,
            surrogate_slope=float(surrogate_slope),
        )
        if input_code != "rate":  # absent = rate, so the rate-coded checkpoints keep their bytes
            self.config["input_code"] = input_code
        self.input_code = input_code
        self.num_classes = num_classes
        self.neurons_per_class = neurons_per_class
        self.kernel_sizes = tuple(kernel_sizes)

        def node() -> LeakyNode:
            return LeakyNode(threshold, beta, surrogate, surrogate_slope, step_mode="m")

        self.convs = nn.ModuleList(nn.Conv2d(1, filters, (k, embedding_dim), bias=False) for k in self.kernel_sizes)
        self.conv_neurons = nn.ModuleList(node() for _ in self.kernel_sizes)
        self.pool_neurons = nn.ModuleList(node() for _ in self.kernel_sizes)
        self.fc = nn.Linear(filters * len(self.kernel_sizes), num_classes * neurons_per_class, bias=False)
        self.out_neurons = node()
        self.register_buffer("pool_scale", torch.ones(()))
        self.record_rates = False
        # Dtype the convolutions compute in (None: the input's). torch.bfloat16 pays where the hardware has
        # bf16 dot products (AVX512_BF16 / AMX, recent GPUs; measured in benchmarks/README.md): spikes are 0/1,
        # exact in bf16; weights round to 8 significant bits; the currents come back in the input's dtype, so
        # the membranes still integrate in fp32. Set for training only (finetune.precision), not saved.
        self.conv_dtype: torch.dtype | None = None
        self.spike_counts: dict[str, float] = {}  # layer -> spikes seen since reset_counts()
        self.slot_counts: dict[str, float] = {}  # layer -> neuron-steps seen (full length)

    # Zero weight-sum conv filters, as the DNN was trained: fine-tuning meets the same common-mode
    # drift (inputs >= 0, no bias, Adam) that silences them. Same `convs`, so the DNN's method serves.
    project_filters = TailoredTextCNN.project_filters

    # ----------------------------------------------------------------- running
    def reset_counts(self) -> None:
        self.spike_counts, self.slot_counts = {}, {}

    def _count(self, name: str, spikes: torch.Tensor, slots: int) -> None:
        self.spike_counts[name] = self.spike_counts.get(name, 0.0) + float(spikes.sum())
        self.slot_counts[name] = self.slot_counts.get(name, 0.0) + float(slots)

    def firing_rates(self) -> dict[str, float]:
        """Share of neuron-steps that spiked, per layer ("input" = the encoded embedding),
        over everything run since reset_counts(), padding positions included."""
        return {name: self.spike_counts[name] / self.slot_counts[name] for name in self.spike_counts}

    def forward(self, spikes: torch.Tensor, full_length: int | None = None) -> torch.Tensor:
        """Output spikes [T, B, C*N] for input spikes [T, B, L, D] (a fresh trajectory per call)."""
        functional.reset_net(self)
        T, B, L, D = spikes.shape
        full = L if full_length is None else int(full_length)
        if full < L:
            raise ValueError(f"full_length {full} is shorter than the input's {L} positions")
        if max(self.kernel_sizes) > L:
            raise ValueError(f"input of {L} positions is shorter than the largest kernel {max(self.kernel_sizes)}")
        if self.record_rates:
            self._count("input", spikes, T * B * full * D)  # the spikes: synaptic events, under either code
        if self.input_code == "latency":
            spikes = synaptic_current(spikes)  # each channel on from its spike to the end of the sentence
        flat, weights = spikes.reshape(T * B, L, D), [conv.weight for conv in self.convs]
        if self.conv_dtype is None or self.conv_dtype == spikes.dtype:
            currents = full_width_convs(flat, weights)
        else:
            currents = [
                c.to(spikes.dtype)
                for c in full_width_convs(flat.to(self.conv_dtype), [w.to(self.conv_dtype) for w in weights])
            ]
        pooled = []
        for k, conv, current, conv_node, pool_node in zip(
            self.kernel_sizes, cast("Iterable[nn.Conv2d]", self.convs), currents, self.conv_neurons, self.pool_neurons
        ):
            conv_spikes = conv_node(current.view(T, B, L - k + 1, conv.out_channels))  # [T, B, positions, F]
            pool_in = conv_spikes.sum(dim=2) * (self.pool_scale / (full - k + 1))
            pool_spikes = pool_node(pool_in)
            pooled.append(pool_spikes)
            if self.record_rates:
                self._count(f"conv{k}", conv_spikes, T * B * conv.out_channels * (full - k + 1))
                self._count(f"pool{k}", pool_spikes, pool_spikes.numel())
        out = self.out_neurons(self.fc(torch.cat(pooled, dim=2)))
        if self.record_rates:
            self._count("pooled", torch.stack([p.sum() for p in pooled]), sum(p.numel() for p in pooled))
            self._count("out", out, out.numel())
        return out

    def class_counts(self, out_spikes: torch.Tensor) -> torch.Tensor:
        """Per-step population spike count per class: [T, B, C*N] -> [T, B, C]."""
        return population_scores(out_spikes, self.num_classes)

    def predict(self, out_spikes: torch.Tensor) -> torch.Tensor:
        """Class with the most output spikes over all T; ties -> lowest class index."""
        return self.class_counts(out_spikes).sum(dim=0).argmax(dim=1)


def longest_length(ids: torch.Tensor) -> int:
    """Positions up to and including the batch's last non-padding token."""
    nonpad = (ids != 0).any(dim=0).nonzero()
    return int(nonpad.max()) + 1 if len(nonpad) else 0


def token_lengths(ids: torch.Tensor) -> torch.Tensor:
    """Per row of ids [N, L]: position of the last non-padding token + 1 (0 for an empty row)."""
    positions = torch.arange(1, ids.shape[1] + 1).expand_as(ids)
    return (positions * (ids != 0)).amax(dim=1)


def length_bucketed_batches(
    ids: torch.Tensor, batch_size: int, generator: torch.Generator | None = None, pool_batches: int = 50
) -> list[torch.Tensor]:
    """Batches of row indices whose members have similar lengths, so that trimming each batch
    to its longest sentence (exact for this bias-free network) saves the most work.

    With a generator (training): shuffle, then sort by length inside pools of `pool_batches`
    batches, then shuffle the batch order, so batches stay random but homogeneous. Without one
    (evaluation): plain sort by length.
    """
    lengths = token_lengths(ids)
    if generator is None:
        order = torch.argsort(lengths, stable=True)
        return list(order.split(batch_size))
    order = torch.randperm(len(lengths), generator=generator)
    pool = batch_size * pool_batches
    chunks = []
    for start in range(0, len(order), pool):
        part = order[start : start + pool]
        part = part[torch.argsort(lengths[part], stable=True)]
        chunks.extend(part.split(batch_size))
    return [chunks[i] for i in torch.randperm(len(chunks), generator=generator).tolist()]


def trimmed_length(ids: torch.Tensor, kernel_sizes: tuple[int, ...]) -> int:
    """Shortest prefix of the batch [B, L] that loses no window touching a real token."""
    return min(ids.shape[1], max(longest_length(ids) + max(kernel_sizes) - 1, max(kernel_sizes)))


@dataclass
class SpikeStats:
    """Outcome of running a SpikingTextCNN over a split."""

    accuracy: float
    n: int
    ties: int  # top class count shared by >= 2 classes (silence included)
    silent: int  # no output spike at all over T
    firing_rates: dict[str, float] = field(default_factory=dict)
    predictions: torch.Tensor | None = None

    def as_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "n": self.n,
            "ties": self.ties,
            "silent": self.silent,
            "tie_rate": self.ties / self.n,
            "silent_rate": self.silent / self.n,
            "firing_rates": dict(self.firing_rates),
        }


def draw_batch_spikes(
    ids: torch.Tensor,
    table: torch.Tensor,
    timesteps: int,
    generator: torch.Generator,
    kernel_sizes: tuple[int, ...],
    trim: bool = True,
    code: str = "rate",
) -> torch.Tensor:
    """Input spikes [T, B, L', D] for token ids [B, L]: values table[ids] (padding = 0), cut to the
    trimmed length when `trim`, then spikes under `code` (the model's input_code): one Bernoulli draw per
    input per step from `generator` (rate), or one spike per channel at its latency (latency, no draw)."""
    from snntext.coding.spike_codes import input_spikes

    if trim:
        ids = ids[:, : trimmed_length(ids, kernel_sizes)]
    rates = table[ids.to(table.device)]
    return input_spikes(rates, timesteps, generator, code)


@torch.no_grad()
def evaluate_spiking(
    model: SpikingTextCNN,
    ids: torch.Tensor,
    labels: torch.Tensor,
    table: torch.Tensor,
    *,
    timesteps: int,
    seed: int,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    record_rates: bool = True,
    trim: bool = True,
) -> SpikeStats:
    """Accuracy, ties/silence and firing rates on (ids, labels); spikes from a generator seeded
    with `seed` (on the device), so the same seed gives the same numbers."""
    if len(labels) == 0:
        raise ValueError("evaluate_spiking on an empty split")
    device = torch.device(device)
    was_training = model.training
    model.eval()
    model.record_rates = record_rates
    model.reset_counts()
    table = table.to(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    preds, ties, silent = [], 0, 0
    index_batches = (
        length_bucketed_batches(ids, batch_size) if trim else list(torch.arange(len(labels)).split(batch_size))
    )
    try:
        for index in index_batches:
            batch = ids[index]
            spikes = draw_batch_spikes(batch, table, timesteps, generator, model.kernel_sizes, trim, model.input_code)
            counts = model.class_counts(model(spikes, full_length=ids.shape[1])).sum(dim=0)
            top = counts.max(dim=1, keepdim=True).values
            ties += int(((counts == top).sum(dim=1) > 1).sum())
            silent += int((counts.sum(dim=1) == 0).sum())
            preds.append(counts.argmax(dim=1).cpu())
    finally:
        model.record_rates = False
        model.train(was_training)
    predictions = torch.empty(len(labels), dtype=torch.long)
    predictions[torch.cat(index_batches)] = torch.cat(preds)
    acc = float((predictions == labels.cpu()).float().mean())
    return SpikeStats(acc, len(labels), ties, silent, model.firing_rates() if record_rates else {}, predictions)


def energy_input_rates(firing_rates: dict[str, float], kernel_sizes: tuple[int, ...]) -> dict[str, float]:
    """energy.snn_energy's input_rates (rate of the spikes ENTERING each layer) from firing_rates."""
    rates = {f"conv{k}": firing_rates["input"] for k in kernel_sizes}
    rates.update({f"pool{k}": firing_rates[f"conv{k}"] for k in kernel_sizes})
    rates["fc"] = firing_rates["pooled"]
    return rates


register_model_kind("spiking", SpikingTextCNN)
