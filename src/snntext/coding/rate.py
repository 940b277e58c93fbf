"""Rate coding: firing rates in [0, 1] become Bernoulli spike trains over T steps.

Spike trains are drawn on the fly from the dataset's table of rates, never written to disk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where spikes are drawn, so the embed stage does not pay its import time
    import torch


def rate_spikes(rates: torch.Tensor, timesteps: int, generator: torch.Generator) -> torch.Tensor:
    """Rate coding: [T, *rates.shape] spikes, each an independent Bernoulli(rate) draw per step.

    Draws come from `generator` (which must live on rates' device), so a seed fixes them;
    rates are clamped to [0, 1] as snntorch's spikegen.rate does. Same dtype and device as rates.
    """
    import torch  # here, so the embed stage (no spikes) does not pay torch's import time

    if timesteps <= 0:
        raise ValueError(f"rate_spikes: timesteps must be positive, got {timesteps}")
    noise = torch.rand((timesteps, *rates.shape), generator=generator, device=rates.device, dtype=rates.dtype)
    return (noise < rates.clamp(0.0, 1.0)).to(rates.dtype)


def rate_code_mean(rates: torch.Tensor, timesteps: int, generator: torch.Generator) -> torch.Tensor:
    """What T steps of rate coding deliver, as one tensor: the mean of `timesteps` Bernoulli(rate)
    draws per value, drawn at once as Binomial(T, rate) / T (same shape, dtype and device as rates).

    A layer without a bias sums its input linearly over the steps, so the SNN's first layer sees
    exactly this; the DNN is scored on it (the rate code's own cost) and may be trained on it."""
    import torch

    if timesteps <= 0:
        raise ValueError(f"rate_code_mean: timesteps must be positive, got {timesteps}")
    return torch.binomial(torch.full_like(rates, float(timesteps)), rates, generator=generator) / timesteps
