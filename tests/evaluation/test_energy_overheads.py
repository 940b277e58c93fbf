"""The costs the headline energy formula leaves out, counted by hand on a tiny network."""

from __future__ import annotations

import pytest

from snntext.evaluation.energy import snn_energy
from snntext.evaluation.energy_overheads import E_ADD_PJ, E_MULT_PJ, E_SRAM_READ_PJ, neuron_counts, overheads

RATES = {"conv3": 0.1, "conv4": 0.1, "conv5": 0.1, "pool3": 0.1, "pool4": 0.1, "pool5": 0.1, "fc": 0.2}
FIRING = {"conv3": 0.1, "conv4": 0.1, "conv5": 0.1, "pooled": 0.2, "out": 0.5}


def tiny(T: int = 4):
    # L 6, D 2, 2 filters, 2 classes x 1 neuron: conv3 4 positions, conv4 3, conv5 2
    return snn_energy(6, 2, timesteps=T, input_rates=RATES, filters=2, num_classes=2, neurons_per_class=1)


def test_neuron_counts_follow_from_the_layer_operations():
    assert neuron_counts(tiny()["layers"], filters=2) == {"conv3": 8, "conv4": 6, "conv5": 4, "pooled": 6, "out": 2}


def test_terms_by_hand():
    energy = tiny(T=4)
    o = overheads(energy, FIRING, filters=2, beta=1.0)
    neuron_steps = 4 * (8 + 6 + 4 + 6 + 2)
    spikes = 4 * (0.1 * 18 + 0.2 * 6 + 0.5 * 2)
    assert o["snn_uj"]["neuron_updates"] == pytest.approx((neuron_steps * E_ADD_PJ + spikes * E_ADD_PJ) * 1e-6)
    assert o["snn_uj"]["weight_reads"] == pytest.approx(energy["total_synops"] * E_SRAM_READ_PJ * 1e-6)
    assert o["snn_uj"]["membrane_state"] == pytest.approx(neuron_steps * 2 * E_SRAM_READ_PJ * 1e-6)
    dnn_macs = sum(layer["macs"] for layer in energy["layers"].values())
    assert o["dnn_uj"]["weight_reads"] == pytest.approx(dnn_macs * E_SRAM_READ_PJ * 1e-6)
    assert o["dnn_uj"]["neuron_updates"] == pytest.approx(18 * E_ADD_PJ * 1e-6)
    assert o["dnn_uj"]["membrane_state"] == 0.0
    assert o["ratio_with_overheads"] == pytest.approx(o["snn_total_uj"] / o["dnn_total_uj"])
    assert o["ratio_with_overheads"] > o["headline_ratio"]


def test_a_leak_costs_a_multiply_per_neuron_step():
    energy = tiny(T=4)
    leaky = overheads(energy, FIRING, filters=2, beta=0.9)["snn_uj"]["neuron_updates"]
    plain = overheads(energy, FIRING, filters=2, beta=1.0)["snn_uj"]["neuron_updates"]
    assert leaky - plain == pytest.approx(4 * 26 * E_MULT_PJ * 1e-6)


def test_missing_firing_rates_are_refused():
    with pytest.raises(ValueError, match="lack"):
        overheads(tiny(), {"conv3": 0.1}, filters=2, beta=1.0)


def test_a_latency_input_adds_the_held_current_of_each_convolution_neuron():
    """Under the latency code each of the 18 convolution neurons adds its held input current every step (an
    add) and keeps it as one more state (a read and a write per step); nothing else changes."""
    energy = tiny(T=4)
    rate = overheads(energy, FIRING, filters=2, beta=1.0)
    latency = overheads(energy, FIRING, filters=2, beta=1.0, input_code="latency")
    held = 4 * 18
    assert latency["snn_uj"]["neuron_updates"] - rate["snn_uj"]["neuron_updates"] == pytest.approx(
        held * E_ADD_PJ * 1e-6
    )
    assert latency["snn_uj"]["membrane_state"] - rate["snn_uj"]["membrane_state"] == pytest.approx(
        held * 2 * E_SRAM_READ_PJ * 1e-6
    )
    assert latency["snn_uj"]["weight_reads"] == rate["snn_uj"]["weight_reads"]
    assert latency["dnn_uj"] == rate["dnn_uj"]
