"""The input layer under either spike code: rate draws from the generator, latency draws nothing."""

from __future__ import annotations

import pytest
import torch

from snntext.coding.latency import latency_code_mean, latency_spikes
from snntext.coding.rate import rate_code_mean, rate_spikes
from snntext.coding.spike_codes import coded_mean, input_spikes


def test_each_code_dispatches_to_its_module():
    values = torch.rand(5, 7, generator=torch.Generator().manual_seed(0))
    rate = input_spikes(values, 6, torch.Generator().manual_seed(3), "rate")
    assert torch.equal(rate, rate_spikes(values, 6, torch.Generator().manual_seed(3)))
    mean = coded_mean(values, 6, torch.Generator().manual_seed(3), "rate")
    assert torch.equal(mean, rate_code_mean(values, 6, torch.Generator().manual_seed(3)))
    assert torch.equal(input_spikes(values, 6, torch.Generator(), "latency"), latency_spikes(values, 6))
    assert torch.equal(coded_mean(values, 6, torch.Generator(), "latency"), latency_code_mean(values, 6))


def test_latency_leaves_the_generator_alone():
    generator = torch.Generator().manual_seed(5)
    state = generator.get_state()
    input_spikes(torch.rand(4, 4), 8, generator, "latency")
    coded_mean(torch.rand(4, 4), 8, generator, "latency")
    assert torch.equal(generator.get_state(), state)


def test_unknown_code_is_refused():
    with pytest.raises(ValueError, match="rate, latency"):
        input_spikes(torch.rand(2), 4, torch.Generator(), "signed")
