"""Energy accounting on a toy network whose operation counts are worked out by hand."""

from __future__ import annotations

import pytest
import torch

from snntext.evaluation.energy import dnn_energy, expected_input_rate, layer_ops, snn_energy

# Toy: L=6 positions, D=4 dims, kernels 2 and 3, F=2 filters, C=2 classes x N=3 units.
TOY = dict(kernel_sizes=(2, 3), filters=2, num_classes=2, neurons_per_class=3)
# conv2: (6-2+1)*2*2*4 = 80   conv3: (6-3+1)*2*3*4 = 96   pool2: 5*2 = 10   pool3: 4*2 = 8   fc: (2*2)*(2*3) = 24
HAND_OPS = {"conv2": 80, "conv3": 96, "pool2": 10, "pool3": 8, "fc": 24}


def test_dense_counts_by_hand():
    assert layer_ops(6, 4, **TOY) == HAND_OPS


def test_dnn_energy_is_macs_times_4_6_pj():
    energy = dnn_energy(6, 4, **TOY)
    assert energy["total_macs"] == 218
    assert energy["layers"]["conv3"] == {"macs": 96, "energy_pj": pytest.approx(96 * 4.6)}
    assert energy["total_uj"] == pytest.approx(218 * 4.6e-6)
    assert "4.6 pJ" in energy["formula"]


def test_snn_energy_counts_t_times_rate_times_dense_ops():
    rates = {"conv2": 0.25, "conv3": 0.25, "pool2": 0.5, "pool3": 0.1, "fc": 0.2}
    energy = snn_energy(6, 4, timesteps=10, input_rates=rates, **TOY)
    # synops: conv2 10*.25*80=200, conv3 10*.25*96=240, pool2 10*.5*10=50, pool3 10*.1*8=8, fc 10*.2*24=48
    expected = {"conv2": 200, "conv3": 240, "pool2": 50, "pool3": 8, "fc": 48}
    for name, synops in expected.items():
        assert energy["layers"][name]["synops"] == pytest.approx(synops)
        assert energy["layers"][name]["energy_pj"] == pytest.approx(synops * 0.9)
        assert energy["layers"][name]["macs"] == HAND_OPS[name]
    assert energy["total_synops"] == pytest.approx(546)
    assert energy["total_uj"] == pytest.approx(546 * 0.9e-6)
    assert energy["dnn_total_uj"] == pytest.approx(218 * 4.6e-6)
    assert energy["ratio_snn_to_dnn"] == pytest.approx(491.4 / 1002.8)
    assert energy["snn_cheaper"] is True


def test_a_dearer_snn_is_reported_as_such():
    rates = dict.fromkeys(HAND_OPS, 1.0)
    energy = snn_energy(6, 4, timesteps=10, input_rates=rates, **TOY)
    assert energy["ratio_snn_to_dnn"] == pytest.approx(2180 * 0.9 / (218 * 4.6))
    assert energy["ratio_snn_to_dnn"] > 1 and energy["snn_cheaper"] is False


def test_paper_scale_counts():
    """MR shape (L=35, D=300): conv MACs 11,460,000 as in the paper digest, + pooling 9,600 + fc 6,000."""
    energy = dnn_energy(35, 300)
    assert sum(energy["layers"][f"conv{k}"]["macs"] for k in (3, 4, 5)) == 11_460_000
    assert energy["total_macs"] == 11_460_000 + 9_600 + 6_000


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="lacks layers"):
        snn_energy(6, 4, timesteps=10, input_rates={"conv2": 0.1}, **TOY)
    with pytest.raises(ValueError, match="outside"):
        snn_energy(6, 4, timesteps=10, input_rates={**dict.fromkeys(HAND_OPS, 0.5), "fc": 1.5}, **TOY)
    with pytest.raises(ValueError, match="does not fit"):
        layer_ops(2, 4, **TOY)


def test_expected_input_rate_averages_all_inputs_including_padding():
    table = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.5, 0.5]])
    assert expected_input_rate(torch.tensor([[1, 2, 0]]), table) == pytest.approx(1 / 3)
