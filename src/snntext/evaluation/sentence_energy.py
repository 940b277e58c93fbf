"""Energy per sentence of the tailored DNN and its spiking twin, both charged for the same positions.

The headline formula (snntext.evaluation.energy) charges the DNN for all L positions of every sentence,
padding included, while the SNN's padding never spikes: the SNN gets the padding free. Here each test
sentence i is charged on its own, from one seeded spike draw, under two accountings:

- ``fair`` (the default): both networks pay for the same positions, the sentence's n_i real (non-padding)
  tokens and the convolution windows that touch them; padding is charged to neither, and a row of padding
  only costs nothing.
    DNN  conv_k: W_ik x F x k x D MACs, W_ik = valid windows of kernel k touching a real token
                 (min(n_i, L-k+1) for a post-padded row), each charged in full as a dense core computes it
         pool_k: W_ik x F additions (charged as MACs, as in the headline);  fc: len(K) x F x C x N
    SNN  conv_k: F synaptic ops per input spike and per valid window containing its position
         pool_k: one addition per conv_k spike;  fc: C x N per pooled spike
- ``paper``: the headline formula per sentence. DNN: the L-position counts of layer_ops for every sentence.
  SNN: conv_k charged T x (the sentence's input rate over all L x D inputs) x (L-k+1) x F x k x D, pool and
  fc as above. The mean over a split's sentences is snn_energy's total with that split's firing rates.

Neuron updates (snntext.evaluation.energy_overheads' model, its constants): the SNN pays a threshold compare
(plus the leak multiply when beta < 1) per neuron and step and a reset per spike, the DNN a ReLU compare per
convolution output. ``fair`` counts the convolution neurons of the windows touching real tokens (none for an
empty row), ``paper`` all L-k+1 positions. Energies are microjoules per sentence (E_MAC 4.6 pJ, E_AC 0.9 pJ).

Input codes: the counted input spikes are the synaptic events under either spike code (a SpikingTextCNN's
input_code): Bernoulli spikes (rate), or at most one spike per channel and sentence (latency), whose
persistent current the first layer's neurons hold; the formulas above charge the events' fan-out, not the
steps a latency channel is on. Holding that current costs each convolution neuron one more addition per
step, charged with the neuron updates when the shape's input_code is latency.

Each summary is the mean per sentence with a percentile-bootstrap interval over sentences, and the ratio of
means E_SNN / E_DNN with a paired bootstrap interval (every resample draws the same sentences for both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
from torch import nn
from torch.nn import functional as F

from snntext.evaluation.energy import E_AC_PJ, E_MAC_PJ
from snntext.evaluation.energy_overheads import E_ADD_PJ, E_MULT_PJ
from snntext.models.spiking import SpikingTextCNN, draw_batch_spikes, length_bucketed_batches

ACCOUNTINGS = ("fair", "paper")
DEFAULT_ACCOUNTING = "fair"
TERMS = ("dnn_uj", "snn_uj", "dnn_with_neuron_updates_uj", "snn_with_neuron_updates_uj")


@dataclass(frozen=True)
class NetShape:
    """What the operation counts depend on: sentence positions L, input channels D, the branches and the
    output population, the time steps T, the neurons' beta (the leak is charged when beta < 1) and the SNN's
    input code (latency: the convolution neurons add their held input current every step)."""

    L: int
    D: int
    kernel_sizes: tuple[int, ...]
    filters: int
    num_classes: int
    neurons_per_class: int
    timesteps: int
    beta: float = 1.0
    input_code: str = "rate"

    @property
    def out_units(self) -> int:
        return self.num_classes * self.neurons_per_class

    @property
    def pooled(self) -> int:
        return len(self.kernel_sizes) * self.filters


def net_shape(
    model: nn.Module, L: int, *, timesteps: int, beta: float = 1.0, input_code: str | None = None
) -> NetShape:
    """The NetShape of a TailoredTextCNN or SpikingTextCNN (both keep convs, kernel_sizes and the population)
    reading sentences of L positions; input_code: the SNN's (default: the model's own, "rate" for a DNN)."""
    conv = cast(nn.Conv2d, cast(nn.ModuleList, model.convs)[0])
    return NetShape(
        L=int(L),
        D=int(conv.weight.shape[3]),
        kernel_sizes=tuple(int(k) for k in cast(tuple, model.kernel_sizes)),
        filters=int(conv.out_channels),
        num_classes=int(cast(int, model.num_classes)),
        neurons_per_class=int(cast(int, model.neurons_per_class)),
        timesteps=int(timesteps),
        beta=float(beta),
        input_code=str(input_code or getattr(model, "input_code", "rate")),
    )


@dataclass
class SentenceCounts:
    """What one spike draw of the SNN did on each sentence of a split (float64, sentences in the split's order)."""

    tokens: torch.Tensor  # [N] real (non-padding) tokens
    windows: torch.Tensor  # [N, K] valid windows of each kernel touching a real token
    input_spikes: torch.Tensor  # [N] input spikes over all T steps
    conv_fanout: torch.Tensor  # [N, K] sum over input spikes of the valid windows of kernel k containing it
    conv_spikes: torch.Tensor  # [N, K] spikes of the convolution neurons
    pooled_spikes: torch.Tensor  # [N] spikes of the pooled neurons (all branches)
    out_spikes: torch.Tensor  # [N] spikes of the output population
    predictions: torch.Tensor  # [N] int64, the SNN's class under this draw


def windows_touching(ids: torch.Tensor, kernel_sizes: tuple[int, ...]) -> torch.Tensor:
    """[N, K]: per row of ids [N, L], the valid windows p = 0..L-k of each kernel k holding a real token
    (id != 0) in positions p..p+k-1. For a post-padded row of n tokens this is min(n, L-k+1)."""
    real = (ids != 0).double().unsqueeze(1)  # [N, 1, L]
    return torch.stack([F.max_pool1d(real, k, stride=1).sum(dim=(1, 2)) for k in kernel_sizes], dim=1)


def windows_containing(L: int, k: int) -> torch.Tensor:
    """[L]: how many valid windows (p = 0..L-k) of kernel k contain position j: the conv_k fan-out of a spike at j."""
    j = torch.arange(L)
    return ((j.clamp(max=L - k) - (j - k + 1).clamp(min=0)) + 1).double()


@torch.no_grad()
def count_sentence_ops(
    model: SpikingTextCNN,
    ids: torch.Tensor,
    table: torch.Tensor,
    *,
    timesteps: int,
    seed: int,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> SentenceCounts:
    """Per-sentence spike counts of one seeded run, drawn exactly as evaluate_spiking draws them (same
    batches, generator and trimming), so the same seed gives the same spikes and predictions; the neurons'
    spikes are read by forward hooks, the model is left as it was."""
    if len(ids) == 0:
        raise ValueError("count_sentence_ops on an empty split")
    device = torch.device(device)
    n, L = ids.shape
    kernels = model.kernel_sizes
    fanout_of = torch.stack([windows_containing(L, k) for k in kernels], dim=1)  # [L, K]
    seen: dict[str, torch.Tensor] = {}

    def keep(name: str, dims: tuple[int, ...]):
        def hook(_module, _inputs, output):
            seen[name] = output.sum(dim=dims).double().cpu()

        return hook

    handles = [node.register_forward_hook(keep(f"conv{k}", (0, 2, 3))) for k, node in zip(kernels, model.conv_neurons)]
    handles += [node.register_forward_hook(keep(f"pool{k}", (0, 2))) for k, node in zip(kernels, model.pool_neurons)]
    handles.append(model.out_neurons.register_forward_hook(keep("out", (0, 2))))
    was_training = model.training
    model.eval()
    table = table.to(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    out = {
        "input": torch.zeros(n, dtype=torch.float64),
        "fanout": torch.zeros(n, len(kernels), dtype=torch.float64),
        "conv": torch.zeros(n, len(kernels), dtype=torch.float64),
        "pooled": torch.zeros(n, dtype=torch.float64),
        "out": torch.zeros(n, dtype=torch.float64),
    }
    predictions = torch.empty(n, dtype=torch.long)
    try:
        for index in length_bucketed_batches(ids, batch_size):
            spikes = draw_batch_spikes(ids[index], table, timesteps, generator, kernels, code=model.input_code)
            by_position = spikes.sum(dim=(0, 3)).double().cpu()  # [B, L']
            predictions[index] = model.predict(model(spikes, full_length=L)).cpu()
            out["input"][index] = by_position.sum(dim=1)
            out["fanout"][index] = by_position @ fanout_of[: by_position.shape[1]]
            out["conv"][index] = torch.stack([seen[f"conv{k}"] for k in kernels], dim=1)
            out["pooled"][index] = torch.stack([seen[f"pool{k}"] for k in kernels]).sum(dim=0)
            out["out"][index] = seen["out"]
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return SentenceCounts(
        tokens=(ids != 0).sum(dim=1).double(),
        windows=windows_touching(ids, kernels),
        input_spikes=out["input"],
        conv_fanout=out["fanout"],
        conv_spikes=out["conv"],
        pooled_spikes=out["pooled"],
        out_spikes=out["out"],
        predictions=predictions,
    )


def sentence_energy(counts: SentenceCounts, shape: NetShape, accounting: str = DEFAULT_ACCOUNTING) -> dict:
    """Microjoules per sentence ([N] float64 each, keys TERMS) under `accounting` ("fair" or "paper"), plus
    the DNN's MACs and the SNN's synaptic ops per sentence (keys dnn_macs, snn_synops)."""
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"unknown energy accounting {accounting!r}; choose one of {', '.join(ACCOUNTINGS)}")
    kernels, F_, D, L, T = shape.kernel_sizes, shape.filters, shape.D, shape.L, shape.timesteps
    k = torch.tensor(kernels, dtype=torch.float64)
    n = len(counts.tokens)
    if accounting == "fair":
        present = (counts.tokens > 0).double()
        conv_positions = counts.windows  # [N, K]
        conv_synops = F_ * counts.conv_fanout.sum(dim=1)
        fc_macs = present * shape.pooled * shape.out_units
        other_neurons = present * (shape.pooled + shape.out_units)
    else:
        conv_positions = (L - k + 1).expand(n, -1)
        conv_synops = counts.input_spikes * float((F_ * k * (L - k + 1)).sum()) / L
        fc_macs = torch.full((n,), float(shape.pooled * shape.out_units), dtype=torch.float64)
        other_neurons = torch.full((n,), float(shape.pooled + shape.out_units), dtype=torch.float64)
    conv_outputs = F_ * conv_positions.sum(dim=1)  # convolution neurons (SNN) or ReLU outputs (DNN)
    dnn_macs = F_ * D * (conv_positions * k).sum(dim=1) + conv_outputs + fc_macs
    snn_synops = conv_synops + counts.conv_spikes.sum(dim=1) + counts.pooled_spikes * shape.out_units
    per_step = E_ADD_PJ + (E_MULT_PJ if shape.beta < 1.0 else 0.0)
    spikes = counts.conv_spikes.sum(dim=1) + counts.pooled_spikes + counts.out_spikes
    snn_updates_pj = T * (conv_outputs + other_neurons) * per_step + spikes * E_ADD_PJ
    if shape.input_code == "latency":  # each convolution neuron adds its held input current every step
        snn_updates_pj = snn_updates_pj + T * conv_outputs * E_ADD_PJ
    dnn_updates_pj = conv_outputs * E_ADD_PJ
    dnn_uj, snn_uj = dnn_macs * E_MAC_PJ * 1e-6, snn_synops * E_AC_PJ * 1e-6
    return {
        "dnn_macs": dnn_macs,
        "snn_synops": snn_synops,
        "dnn_uj": dnn_uj,
        "snn_uj": snn_uj,
        "dnn_with_neuron_updates_uj": dnn_uj + dnn_updates_pj * 1e-6,
        "snn_with_neuron_updates_uj": snn_uj + snn_updates_pj * 1e-6,
    }


def bootstrap_means(columns: torch.Tensor, *, resamples: int, seed: int) -> torch.Tensor:
    """[resamples, M]: the column means of `columns` [N, M] over `resamples` percentile-bootstrap resamples of
    its N rows, the same rows for every column (paired), from a generator seeded with `seed`."""
    n = columns.shape[0]
    if n == 0 or resamples < 1:
        raise ValueError(f"bootstrap_means needs rows and resamples >= 1, got {n} rows, {resamples} resamples")
    generator = torch.Generator().manual_seed(seed)
    means = torch.empty(resamples, columns.shape[1], dtype=torch.float64)
    for start in range(0, resamples, 256):  # chunks keep memory at 256 x N indices
        count = min(256, resamples - start)
        picks = torch.randint(n, (count, n), generator=generator)
        means[start : start + count] = columns.double()[picks].mean(dim=1)
    return means


def _interval(value: float, draws: torch.Tensor, level: float) -> dict:
    tail = (1 - level) / 2
    low, high = torch.quantile(draws, torch.tensor([tail, 1 - tail], dtype=torch.float64)).tolist()
    return {"mean": value, "ci_low": low, "ci_high": high}


def summarise(
    counts: SentenceCounts, shape: NetShape, *, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> dict:
    """Per accounting: each TERMS entry's mean per sentence with its interval, and the ratios of means
    SNN / DNN without and with neuron updates with their paired intervals; then the spikes per input channel
    of the sentences with a real token (input spikes / (n_i x D), over all T steps: the synaptic events, at
    most 1 under the latency code) and the share of the L positions that hold real tokens."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    per = {name: sentence_energy(counts, shape, name) for name in ACCOUNTINGS}
    names = [(acc, term) for acc in ACCOUNTINGS for term in TERMS]
    columns = torch.stack([per[acc][term] for acc, term in names], dim=1)
    means, draws = columns.mean(dim=0), bootstrap_means(columns, resamples=resamples, seed=seed)
    accountings: dict[str, dict] = {}
    for i, (acc, term) in enumerate(names):
        accountings.setdefault(acc, {})[term] = _interval(float(means[i]), draws[:, i], level)
    for acc in ACCOUNTINGS:
        for suffix in ("", "_with_neuron_updates"):
            snn, dnn = names.index((acc, f"snn{suffix}_uj")), names.index((acc, f"dnn{suffix}_uj"))
            if float(means[dnn]) <= 0:
                raise ValueError("no sentence of the split has a real token: nothing to charge")
            ratio = _interval(float(means[snn] / means[dnn]), draws[:, snn] / draws[:, dnn], level)
            accountings[acc][f"ratio{suffix}"] = {"value": ratio.pop("mean"), **ratio}
        accountings[acc]["dnn_macs"] = float(per[acc]["dnn_macs"].mean())
        accountings[acc]["snn_synops"] = float(per[acc]["snn_synops"].mean())
    real = counts.tokens > 0
    per_channel = (counts.input_spikes[real] / (counts.tokens[real] * shape.D)).unsqueeze(1)
    channel_draws = bootstrap_means(per_channel, resamples=resamples, seed=seed)[:, 0]
    return {
        "sentences": len(counts.tokens),
        "empty_sentences": int((~real).sum()),
        "tokens_mean": float(counts.tokens.mean()),
        "real_token_share": float(counts.tokens.sum() / (len(counts.tokens) * shape.L)),
        "spikes_per_input_channel": _interval(float(per_channel.mean()), channel_draws, level),
        "accountings": accountings,
        "default": DEFAULT_ACCOUNTING,
        "level": level,
        "resamples": resamples,
        "bootstrap_seed": seed,
    }
