"""The latency code: one spike per channel at round((1 - x)(T - 1)), held as a current that integrates to x_q."""

from __future__ import annotations

import pytest
import torch

from snntext.coding.latency import latency_code_mean, latency_spikes, latency_steps, synaptic_current


def test_spike_times_are_earliest_for_the_largest_values():
    values = torch.tensor([1.0, 0.99, 0.5, 0.3, 0.01, 0.0, -0.2])
    steps = latency_steps(values, 5)  # round((1 - x) * 4)
    assert steps.tolist() == [0, 0, 2, 3, 4, 5, 5]  # 0.5 -> 2.0; 0.3 -> 2.8; 0 and below: never (T)
    assert steps.dtype == torch.int64
    spikes = latency_spikes(values, 5)
    assert spikes.shape == (5, 7) and spikes.dtype == values.dtype
    for channel, step in enumerate(steps.tolist()):
        expected = torch.zeros(5)
        if step < 5:
            expected[step] = 1
        assert torch.equal(spikes[:, channel], expected)


def test_at_most_one_spike_per_channel_and_silence_for_zero():
    values = torch.rand(3, 7, 11, generator=torch.Generator().manual_seed(0))
    values[values < 0.4] = 0.0
    for timesteps in (1, 2, 8, 50):
        spikes = latency_spikes(values, timesteps)
        per_channel = spikes.sum(dim=0)
        assert torch.equal(per_channel, (values > 0).float())  # exactly one spike where x > 0, none at 0
        assert set(spikes.unique().tolist()) <= {0.0, 1.0}


def test_the_held_current_integrates_to_the_quantised_value():
    values = torch.rand(4, 9, 6, generator=torch.Generator().manual_seed(1))
    values[0] = 0.0
    for timesteps in (2, 5, 16, 50):
        current = synaptic_current(latency_spikes(values, timesteps))
        assert set(current.unique().tolist()) <= {0.0, 1.0}  # on from the spike to the end: a step
        x_q = latency_code_mean(values, timesteps)
        torch.testing.assert_close(current.sum(dim=0) / timesteps, x_q, rtol=0, atol=0)
        steps = latency_steps(values, timesteps)
        torch.testing.assert_close(x_q, ((timesteps - steps) / timesteps).clamp(min=0).float(), rtol=0, atol=0)
        torch.testing.assert_close(torch.round(x_q * timesteps), x_q * timesteps, rtol=0, atol=1e-5)  # T levels
        positive = values > 0
        assert torch.all(x_q[positive] >= 1 / timesteps) and torch.all(x_q[~positive] == 0)
        # x_q = x + (1 - x) / T up to the rounding of the spike step (at most half a step, 0.5 / T)
        expected = values + (1 - values) / timesteps
        assert torch.all((x_q - expected)[positive].abs() <= 0.5 / timesteps + 1e-6)


def test_latency_needs_positive_timesteps():
    with pytest.raises(ValueError, match="timesteps must be positive"):
        latency_spikes(torch.ones(3), 0)
    with pytest.raises(ValueError, match="timesteps must be positive"):
        latency_code_mean(torch.ones(3), -1)
