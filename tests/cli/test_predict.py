"""snntext.cli.predict on a tiny synthetic project in tmp_path: a table, a vocabulary and two small
networks saved as the pipeline saves them. No data/ needed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from snntext.cli.predict import classify, draw_raster, encode, format_prediction, load_classifier, record_layers
from snntext.core import paths
from snntext.core.errors import SnntextError
from snntext.models.checkpoint import save_checkpoint
from snntext.models.spiking import SpikingTextCNN
from snntext.models.textcnn import TailoredTextCNN

VOCAB = ["<pad>", "<unk>", "good", "bad", "film", "great", "awful", "a", "'s", "it"]
DIM, MAX_LEN = 8, 12


def make_project(
    root: Path,
    dataset: str = "mr",
    vocab=VOCAB,
    classes: int = 2,
    max_len: int = MAX_LEN,
    language: str = "en",
    models=("dnn.pt", "snn.pt"),
) -> Path:
    """data/embedded/<dataset>/ and data/models/<dataset>/ under root, laid out as snntext.core.paths says,
    plus a copy of the project's params.yaml."""
    rng = np.random.default_rng(0)
    embedded = root / paths.embedded_dir(dataset).relative_to(paths.PROJECT_ROOT)
    model_dir = root / paths.models_dir(dataset).relative_to(paths.PROJECT_ROOT)
    embedded.mkdir(parents=True)
    model_dir.mkdir(parents=True)
    table = rng.uniform(0, 1, (len(vocab), DIM)).astype(np.float32)
    table[0] = 0.0
    np.save(embedded / "table.npy", table)
    (embedded / "vocab.txt").write_text("".join(f"{t}\n" for t in vocab), encoding="utf-8")
    (embedded / "meta.json").write_text(json.dumps({"dim": DIM, "max_len": max_len, "language": language}))
    torch.manual_seed(0)
    dnn = TailoredTextCNN(DIM, classes, neurons_per_class=3, kernel_sizes=(2, 3), filters=5)
    dnn_config = dict(embedding_dim=DIM, num_classes=classes, neurons_per_class=3, kernel_sizes=[2, 3], filters=5)
    snn = SpikingTextCNN(DIM, classes, neurons_per_class=3, kernel_sizes=(2, 3), filters=5, threshold=0.3)
    snn.load_state_dict({**snn.state_dict(), **{k: v for k, v in dnn.state_dict().items()}})
    snn.pool_scale.fill_(3.0)
    if "dnn.pt" in models:
        save_checkpoint(model_dir / "dnn.pt", dnn, "tailored", dnn_config)
    if "snn.pt" in models:
        save_checkpoint(model_dir / "snn.pt", snn, "spiking", snn.config)
    shutil.copy(paths.PARAMS_FILE, root / "params.yaml")
    return root


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def test_scores_match_the_networks_run_directly(project):
    clf = load_classifier("mr", timesteps=20, seed=5, project=project)
    assert clf.labels == ["negative", "positive"] and clf.max_len == MAX_LEN
    [p] = classify(clf, ["Good film , it 's great"])
    assert p.tokens == ["good", "film", ",", "it", "'s", "great"] and p.unknown == [","]
    ids = torch.tensor([[2, 4, 1, 9, 8, 5] + [0] * (MAX_LEN - 6)])
    table = clf.table
    probs = torch.softmax(clf.dnn(table[ids]), dim=1)[0]
    np.testing.assert_allclose(p.dnn_probs, probs.tolist(), rtol=1e-6)
    assert p.dnn_label == int(probs.argmax())
    spikes = (torch.rand((20, 1, MAX_LEN, DIM), generator=torch.Generator().manual_seed(5)) < table[ids]).float()
    counts = clf.snn.class_counts(clf.snn(spikes)).sum(0)[0]
    assert p.snn_counts == counts.int().tolist() and sum(p.snn_counts) > 0
    assert p.snn_label == int(counts.argmax())


def test_deterministic_per_sentence_and_seeded(project):
    clf = load_classifier("mr", timesteps=30, seed=0, project=project)
    alone = classify(clf, ["bad awful film"])[0]
    together = classify(clf, ["good good great", "bad awful film"])[1]
    assert alone.snn_counts == together.snn_counts and alone.dnn_probs == together.dnn_probs
    others = [
        classify(load_classifier("mr", timesteps=30, seed=s, project=project), ["bad awful film"])[0].snn_counts
        for s in (1, 2, 3)
    ]
    assert any(c != alone.snn_counts for c in others)  # the seed does drive the spikes


def test_long_sentence_cut_at_max_len(project):
    clf = load_classifier("mr", timesteps=5, seed=0, project=project)
    tokens, ids = encode(clf, " ".join(["good"] * 20))
    assert len(tokens) == 20 and ids.shape == (1, MAX_LEN) and (ids == 2).all()
    [p] = classify(clf, [" ".join(["good"] * 20)])
    assert p.truncated == 8 and "8 past max_len 12, not read" in format_prediction(p, clf)


def test_format_lists_each_class_and_both_labels(project):
    clf = load_classifier("mr", timesteps=10, seed=0, project=project)
    [p] = classify(clf, ["good film"])
    text = format_prediction(p, clf)
    assert "SNN spikes (T=10)" in text and "negative" in text and "positive" in text
    assert f"DNN: {clf.labels[p.dnn_label]}   SNN: {clf.labels[p.snn_label]}" in text


def test_record_layers_leaves_the_network_unchanged(project):
    clf = load_classifier("mr", timesteps=15, seed=0, project=project)
    spikes = (torch.rand(15, 2, MAX_LEN, DIM, generator=torch.Generator().manual_seed(0)) < 0.6).float()
    with torch.no_grad():
        plain = clf.snn(spikes)
    out, rec = record_layers(clf.snn, spikes)
    assert torch.equal(out, plain) and torch.equal(rec["output"], plain)
    assert rec["conv2"].shape == (15, 2, MAX_LEN - 1, 5) and rec["conv3"].shape == (15, 2, MAX_LEN - 2, 5)
    assert rec["pool2"].shape == (15, 2, 5) and torch.equal(rec["input"], spikes)
    assert rec["conv2"].sum() > 0
    assert all(not m._forward_hooks for m in clf.snn.modules())


def test_raster_written_atomically(project, tmp_path):
    clf = load_classifier("mr", timesteps=12, seed=0, project=project)
    [p] = classify(clf, ["good film"], record=True)
    out = draw_raster(p.recording, tmp_path / "fig" / "r.png", labels=clf.labels, neurons_per_class=3, length=2)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [f.name for f in out.parent.iterdir()] == ["r.png"]
    with pytest.raises(SnntextError, match="png"):
        draw_raster(p.recording, tmp_path / "r.gif")
    (tmp_path / "taken").mkdir()
    with pytest.raises(SnntextError, match=r"taken: cannot write the raster \(Is a directory\); the file was not"):
        draw_raster(p.recording, tmp_path / "taken")
    assert [f.name for f in (tmp_path / "taken").iterdir()] == [] and not list(tmp_path.glob(".taken*"))


def test_chinese_sentence_goes_through_jieba(tmp_path):
    vocab = ["<pad>", "<unk>", "味道", "很", "好"]
    make_project(tmp_path, dataset="chnsenti", vocab=vocab, language="zh")
    clf = load_classifier("chnsenti", timesteps=5, seed=0, project=tmp_path)
    tokens, ids = encode(clf, "味道很好")
    assert tokens == ["味道", "很", "好"] and ids[0, :3].tolist() == [2, 3, 4]


@pytest.mark.parametrize("missing, stage", [("snn.pt", "finetune@mr"), ("dnn.pt", "train_dnn@mr")])
def test_missing_model_names_the_stage(tmp_path, missing, stage):
    make_project(tmp_path, models=[m for m in ("dnn.pt", "snn.pt") if m != missing])
    with pytest.raises(SnntextError, match=f"{missing}: not found; build it first with `dvc repro {stage}`"):
        load_classifier("mr", timesteps=5, seed=0, project=tmp_path)


def test_bad_inputs_are_user_errors(project, tmp_path):
    with pytest.raises(SnntextError, match="unknown dataset 'nope'"):
        load_classifier("nope", timesteps=5, seed=0, project=project)
    with pytest.raises(SnntextError, match="embed@sst2"):
        load_classifier("sst2", timesteps=5, seed=0, project=project)
    clf = load_classifier("mr", timesteps=5, seed=0, project=project)
    with pytest.raises(SnntextError, match="empty text"):
        classify(clf, ["  "])
    (project / "data" / "embedded" / "mr" / "vocab.txt").write_text("<pad>\n<unk>\n")
    with pytest.raises(SnntextError, match="vocab.txt has 2 tokens"):
        load_classifier("mr", timesteps=5, seed=0, project=project)
