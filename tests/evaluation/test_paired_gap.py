import math

import pytest
import torch

from snntext.evaluation.paired_gap import paired_gap, snn_correct_over_draws
from snntext.models.spiking import evaluate_spiking
from snntext.models.textcnn import TailoredTextCNN
from snntext.training.conversion import convert
from tests.training.test_finetuning import toy_task


def test_gap_and_draw_spread_by_hand():
    dnn = torch.tensor([1, 1, 0, 0])
    snn = torch.tensor([[1, 0, 0, 0], [1, 0, 0, 1]])  # per sentence mean 1, 0, 0, .5 -> minus DNN 0, -1, 0, .5
    out = paired_gap(dnn, snn, resamples=500)
    assert out["gap_points"] == pytest.approx(-12.5)
    assert out["snn_acc_per_draw"] == [0.25, 0.5]
    assert out["snn_acc_mean"] == pytest.approx(0.375)
    assert out["snn_acc_std"] == pytest.approx(math.sqrt(2) * 0.125)
    assert out["dnn_acc"] == 0.5 and out["draws"] == 2 and out["sentences"] == 4
    assert out["ci_low_points"] <= out["gap_points"] <= out["ci_high_points"]
    assert -100 <= out["ci_low_points"] < out["ci_high_points"] <= 50


def test_identical_networks_have_a_zero_width_interval_and_one_draw_no_spread():
    correct = torch.tensor([1, 0, 1, 1, 0])
    out = paired_gap(correct, correct)
    assert out["gap_points"] == out["ci_low_points"] == out["ci_high_points"] == 0.0
    assert out["snn_acc_std"] == 0.0 and out["draws"] == 1


def test_interval_matches_the_normal_approximation_and_is_seeded():
    g = torch.Generator().manual_seed(1)
    n = 4000
    dnn = (torch.rand(n, generator=g) < 0.8).float()
    flip = torch.rand(n, generator=g) < 0.1  # the SNN disagrees on 10% of sentences
    snn = torch.where(flip, 1 - dnn, dnn)
    out = paired_gap(dnn, snn, resamples=2000, seed=3)
    diff = snn - dnn
    half_width = 1.96 * 100 * float(diff.std()) / math.sqrt(n)
    assert (out["ci_high_points"] - out["ci_low_points"]) / 2 == pytest.approx(half_width, rel=0.15)
    assert paired_gap(dnn, snn, resamples=2000, seed=3) == out
    assert paired_gap(dnn, snn, resamples=2000, seed=4)["ci_low_points"] != out["ci_low_points"]


def test_refuses_mismatched_or_empty_inputs():
    with pytest.raises(ValueError, match="same N"):
        paired_gap(torch.ones(3), torch.ones(2, 4))
    with pytest.raises(ValueError, match="same N"):
        paired_gap(torch.ones(0), torch.ones(1, 0))
    with pytest.raises(ValueError, match="resamples"):
        paired_gap(torch.ones(3), torch.ones(3), resamples=0)


def test_draws_are_the_seeded_evaluations():
    ids, labels, table = toy_task()
    torch.manual_seed(0)
    snn = convert(TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval(), "none")
    rows = snn_correct_over_draws(snn, ids, labels, table, timesteps=8, seeds=[4, 5, 6], batch_size=16)
    assert rows.shape == (3, len(labels))
    for row, seed in zip(rows, (4, 5, 6)):
        stats = evaluate_spiking(snn, ids, labels, table, timesteps=8, seed=seed, batch_size=16)
        assert float(row.mean()) == pytest.approx(stats.accuracy)
    with pytest.raises(ValueError, match="at least one seed"):
        snn_correct_over_draws(snn, ids, labels, table, timesteps=8, seeds=[])


def test_known_predictions_are_reused_not_recomputed():
    ids, labels, table = toy_task()
    torch.manual_seed(0)
    snn = convert(TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval(), "none")
    wrong = 1 - labels  # not what seed 4's spikes give: proves the row was not re-run
    rows = snn_correct_over_draws(snn, ids, labels, table, timesteps=8, seeds=[4, 5], batch_size=16, known={4: wrong})
    assert float(rows[0].sum()) == 0.0
    fresh = snn_correct_over_draws(snn, ids, labels, table, timesteps=8, seeds=[5], batch_size=16)
    assert torch.equal(rows[1], fresh[0])
    with pytest.raises(ValueError, match="known predictions of seed 4"):
        snn_correct_over_draws(snn, ids, labels, table, timesteps=8, seeds=[4], known={4: wrong[:-1]})
