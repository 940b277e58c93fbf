"""Rate coding: Bernoulli spike trains and their T-step mean."""

from __future__ import annotations

import pytest
import torch

from snntext.coding.rate import rate_code_mean, rate_spikes


def test_rate_spikes_deterministic_binary_and_shaped():
    rates = torch.rand(2, 3, 4, generator=torch.Generator().manual_seed(1))
    first = rate_spikes(rates, 5, torch.Generator().manual_seed(7))
    second = rate_spikes(rates, 5, torch.Generator().manual_seed(7))
    other = rate_spikes(rates, 5, torch.Generator().manual_seed(8))
    assert first.shape == (5, 2, 3, 4) and first.dtype == rates.dtype and first.device == rates.device
    assert torch.equal(first, second) and not torch.equal(first, other)
    assert set(first.unique().tolist()) <= {0.0, 1.0}


def test_rate_code_mean_is_the_mean_of_that_many_spike_steps():
    """Binomial(T, x) / T has the law of rate_spikes(x, T).mean(0): same mean and variance x(1-x)/T."""
    rates = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).expand(20_000, 5)
    coded = rate_code_mean(rates, 10, torch.Generator().manual_seed(0))
    assert coded.shape == rates.shape and coded.dtype == rates.dtype
    assert torch.equal(coded * 10, torch.round(coded * 10))
    assert torch.all(coded[:, 0] == 0) and torch.all(coded[:, 4] == 1)
    spikes = rate_spikes(rates, 10, torch.Generator().manual_seed(1)).mean(0)
    torch.testing.assert_close(coded.mean(0), spikes.mean(0), atol=0.01, rtol=0)
    torch.testing.assert_close(coded.var(0), rates[0] * (1 - rates[0]) / 10, atol=0.002, rtol=0)
    torch.testing.assert_close(spikes.var(0), rates[0] * (1 - rates[0]) / 10, atol=0.002, rtol=0)
    assert torch.equal(coded, rate_code_mean(rates, 10, torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError, match="timesteps must be positive"):
        rate_code_mean(rates, 0, torch.Generator())


def test_rate_spikes_mean_matches_rate_and_extremes_are_exact():
    rates = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0])
    spikes = rate_spikes(rates.expand(400, 5), 50, torch.Generator().manual_seed(0))  # 20,000 draws per rate
    observed = spikes.mean(dim=(0, 1))
    assert observed[0] == 0.0 and observed[4] == 1.0  # padding never spikes, rate 1 always does
    torch.testing.assert_close(observed, rates, atol=0.015, rtol=0)  # > 5 standard errors
    # fresh draws per step: steps are not copies of each other
    assert not torch.equal(spikes[0], spikes[1])
