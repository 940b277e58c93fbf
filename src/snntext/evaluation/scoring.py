"""Scoring a (non-spiking) classifier on word ids: class scores, predictions, accuracy."""

from __future__ import annotations

import torch
from torch import nn

from snntext.data.batching import batches, embed


@torch.no_grad()
def class_scores(
    model: nn.Module, ids: torch.Tensor, table: torch.Tensor, batch_size: int = 256, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """Class scores [N, C] of a DNN on the exact rates, in eval mode (dropout off; the mode it had
    is restored), on the CPU: what `predict` takes the argmax of and the distill loss's targets."""
    was_training = model.training
    model.eval()
    table = table.to(device)
    try:
        out = [model(embed(b, table)).cpu() for b, _ in batches(ids, None, batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.empty(0, 0)


def predict(
    model: nn.Module, ids: torch.Tensor, table: torch.Tensor, batch_size: int, device: torch.device
) -> torch.Tensor:
    """Predicted class per example: argmax of class_scores (ties: the lower class)."""
    return (
        class_scores(model, ids, table, batch_size, device).argmax(dim=1)
        if len(ids)
        else torch.empty(0, dtype=torch.int64)
    )


def accuracy(
    model: nn.Module,
    ids: torch.Tensor,
    labels: torch.Tensor,
    table: torch.Tensor,
    batch_size: int,
    device: torch.device,
) -> float:
    """Share of examples whose predicted class equals the label."""
    if len(labels) == 0:
        raise ValueError("accuracy of an empty split")
    return float((predict(model, ids, table, batch_size, device) == labels.cpu()).float().mean())


def majority_class_accuracy(train_labels: torch.Tensor, eval_labels: torch.Tensor) -> float:
    """Accuracy of always answering the most frequent TRAIN class (ties: the smaller label)."""
    majority = int(torch.bincount(train_labels).argmax())
    return float((eval_labels == majority).float().mean())
