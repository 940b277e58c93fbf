"""The tailored and Kim TextCNNs: shapes, the population read-out, and the zero-sum filters."""

from __future__ import annotations

import torch

from snntext.models.textcnn import KimTextCNN, TailoredTextCNN, population_scores


def filter_sums(model: TailoredTextCNN) -> torch.Tensor:
    return torch.cat([conv.weight.sum(dim=(1, 2, 3)) for conv in model.convs])


def test_tailored_shapes_and_population_sum():
    torch.manual_seed(0)
    model = TailoredTextCNN(embedding_dim=6, num_classes=3, neurons_per_class=4, kernel_sizes=(2, 3), filters=5).eval()
    x = torch.rand(7, 9, 6)
    assert model.pooled(x).shape == (7, 10)
    units = model.units(x)
    assert units.shape == (7, 12)
    scores = model(x)
    assert scores.shape == (7, 3)
    assert torch.allclose(scores[:, 1], units[:, 4:8].sum(dim=1))
    assert torch.allclose(population_scores(units, 3), scores)
    assert all(conv.bias is None for conv in model.convs) and model.fc.bias is None


def test_zero_sum_filters_hold_at_init_and_after_optimiser_steps():
    torch.manual_seed(0)
    model = TailoredTextCNN(embedding_dim=6, num_classes=2, kernel_sizes=(2, 3), filters=5)
    assert filter_sums(model).abs().max() < 1e-6
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(model(torch.rand(4, 8, 6)), torch.tensor([0, 1, 0, 1]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        assert filter_sums(model).abs().max() > 1e-4  # the step itself breaks the constraint
        model.project_filters()
        assert filter_sums(model).abs().max() < 1e-6


def test_zero_sum_filter_gives_no_current_for_a_constant_row_window():
    """An OOV token's row is constant (the shifted zero vector): a zero-sum filter ignores it like padding."""
    torch.manual_seed(0)
    model = TailoredTextCNN(embedding_dim=6, num_classes=2, kernel_sizes=(2,), filters=4).eval()
    x = torch.full((1, 5, 6), 0.47)
    assert model.pooled(x).abs().max() < 1e-6


def test_unprojected_filters_keep_their_default_init():
    torch.manual_seed(0)
    model = TailoredTextCNN(embedding_dim=6, num_classes=2, kernel_sizes=(2,), filters=8, zero_sum_filters=False)
    assert filter_sums(model).abs().max() > 1e-3


def test_kim_shapes():
    torch.manual_seed(0)
    model = KimTextCNN(embedding_dim=6, num_classes=5, kernel_sizes=(2, 3), filters=4).eval()
    assert model(torch.rand(3, 7, 6)).shape == (3, 5)
