"""Energy per sentence: hand-counted windows, padding charged to neither network under the fair accounting,
the paper accounting's mean equal to the headline formula's totals, and the stage end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from snntext.evaluation.energy import dnn_energy, snn_energy
from snntext.evaluation.energy_overheads import overheads
from snntext.evaluation.sentence_energy import (
    ACCOUNTINGS,
    NetShape,
    SentenceCounts,
    bootstrap_means,
    count_sentence_ops,
    net_shape,
    sentence_energy,
    summarise,
    windows_containing,
    windows_touching,
)
from snntext.models.spiking import energy_input_rates, evaluate_spiking
from snntext.models.textcnn import TailoredTextCNN
from tests.evaluation.test_sweep import L, _tiny_project, tiny_data, tiny_net

ROOT = Path(__file__).resolve().parents[2]
T = 5
SHAPE = NetShape(L=8, D=6, kernel_sizes=(2, 3), filters=4, num_classes=2, neurons_per_class=2, timesteps=T)


def counts_of(tokens: list[int], *, L: int = 8, kernels: tuple[int, ...] = (2, 3)) -> SentenceCounts:
    """Hand-made counts of post-padded rows of `tokens` real tokens: 2 input spikes per real position, each
    fanned out to the windows containing it; 3 spikes per conv branch, 2 pooled, 1 out (none for an empty row)."""
    ids = torch.zeros(len(tokens), L, dtype=torch.long)
    for row, n in enumerate(tokens):
        ids[row, :n] = 1
    by_position = 2.0 * (ids != 0).double()
    present = torch.tensor([float(n > 0) for n in tokens], dtype=torch.float64)
    return SentenceCounts(
        tokens=torch.tensor(tokens, dtype=torch.float64),
        windows=windows_touching(ids, kernels),
        input_spikes=by_position.sum(dim=1),
        conv_fanout=by_position @ torch.stack([windows_containing(L, k) for k in kernels], dim=1),
        conv_spikes=3.0 * present.unsqueeze(1).expand(-1, len(kernels)),
        pooled_spikes=2.0 * present,
        out_spikes=present.clone(),
        predictions=torch.zeros(len(tokens), dtype=torch.long),
    )


def test_windows_touching_real_tokens_are_counted_by_hand():
    ids = torch.tensor(
        [
            [5, 6, 7, 0, 0, 0, 0, 0],  # 3 tokens: windows p = 0, 1, 2 touch them, for k = 2 and k = 3
            [5, 6, 7, 8, 9, 1, 2, 3],  # full: every valid window, L-k+1 = 7 and 6
            [0, 0, 0, 0, 0, 0, 0, 0],  # padding only
            [4, 0, 0, 0, 0, 0, 0, 0],  # 1 token: window p = 0 only
            [0, 0, 0, 0, 0, 0, 0, 9],  # a token at the end: windows p = 6 (k = 2) and p = 5 (k = 3)
        ]
    )
    assert windows_touching(ids, (2, 3)).tolist() == [[3, 3], [7, 6], [0, 0], [1, 1], [1, 1]]


def test_windows_containing_a_position_by_hand_and_by_enumeration():
    assert windows_containing(6, 3).tolist() == [1, 2, 3, 3, 2, 1]
    for length, k in ((8, 2), (8, 5), (5, 5), (9, 1)):
        brute = [sum(p <= j <= p + k - 1 for p in range(length - k + 1)) for j in range(length)]
        assert windows_containing(length, k).tolist() == brute


def test_one_short_sentence_is_charged_by_hand():
    e = sentence_energy(counts_of([3]), SHAPE, "fair")
    # DNN: conv 3 windows x F x k x D for k = 2, 3; pool 3 + 3 windows x F; fc len(K) x F x C x N
    assert e["dnn_macs"].item() == 4 * 6 * (3 * 2 + 3 * 3) + 4 * (3 + 3) + 2 * 4 * 4 == 416
    # SNN: 2 spikes at each of positions 0..2, F synops per window containing each (k=2: 1+2+2, k=3: 1+2+3),
    # plus 3 + 3 conv spikes into the pools and 2 pooled spikes x C x N into fc
    assert e["snn_synops"].item() == 4 * 2 * (5 + 6) + 6 + 2 * 4 == 102
    assert e["dnn_uj"].item() == pytest.approx(416 * 4.6e-6)
    assert e["snn_uj"].item() == pytest.approx(102 * 0.9e-6)
    # neuron updates: SNN T x (12 + 12 conv neurons + 8 pooled + 4 out) compares, 3+3+2+1 resets; DNN 24 ReLUs
    assert e["snn_with_neuron_updates_uj"].item() == pytest.approx((102 * 0.9 + T * 36 * 0.9 + 9 * 0.9) * 1e-6)
    assert e["dnn_with_neuron_updates_uj"].item() == pytest.approx((416 * 4.6 + 24 * 0.9) * 1e-6)
    leaky = sentence_energy(counts_of([3]), NetShape(**{**vars(SHAPE), "beta": 0.9}), "fair")
    assert leaky["snn_with_neuron_updates_uj"].item() == pytest.approx(
        (102 * 0.9 + T * 36 * (0.9 + 3.7) + 9 * 0.9) * 1e-6
    )


def test_padding_only_rows_cost_nothing_under_fair_and_full_L_under_paper():
    counts = counts_of([0, 3])
    fair, paper = sentence_energy(counts, SHAPE, "fair"), sentence_energy(counts, SHAPE, "paper")
    assert all(fair[term][0].item() == 0.0 for term in fair)
    assert paper["dnn_uj"][0].item() == pytest.approx(
        dnn_energy(8, 6, kernel_sizes=(2, 3), filters=4, num_classes=2, neurons_per_class=2)["total_uj"]
    )


def test_padding_is_charged_to_neither_network():
    # The same sentences in a longer padded row: the fair charge does not move; the paper charges the DNN more
    short, long = counts_of([3, 6], L=8), counts_of([3, 6], L=30)
    longer = NetShape(**{**vars(SHAPE), "L": 30})
    for term in ("dnn_uj", "snn_uj", "dnn_with_neuron_updates_uj", "snn_with_neuron_updates_uj"):
        assert torch.equal(sentence_energy(short, SHAPE)[term], sentence_energy(long, longer)[term]), term
    assert (sentence_energy(long, longer, "paper")["dnn_uj"] > sentence_energy(short, SHAPE, "paper")["dnn_uj"]).all()
    # and the DNN's fair charge is below the paper's for a sentence shorter than L
    assert (sentence_energy(short, SHAPE, "fair")["dnn_uj"] < sentence_energy(short, SHAPE, "paper")["dnn_uj"]).all()


def test_the_input_layer_counts_do_not_see_extra_padding():
    net, (ids, _, table) = tiny_net(), tiny_data()
    ids = ids.clone()
    ids[:, L - 2 :] = 0  # every row ends in padding, so no window of the real tokens meets the row's end
    padded = torch.cat([ids, torch.zeros(len(ids), 5, dtype=ids.dtype)], dim=1)
    a = count_sentence_ops(net, ids, table, timesteps=T, seed=2, batch_size=16)
    b = count_sentence_ops(net, padded, table, timesteps=T, seed=2, batch_size=16)
    assert torch.equal(a.input_spikes, b.input_spikes) and torch.equal(a.conv_fanout, b.conv_fanout)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.windows, b.windows)


@pytest.mark.parametrize("beta", [1.0, 0.8])
def test_paper_accounting_reproduces_the_headline_totals_and_the_same_draw(beta):
    net, (ids, labels, table) = tiny_net(), tiny_data()
    for node in [*net.conv_neurons, *net.pool_neurons, net.out_neurons]:
        node.beta = beta
    ids[3] = 0  # a row of padding only
    counts = count_sentence_ops(net, ids, table, timesteps=T, seed=7, batch_size=16)
    stats = evaluate_spiking(net, ids, labels, table, timesteps=T, seed=7, batch_size=16)
    assert torch.equal(counts.predictions, stats.predictions)
    shape = net_shape(net, L, timesteps=T, beta=beta)
    headline = snn_energy(
        L,
        shape.D,
        timesteps=T,
        input_rates=energy_input_rates(stats.firing_rates, net.kernel_sizes),
        kernel_sizes=net.kernel_sizes,
        filters=shape.filters,
        num_classes=2,
        neurons_per_class=2,
    )
    paper = sentence_energy(counts, shape, "paper")
    assert paper["snn_uj"].mean().item() == pytest.approx(headline["total_uj"], rel=1e-6)
    assert paper["dnn_uj"].mean().item() == pytest.approx(headline["dnn_total_uj"], rel=1e-12)
    assert paper["snn_synops"].mean().item() == pytest.approx(headline["total_synops"], rel=1e-6)
    extra = overheads(headline, stats.firing_rates, filters=shape.filters, beta=beta)
    updates = paper["snn_with_neuron_updates_uj"] - paper["snn_uj"]
    assert updates.mean().item() == pytest.approx(extra["snn_uj"]["neuron_updates"], rel=1e-6)
    dnn_updates = paper["dnn_with_neuron_updates_uj"] - paper["dnn_uj"]
    assert dnn_updates.mean().item() == pytest.approx(extra["dnn_uj"]["neuron_updates"], rel=1e-12)
    # the SNN's own work is the same in both accountings past the input layer, and padding costs it nothing
    fair = sentence_energy(counts, shape, "fair")
    assert fair["snn_uj"][3].item() == 0.0 and fair["dnn_uj"][3].item() == 0.0 and paper["dnn_uj"][3].item() > 0


def test_summary_means_ratios_and_intervals():
    counts = counts_of([0, 3, 5, 8, 2, 7])
    s = summarise(counts, SHAPE, resamples=300, seed=1)
    assert s["sentences"] == 6 and s["empty_sentences"] == 1 and s["default"] == "fair"
    assert s["tokens_mean"] == pytest.approx(25 / 6) and s["real_token_share"] == pytest.approx(25 / 48)
    # 2 spikes per real position over D = 6 channels
    assert s["spikes_per_input_channel"]["mean"] == pytest.approx(2 / 6)
    assert set(s["accountings"]) == set(ACCOUNTINGS)
    for name in ACCOUNTINGS:
        acc, per = s["accountings"][name], sentence_energy(counts, SHAPE, name)
        for term in ("dnn_uj", "snn_uj", "snn_with_neuron_updates_uj"):
            assert acc[term]["mean"] == pytest.approx(per[term].mean().item())
            assert acc[term]["ci_low"] <= acc[term]["mean"] <= acc[term]["ci_high"]
        for ratio, snn, dnn in (
            ("ratio", "snn_uj", "dnn_uj"),
            ("ratio_with_neuron_updates", "snn_with_neuron_updates_uj", "dnn_with_neuron_updates_uj"),
        ):
            assert acc[ratio]["value"] == pytest.approx(acc[snn]["mean"] / acc[dnn]["mean"])
            assert acc[ratio]["ci_low"] <= acc[ratio]["value"] <= acc[ratio]["ci_high"]
    assert summarise(counts, SHAPE, resamples=300, seed=1) == s
    with pytest.raises(ValueError, match="no sentence"):
        summarise(counts_of([0, 0]), SHAPE, resamples=10)


def test_bootstrap_is_paired_and_seeded():
    columns = torch.arange(10, dtype=torch.float64).unsqueeze(1).repeat(1, 2)
    draws = bootstrap_means(columns, resamples=50, seed=3)
    assert torch.equal(draws[:, 0], draws[:, 1]) and torch.equal(draws, bootstrap_means(columns, resamples=50, seed=3))
    with pytest.raises(ValueError):
        bootstrap_means(columns[:0], resamples=5, seed=0)


def test_unknown_accounting_is_refused():
    with pytest.raises(ValueError, match="fair, paper"):
        sentence_energy(counts_of([2]), SHAPE, "cheap")


def test_stage_writes_both_accountings_per_split(tmp_path):
    _tiny_project(tmp_path, {"timesteps": [1, 4], "splits": ["test"], "batch_size": 4})
    env = {**os.environ, "SNNTEXT_ROOT": str(tmp_path), "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "stages" / "energy.py"), "toy"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "metrics" / "energy" / "toy.json").read_text())
    assert metrics["dataset"] == "toy" and set(metrics["splits"]) == {"test", "dev"} and "ran_on" in metrics
    test = metrics["splits"]["test"]
    assert set(test["accountings"]) == {"fair", "paper"} and 0 <= test["accuracy"] <= 1
    draws = test["accuracy_over_draws"]
    assert draws["draws"] == len(draws["per_draw"]) >= 1 and draws["per_draw"][0] == pytest.approx(
        test["accuracy"], abs=1e-6
    )
    assert draws["mean"] == sum(draws["per_draw"]) / draws["draws"]
    assert test["accountings"]["fair"]["ratio"]["ci_low"] <= test["accountings"]["fair"]["ratio"]["value"]
    assert metrics["shape"]["kernel_sizes"] == [2, 3] and metrics["shape"]["L"] == L
    assert "energy toy test: fair SNN/DNN" in done.stdout


def test_latency_energy_counts_one_event_per_channel_by_hand():
    """Under the latency code a sentence's input spikes are its channels above 0, one each whatever T, fanned out
    to the windows containing them; F synops per event and window, not per step a channel is on."""
    from tests.evaluation.test_sweep import latency_net

    net = latency_net()
    table = torch.zeros(5, 6)
    table[1] = torch.tensor([0.9, 0.0, 0.3, 0.0, 0.0, 1.0])  # 3 channels fire
    table[2] = torch.tensor([0.0, 0.2, 0.0, 0.0, 0.0, 0.0])  # 1
    table[3] = torch.tensor([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])  # 6
    table[4] = 0.0  # a silent word (inside the dead zone everywhere)
    ids = torch.tensor([[1, 2, 3, 0, 0, 0, 0, 0], [3, 4, 1, 1, 2, 0, 0, 0], [0] * 8])
    per_position = (table[ids] > 0).double().sum(dim=2)  # [N, L]
    fanout = torch.stack([windows_containing(L, k) for k in (2, 3)], dim=1)  # [L, K]
    for timesteps in (3, 20):
        counts = count_sentence_ops(net, ids, table, timesteps=timesteps, seed=0, batch_size=2)
        assert counts.input_spikes.tolist() == [10.0, 13.0, 0.0]  # 3 + 1 + 6; 6 + 0 + 3 + 3 + 1
        assert torch.equal(counts.input_spikes, per_position.sum(dim=1))
        assert torch.equal(counts.conv_fanout, per_position @ fanout)
        shape = net_shape(net, L, timesteps=timesteps)
        assert shape.input_code == "latency"
        fair = sentence_energy(counts, shape, "fair")
        conv_synops = 4 * (per_position @ fanout).sum(dim=1)  # F = 4 per event and window containing it
        expected = conv_synops + counts.conv_spikes.sum(dim=1) + counts.pooled_spikes * shape.out_units
        assert torch.equal(fair["snn_synops"], expected)
        # the paper accounting: T x rate x dense ops = events x the mean fan-out over all L positions
        paper = sentence_energy(counts, shape, "paper")
        dense = sum(4 * k * (L - k + 1) for k in (2, 3)) / L
        torch.testing.assert_close(paper["snn_synops"] - fair["snn_synops"] + conv_synops, counts.input_spikes * dense)
        summary = summarise(counts, shape, resamples=50)
        # spikes per input channel of the sentences with a real token: events / (n_i x D) <= 1
        assert summary["spikes_per_input_channel"]["mean"] == pytest.approx((10 / 18 + 13 / 30) / 2)
        # holding the current: one more addition per convolution neuron and step, on top of the rate code's
        rate = sentence_energy(counts, NetShape(**{**vars(shape), "input_code": "rate"}), "fair")
        extra = fair["snn_with_neuron_updates_uj"] - rate["snn_with_neuron_updates_uj"]
        conv_neurons = 4 * counts.windows.sum(dim=1)
        torch.testing.assert_close(extra, timesteps * conv_neurons * 0.9e-6)


def test_net_shape_takes_the_snns_input_code_for_the_dnn_too():
    from tests.evaluation.test_sweep import latency_net

    net = latency_net()
    dnn = TailoredTextCNN(6, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4)
    assert net_shape(net, L, timesteps=T).input_code == "latency"
    assert net_shape(dnn, L, timesteps=T).input_code == "rate"
    assert net_shape(dnn, L, timesteps=T, input_code="latency") == net_shape(net, L, timesteps=T)
