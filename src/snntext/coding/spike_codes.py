"""The SNN's input layer under either spike code (SPIKE_CODES, a SpikingTextCNN's input_code): the spikes
it receives, and what it integrates over T steps on average (the DNN's input when trained on the code).

rate     Bernoulli(x) per step (snntext.coding.rate); the first layer integrates the spikes themselves,
         on average Binomial(T, x) / T.
latency  one spike at step round((1 - x)(T - 1)) (snntext.coding.latency); the first layer integrates
         the persistent current it starts, on average (T - t(x)) / T.
Either way the spikes are the synaptic events an energy count charges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snntext.coding.latency import latency_code_mean, latency_spikes
from snntext.coding.rate import rate_code_mean, rate_spikes
from snntext.core.config import SPIKE_CODES

if TYPE_CHECKING:
    import torch


def _check(code: str) -> None:
    if code not in SPIKE_CODES:
        raise ValueError(f"spike code must be one of {', '.join(SPIKE_CODES)}, got {code!r}")


def input_spikes(values: torch.Tensor, timesteps: int, generator: torch.Generator, code: str) -> torch.Tensor:
    """[T, *values.shape] input spikes under `code` (the latency code draws nothing from `generator`)."""
    _check(code)
    return rate_spikes(values, timesteps, generator) if code == "rate" else latency_spikes(values, timesteps)


def coded_mean(values: torch.Tensor, timesteps: int, generator: torch.Generator, code: str) -> torch.Tensor:
    """What T steps of `code` deliver to the first layer, per step on average (same shape as values):
    Binomial(T, x) / T (rate, drawn from `generator`) or the quantised (T - t(x)) / T (latency)."""
    _check(code)
    return rate_code_mean(values, timesteps, generator) if code == "rate" else latency_code_mean(values, timesteps)
