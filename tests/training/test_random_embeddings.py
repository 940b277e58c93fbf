import numpy as np
import pytest
import torch

from snntext.core.params import config_from_dict
from snntext.training.random_embeddings import random_rate_table, run_random_embeddings, with_random_table
from tests.params_helper import project_params
from tests.training.test_dnn import separable_data


def test_random_table_is_shifted_like_the_pretrained_one():
    table = random_rate_table(500, 20, clip_sigma=1.5, oov="paper", seed=3)
    assert table.dtype == np.float32 and table.shape == (500, 20)
    assert (table[0] == 0).all()
    assert np.allclose(table[1], 0.5)  # the shift of the zero vector
    words = table[2:]
    assert words.min() == 0.0 and words.max() == 1.0  # clipped at +-1.5 sigma, mapped to [0, 1]
    assert abs(words.mean() - 0.5) < 0.01
    # N(0, 1) beyond 1.5 sigma on either side: about 13.4% of entries sit at 0 or 1
    assert 0.11 < np.isin(words, (0.0, 1.0)).mean() < 0.16


def test_random_table_follows_the_seed_and_the_oov_policy():
    a = random_rate_table(50, 8, clip_sigma=3.0, oov="paper", seed=1)
    assert np.array_equal(a, random_rate_table(50, 8, clip_sigma=3.0, oov="paper", seed=1))
    assert not np.array_equal(a, random_rate_table(50, 8, clip_sigma=3.0, oov="paper", seed=2))
    zero = random_rate_table(50, 8, clip_sigma=3.0, oov="zero", seed=1)
    assert (zero[1] == 0).all() and np.array_equal(zero[2:], a[2:])
    with pytest.raises(ValueError, match="at least the padding"):
        random_rate_table(1, 8, clip_sigma=3.0, oov="paper", seed=1)


def test_only_the_table_changes():
    data = separable_data()
    random = with_random_table(data, clip_sigma=1.5, oov="paper", seed=0)
    assert random.table.shape == data.table.shape and not torch.equal(random.table, data.table)
    assert torch.equal(random.train.ids, data.train.ids) and torch.equal(random.test.labels, data.test.labels)
    assert random.meta["vectors"] == "random-normal-4d" and random.meta["labels"] == ["a", "b"]


@pytest.mark.parametrize("code", ["signed", "latency"])
def test_the_random_table_is_in_the_embedded_tables_input_code(code):
    """Under the signed codes the random vectors have half the table's columns, put in that code with its dead
    zone, as the embed stage puts the pre-trained ones."""
    from snntext.coding.input_codes import signed_table

    data = separable_data()
    data.meta.update(code=code, dead_zone=0.5)
    random = with_random_table(data, clip_sigma=1.5, oov="paper", seed=0)
    assert random.table.shape == data.table.shape and random.meta["vectors"] == "random-normal-2d"
    shifted = random_rate_table(data.table.shape[0], 2, clip_sigma=1.5, oov="paper", seed=0)
    assert torch.equal(random.table, torch.from_numpy(signed_table(shifted, 0.5, 1.5)))


def tiny_config():
    data = project_params(
        {
            "timesteps": 4,
            "train_dnn.epochs": 3,
            "train_dnn.kernel_sizes": [2, 3],
            "train_dnn.filters": 8,
            "train_dnn.rate_code_steps": 4,
            "finetune.epochs": 1,
            "finetune.dev_draws": 1,
            "finetune.test_draws": 2,
            "convert.eval_batch_size": 32,
            "direct.epochs": 2,
            "direct.lr": 1e-2,
        }
    )
    return config_from_dict(data, "params.yaml", registry=False)


def test_runs_dnn_conversion_and_finetuning_on_random_vectors():
    metrics = run_random_embeddings("tiny", separable_data(), tiny_config(), "cpu", log=lambda *_: None)
    for key in ("dnn_test_acc", "converted_test_acc", "snn_test_acc", "snn_test_mean", "gap_points"):
        assert 0.0 <= metrics[key] <= 1.0 or key == "gap_points"
    assert metrics["test_draws"] == 2 and len(metrics["paired_gap"]["snn_acc_per_draw"]) == 2
    assert set(metrics["seconds"]) == {"train_dnn", "convert", "finetune"}
    assert 0.4 < metrics["mean_input_rate"] < 0.6
    again = run_random_embeddings("tiny", separable_data(), tiny_config(), "cpu", log=lambda *_: None)
    assert again["snn_test_mean"] == metrics["snn_test_mean"] and again["dnn_test_acc"] == metrics["dnn_test_acc"]
