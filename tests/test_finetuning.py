import math

import pytest
import torch

from snntext.conversion import convert
from snntext.finetuning import FinetuneConfig, finetune, spike_count_loss
from snntext.models.textcnn import TailoredTextCNN


def test_loss_by_hand():
    counts = torch.tensor([[[2.0, 0.0]], [[0.0, 0.0]]])   # T=2, B=1, C=2
    y = torch.tensor([0])
    paper = (math.log(1 + math.exp(-2)) + math.log(2)) / 2
    assert float(spike_count_loss(counts, y, "paper")) == pytest.approx(paper)
    assert float(spike_count_loss(counts, y, "count")) == pytest.approx(math.log(1 + math.exp(-1)))
    assert float(spike_count_loss(counts, y, "count", temperature=0.5)) == pytest.approx(math.log(1 + math.exp(-2)))
    with pytest.raises(ValueError):
        spike_count_loss(counts, y, "mse")


def toy_task(seed=0):
    """Class 1 sentences use tokens whose vectors are bright in dims 0-1, class 0 in dims 2-3."""
    g = torch.Generator().manual_seed(seed)
    table = torch.zeros(7, 4)
    table[1:4, :2], table[4:7, 2:] = 0.9, 0.9
    table[1:] += 0.05
    labels = torch.randint(0, 2, (48,), generator=g)
    ids = torch.where(labels[:, None] == 1, torch.randint(1, 4, (48, 6), generator=g),
                      torch.randint(4, 7, (48, 6), generator=g))
    ids[:, 4:] = 0
    return ids, labels, table


def run(seed, loss="paper"):
    ids, labels, table = toy_task()
    torch.manual_seed(0)
    dnn = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4).eval()
    snn = convert(dnn, "none")
    cfg = FinetuneConfig(epochs=3, lr=3e-2, batch_size=16, loss=loss, timesteps=8, eval_timesteps=8)
    return snn, finetune(snn, ids[:32], labels[:32], ids[32:], labels[32:], table, cfg, seed=seed, log=lambda m: None)


def test_same_seed_same_history_and_learning():
    snn_a, a = run(3)
    snn_b, b = run(3)
    def without_time(history):
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]

    assert without_time(a.history) == without_time(b.history)
    assert all(torch.equal(x, y) for x, y in zip(snn_a.state_dict().values(), snn_b.state_dict().values()))
    assert len(a.history) == 4 and a.history[0]["epoch"] == 0
    assert a.best_dev_acc == max(h["dev_acc"] for h in a.history)
    assert a.best_dev_acc >= 0.9   # the toy task is easy once spikes flow


def test_count_loss_trains():
    _, result = run(1, loss="count")
    losses = [h["train_loss"] for h in result.history[1:]]
    assert losses[-1] < losses[0]
