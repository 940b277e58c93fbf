"""Scoring a DNN: class scores, predictions, accuracy, the majority baseline."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from snntext.data.batching import embed
from snntext.evaluation.scoring import accuracy, majority_class_accuracy, predict


class FirstTokenClassifier(nn.Module):
    """Scores [x0, 1 - x0] from the first coordinate of the first token: deterministic and checkable."""

    def forward(self, x):
        first = x[:, 0, 0]
        return torch.stack([first, 1 - first], dim=1)


def test_accuracy_and_predict_match_a_hand_computed_answer():
    table = torch.tensor([[0.0], [0.9], [0.1]])
    ids = torch.tensor([[1, 0], [2, 1], [2, 2], [1, 1]])  # first tokens: 0.9, 0.1, 0.1, 0.9 -> 0, 1, 1, 0
    labels = torch.tensor([0, 1, 0, 0])
    model = FirstTokenClassifier().train()
    assert predict(model, ids, table, 3, torch.device("cpu")).tolist() == [0, 1, 1, 0]
    assert accuracy(model, ids, labels, table, 3, torch.device("cpu")) == pytest.approx(0.75)
    assert model.training  # the mode is restored
    assert embed(ids, table).shape == (4, 2, 1)


def test_majority_class_accuracy_uses_the_train_majority():
    train = torch.tensor([1, 1, 0, 1, 2])
    assert majority_class_accuracy(train, torch.tensor([1, 0, 0, 0])) == pytest.approx(0.25)
    assert majority_class_accuracy(torch.tensor([0, 1]), torch.tensor([0, 0, 1])) == pytest.approx(2 / 3)


def test_class_scores_are_the_eval_mode_forward_and_predict_their_argmax():
    from snntext.evaluation.scoring import class_scores
    from snntext.models.textcnn import TailoredTextCNN

    g = torch.Generator().manual_seed(0)
    table = torch.rand(7, 4, generator=g)
    ids = torch.randint(1, 7, (11, 6), generator=g)
    torch.manual_seed(0)
    dnn = TailoredTextCNN(4, 2, neurons_per_class=2, kernel_sizes=(2, 3), filters=4, dropout=0.5).train()
    scores = class_scores(dnn, ids, table, batch_size=5)
    assert dnn.training  # mode restored
    with torch.no_grad():
        assert torch.allclose(scores, dnn.eval()(table[ids]), atol=1e-6)
    assert scores.shape == (11, 2)
    assert torch.equal(predict(dnn, ids, table, 5, torch.device("cpu")), scores.argmax(dim=1))
    assert predict(dnn, ids[:0], table, 5, torch.device("cpu")).shape == (0,)
