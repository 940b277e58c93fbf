"""DNN -> SNN conversion: copy the tailored TextCNN's weights into a SpikingTextCNN, optionally
normalised so that spike rates track the DNN's activations.

Options (NORMALISATIONS):
  none        plain copy (what the paper fine-tunes from).
  max_weight  the authors' "model-based" rule: every conv weight tensor divided by its own
              maximum weight (when > 0); the output layer is left as is, as in their code.
  data_max,   Rueckauer et al. (2017) layer-wise data-based scaling with lambda = the max or the
  data_p99.9  99.9th percentile of the DNN's TRAIN-set activations: the pooled neurons' input is
              scaled by 1/lambda_pool (buffer pool_scale) and the output weights by
              lambda_pool/lambda_out, so the output rate approximates unit/lambda_out.
              The conv layer is not rescaled: its input rates are <= 1 already and its
              activations feed the pooling as rates.
activation_stats: the dict of training.activation_statistics (keys pooled_max, pooled_p999,
units_max, units_p999, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import torch
from torch import nn

from snntext.core.config import NORMALISATIONS
from snntext.models.spiking import SpikingTextCNN
from snntext.models.textcnn import TailoredTextCNN

_STAT_SUFFIX = {"data_max": "max", "data_p99.9": "p999"}


def layer_lambdas(normalisation: str, activation_stats: dict[str, float]) -> tuple[float, float]:
    """(lambda_pool, lambda_out) for a data-based option; raises KeyError naming a missing stat."""
    suffix = _STAT_SUFFIX[normalisation]
    lam_pool = float(activation_stats[f"pooled_{suffix}"])
    lam_out = float(activation_stats[f"units_{suffix}"])
    if lam_pool <= 0 or lam_out <= 0:
        raise ValueError(f"{normalisation}: activation scales must be > 0, got pooled {lam_pool}, units {lam_out}")
    return lam_pool, lam_out


# fmt: off
@torch.no_grad()
def rate_coded_dnn_accuracy(
    dnn: nn.Module, ids: torch.Tensor, labels: torch.Tensor, table: torch.Tensor, *,
    timesteps: int, seed: int, batch_size: int = 256, device: torch.device | str = "cpu", code: str = "rate",
) -> float:
    """Accuracy of the DNN fed what the SNN's input layer delivers over `timesteps` steps under the spike
    `code` (snntext.coding.spike_codes.coded_mean): each rate replaced by the mean of that many Bernoulli
    draws (Binomial(T, x) / T, seeded), or each value by its latency quantisation (T - t(x)) / T.

    A conversion that reproduced the DNN exactly on its spike-count input would score this, so
    the gap between it and the DNN is the input code's own loss at this T, not the conversion's."""
    from snntext.coding.spike_codes import coded_mean
    from snntext.data.batching import embed

    device = torch.device(device)
    was_training = dnn.training
    dnn.eval().to(device)
    table = table.to(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    correct = 0
    for start in range(0, len(labels), batch_size):
        scores = dnn(coded_mean(embed(ids[start : start + batch_size], table), timesteps, generator, code))
        correct += int((scores.argmax(dim=1).cpu() == labels[start : start + batch_size]).sum())
    dnn.train(was_training)
    return correct / len(labels)
# fmt: on


@torch.no_grad()
def convert(
    dnn: TailoredTextCNN,
    normalisation: str = "none",
    activation_stats: dict[str, float] | None = None,
    *,
    threshold: float = 1.0,
    beta: float = 1.0,
    surrogate: str = "fast_sigmoid",
    surrogate_slope: float = 25.0,
    input_code: str = "rate",
) -> SpikingTextCNN:
    """A SpikingTextCNN of the DNN's shape with its (normalised) weights, reading input spikes under
    `input_code` (rate, or latency: the weights stay as they are, the input synapses hold the current)."""
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {normalisation!r}; choose one of {', '.join(NORMALISATIONS)}")
    conv0 = cast(nn.Conv2d, dnn.convs[0])
    # fmt: off
    snn = SpikingTextCNN(
        embedding_dim=conv0.kernel_size[1], num_classes=dnn.num_classes, neurons_per_class=dnn.neurons_per_class,
        kernel_sizes=dnn.kernel_sizes, filters=conv0.out_channels, threshold=threshold, beta=beta,
        surrogate=surrogate, surrogate_slope=surrogate_slope, input_code=input_code,
    )
    # fmt: on
    missing, unexpected = snn.load_state_dict(dnn.state_dict(), strict=False)
    not_weights = [m for m in missing if m.startswith(("convs.", "fc."))]
    if not_weights or unexpected:
        raise ValueError(f"DNN weights do not fit the SNN: missing {not_weights}, unexpected {unexpected}")
    snn.to(conv0.weight.device)
    if normalisation == "max_weight":
        for conv in cast("Iterable[nn.Conv2d]", snn.convs):
            top = conv.weight.max()
            if top > 0:
                conv.weight /= top
    elif normalisation in _STAT_SUFFIX:
        if activation_stats is None:
            raise ValueError(f"{normalisation} needs the DNN's activation statistics")
        lam_pool, lam_out = layer_lambdas(normalisation, activation_stats)
        snn.pool_scale.fill_(1.0 / lam_pool)
        snn.fc.weight *= lam_pool / lam_out
    return snn
