"""Checkpoints rebuild the same network from the file alone; bad files fail with their name."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from snntext.core.errors import SnntextError
from snntext.models.checkpoint import build_model, load_checkpoint, register_model_kind, save_checkpoint
from snntext.models.textcnn import KimTextCNN, TailoredTextCNN

TAILORED = {
    "embedding_dim": 6,
    "num_classes": 2,
    "neurons_per_class": 3,
    "kernel_sizes": [2, 3],
    "filters": 4,
    "dropout": 0.5,
    "zero_sum_filters": True,
}


@pytest.mark.parametrize(
    "kind, config",
    [
        ("tailored", TAILORED),
        ("kim", {"embedding_dim": 6, "num_classes": 3, "kernel_sizes": [2], "filters": 4, "dropout": 0.1}),
    ],
)
def test_round_trip_gives_identical_outputs(tmp_path, kind, config):
    torch.manual_seed(0)
    model = build_model(kind, config).eval()
    path = tmp_path / "sub" / "model.pt"
    save_checkpoint(path, model, kind, config, extra={"dev_acc": 0.75, "dataset": "toy"})
    loaded, payload = load_checkpoint(path)
    assert type(loaded) is type(model) and not loaded.training
    assert payload["kind"] == kind and payload["config"] == config and payload["extra"]["dev_acc"] == 0.75
    x = torch.rand(3, 8, 6)
    assert torch.equal(loaded(x), model(x))
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]  # no temp file left behind


def test_missing_and_corrupt_files_name_the_path(tmp_path):
    with pytest.raises(SnntextError, match="nowhere.pt"):
        load_checkpoint(tmp_path / "nowhere.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(SnntextError, match="bad.pt"):
        load_checkpoint(bad)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(SnntextError, match="other.pt.*not a snntext checkpoint"):
        load_checkpoint(other)


def test_weights_that_do_not_fit_the_config_are_reported(tmp_path):
    model = TailoredTextCNN(**TAILORED)
    path = tmp_path / "dnn.pt"
    save_checkpoint(path, model, "tailored", {**TAILORED, "filters": 5})
    with pytest.raises(SnntextError, match="dnn.pt.*do not fit"):
        load_checkpoint(path)


def test_unknown_kind_is_refused_when_saving_and_loading(tmp_path):
    model = KimTextCNN(6, 2)
    with pytest.raises(KeyError):
        save_checkpoint(tmp_path / "x.pt", model, "nonsense", {})
    path = tmp_path / "x.pt"
    torch.save({"kind": "nonsense", "config": {}, "state_dict": {}, "extra": {}}, path)
    with pytest.raises(SnntextError, match="unknown model kind 'nonsense'"):
        load_checkpoint(path)


class Doubler(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.scale = nn.Parameter(torch.full((size,), 2.0))

    def forward(self, x):
        return x * self.scale


def test_registered_kind_loads(tmp_path):
    register_model_kind("test-doubler", Doubler)
    register_model_kind("test-doubler", Doubler)  # idempotent for the same class
    with pytest.raises(ValueError):
        register_model_kind("test-doubler", KimTextCNN)
    save_checkpoint(tmp_path / "d.pt", Doubler(3), "test-doubler", {"size": 3})
    loaded, _ = load_checkpoint(tmp_path / "d.pt")
    assert torch.equal(loaded(torch.ones(3)), torch.full((3,), 2.0))
