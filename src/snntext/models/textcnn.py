"""The tailored TextCNN of Lv et al. (2023) and Kim's original TextCNN.

Both read the [0, 1]-shifted embeddings of a sentence, x: [B, L, D] (padding rows are
zero). The tailored network is built so that its weights can be copied into a spiking
network of the same shape: no biases, ReLU, average pooling over all positions (a rate),
and an output population of `neurons_per_class` units per class whose sum is the class
score. Attribute names (`convs`, `fc`) are shared with `SpikingTextCNN` so that a state
dict copies across unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, cast

import torch
from torch import nn
from torch.nn import functional as F

if TYPE_CHECKING:

    class _HasConvs(Protocol):
        convs: nn.ModuleList  # of nn.Conv2d


def population_scores(units: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Sum each class's block of output units: [..., C*N] -> [..., C] (class c owns units c*N..c*N+N-1)."""
    return units.unflatten(-1, (num_classes, -1)).sum(-1)


class TailoredTextCNN(nn.Module):
    def __init__(
        self,
        embedding_dim: int,
        num_classes: int,
        neurons_per_class: int = 10,
        kernel_sizes: tuple[int, ...] = (3, 4, 5),
        filters: int = 100,
        dropout: float = 0.5,
        zero_sum_filters: bool = True,
    ):
        super().__init__()
        self.num_classes = num_classes
        self.neurons_per_class = neurons_per_class
        self.kernel_sizes = tuple(kernel_sizes)
        self.zero_sum_filters = zero_sum_filters
        self.convs = nn.ModuleList(nn.Conv2d(1, filters, (k, embedding_dim), bias=False) for k in self.kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(filters * len(self.kernel_sizes), num_classes * neurons_per_class, bias=False)
        if zero_sum_filters:
            self.project_filters()

    @torch.no_grad()
    def project_filters(self: _HasConvs) -> None:
        """Give every conv filter zero weight-sum over its k x D kernel.

        The inputs are all >= 0 with mean ~0.5 and there is no bias, so without this each
        filter's gradient points along the all-positive mean input, Adam drifts the filter's
        common mode negative and the ReLUs die (see shared/notes/tailored-dnn-training.md).
        Call after every optimiser step when `zero_sum_filters` is on.
        """
        for conv in cast("Iterable[nn.Conv2d]", self.convs):
            conv.weight -= conv.weight.mean(dim=(1, 2, 3), keepdim=True)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """Average-pooled ReLU feature maps: [B, L, D] -> [B, len(kernels) * filters]."""
        x = x.unsqueeze(1)
        feats = [F.relu(conv(x)).squeeze(3).mean(dim=2) for conv in self.convs]
        return torch.cat(feats, dim=1)

    def units(self, x: torch.Tensor) -> torch.Tensor:
        """Output-population activations [B, C*N] (before the per-class sum)."""
        return self.fc(self.dropout(self.pooled(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return population_scores(self.units(x), self.num_classes)


class KimTextCNN(nn.Module):
    """Kim (2014): max pooling, biases, one output unit per class; the paper's 'TextCNN' reference row."""

    def __init__(
        self,
        embedding_dim: int,
        num_classes: int,
        kernel_sizes: tuple[int, ...] = (3, 4, 5),
        filters: int = 100,
        dropout: float = 0.5,
    ):
        super().__init__()
        self.num_classes = num_classes
        self.kernel_sizes = tuple(kernel_sizes)
        self.convs = nn.ModuleList(nn.Conv2d(1, filters, (k, embedding_dim)) for k in self.kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(filters * len(self.kernel_sizes), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(1)
        feats = [F.relu(conv(x)).squeeze(3).amax(dim=2) for conv in self.convs]
        return self.fc(self.dropout(torch.cat(feats, dim=1)))
