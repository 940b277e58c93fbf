import torch

from snntext.core.params import config_from_dict
from snntext.training.direct import build_direct_snn, direct_finetune_config, run_direct_training
from tests.params_helper import project_params
from tests.training.test_dnn import separable_data


def config(**changes):
    base = {
        "timesteps": 8,
        "train_dnn.kernel_sizes": [2, 3],
        "train_dnn.filters": 8,
        "neurons_per_class": 2,
        "finetune.test_draws": 3,
        "convert.eval_batch_size": 32,
        "direct.epochs": 6,
        "direct.lr": 5e-2,
        "direct.batch_size": 16,
    }
    return config_from_dict(project_params({**base, **changes}), "params.yaml", registry=False)


def test_settings_come_from_the_direct_section():
    tune = direct_finetune_config(config(**{"direct.loss": "paper", "finetune.loss": "distill"}))
    assert (tune.epochs, tune.lr, tune.loss, tune.timesteps, tune.test_draws) == (6, 5e-2, "paper", 8, 3)
    assert tune.zero_sum_filters is True
    assert direct_finetune_config(config(**{"direct.zero_sum_filters": False})).zero_sum_filters is False


def test_network_is_fresh_with_its_own_beta():
    cfg = config(**{"beta": 1.0, "direct.beta": 0.9})
    a, b = build_direct_snn(separable_data(), cfg, seed=0), build_direct_snn(separable_data(), cfg, seed=0)
    assert a.config["beta"] == 0.9 and a.config["kernel_sizes"] == [2, 3] and a.fc.out_features == 4
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    c = build_direct_snn(separable_data(), cfg, seed=1)
    assert not torch.equal(a.convs[0].weight, c.convs[0].weight)


def test_learns_a_separable_task_from_scratch():
    torch.set_num_threads(1)
    snn, metrics = run_direct_training("tiny", separable_data(), config(), "cpu", log=lambda *_: None)
    start = metrics["history"][0]["dev_acc"]
    assert metrics["dev_acc"] > 0.85 and metrics["dev_acc"] > start + 0.2, metrics["history"]
    assert metrics["test_draws"] == 3 and len(metrics["test_acc_per_draw"]) == 3
    assert abs(metrics["test_mean"] - sum(metrics["test_acc_per_draw"]) / 3) < 1e-9
    assert metrics["epochs_run"] == 6 and metrics["beta"] == 0.95
