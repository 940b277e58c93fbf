"""Shared fixtures for the attack tests: offline resources in a temp folder, a tiny vector set,
a tiny trained tailored TextCNN and a tiny spiking stand-in, and a network guard.

textattack can be imported once per process, so the offline preparation is session-wide.
"""

from __future__ import annotations

import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

# WordNet's fixed lexicographer-file table (lexnames(5WN)); Debian does not ship the file.
LEXNAMES = [
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
]
CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
STOPWORDS = [
    "a",
    "an",
    "the",
    "is",
    "was",
    "it",
    "this",
    "that",
    "of",
    "and",
    "or",
    "to",
    "in",
    "on",
    "for",
    "with",
    "as",
    "but",
    "not",
]

POSITIVE = ["good", "great", "fine", "superb", "lovely", "brilliant", "moving", "charming", "fun", "delightful"]
NEGATIVE = ["bad", "awful", "poor", "dull", "boring", "terrible", "weak", "bland", "tedious", "mediocre"]
NEUTRAL = ["movie", "film", "story", "plot", "actor", "script", "scene", "director", "cast", "music", "ending"]
TRAIN = (
    [(f"the {n} is {p}", 1) for n, p in zip(NEUTRAL, POSITIVE)]
    + [(f"the {n} is {q}", 0) for n, q in zip(NEUTRAL, NEGATIVE)]
    + [(f"a {p} {n} with a {p2} cast", 1) for n, p, p2 in zip(NEUTRAL, POSITIVE, reversed(POSITIVE))]
    + [(f"a {q} {n} with a {q2} cast", 0) for n, q, q2 in zip(NEUTRAL, NEGATIVE, reversed(NEGATIVE))]
)
EXAMPLES = [
    ("the movie is good and the cast is great", 1),
    ("the plot is dull and the script is weak", 0),
    ("a charming film with a superb ending", 1),
]


def write_resources(folder: Path) -> tuple[Path, Path]:
    """A stopwords.zip (English list only) and a lexnames file like the download stage's."""
    folder.mkdir(parents=True, exist_ok=True)
    stopwords = folder / "stopwords.zip"
    with zipfile.ZipFile(stopwords, "w") as archive:
        archive.writestr("stopwords/", "")
        archive.writestr("stopwords/english", "\n".join(STOPWORDS) + "\n")
    lexnames = folder / "lexnames"
    lexnames.write_text(
        "".join(f"{i:02d}\t{name}\t{CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES)),
        encoding="utf-8",
    )
    return stopwords, lexnames


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError(f"network blocked in test: connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture(scope="session")
def tiny_vectors():
    """10-dim vectors: dim 0 carries sentiment (+ positive, - negative), the rest is seeded noise."""
    rng = np.random.default_rng(0)
    words = POSITIVE + NEGATIVE + NEUTRAL + STOPWORDS + ["cinema", "nice", "horrible", "picture"]
    vectors = rng.normal(0, 0.3, (len(words), 10)).astype(np.float32)
    for i, word in enumerate(words):
        vectors[i, 0] = 1.0 if word in POSITIVE + ["nice"] else -1.0 if word in NEGATIVE + ["horrible"] else 0.0
    kv = KeyedVectors(vector_size=10, count=0, dtype=np.float32)
    kv.add_vectors(words, vectors)
    return kv


class TinySpiking(torch.nn.Module):
    """Stand-in with SpikingTextCNN's call contract: spikes [T,B,L,D] -> output spikes [T,B,C*N].

    Integrate-and-fire (threshold 1, reset by subtraction) on the DNN's output units per step.
    """

    def __init__(self, dnn):
        super().__init__()
        self.dnn = dnn
        self.num_classes = dnn.num_classes

    def forward(self, spikes):
        v = torch.zeros(())
        out = []
        for x in spikes:
            v = v + self.dnn.units(x)
            s = (v > 1.0).float()
            v = v - s
            out.append(s)
        return torch.stack(out)


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_vectors):
    """Embed the tiny corpus with the pipeline's own code and train a tiny tailored TextCNN."""
    from snntext.data.embed import embed_splits
    from snntext.data.tokenise import tokenise
    from snntext.models.textcnn import TailoredTextCNN

    texts = {"train": [t for t, _ in TRAIN], "dev": [t for t, _ in TRAIN[:4]], "test": [t for t, _ in EXAMPLES]}
    labels = {
        "train": np.array([y for _, y in TRAIN]),
        "dev": np.array([y for _, y in TRAIN[:4]]),
        "test": np.array([y for _, y in EXAMPLES]),
    }
    embedded = embed_splits(
        texts, labels, language="en", max_len=12, kv=tiny_vectors, clip_sigma=3.0, oov="paper", tokenise=tokenise
    )
    torch.manual_seed(0)
    model = TailoredTextCNN(
        embedding_dim=10, num_classes=2, neurons_per_class=2, kernel_sizes=(1, 2), filters=6, dropout=0.5
    )
    table = torch.from_numpy(embedded["table"])
    ids = torch.from_numpy(embedded["arrays"]["train_ids"].astype(np.int64))
    y = torch.from_numpy(embedded["arrays"]["train_labels"])
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(table[ids]) * 3, y)
        loss.backward()
        optimiser.step()
        model.project_filters()
    model.eval()
    return {"embedded": embedded, "dnn": model, "snn": TinySpiking(model).eval(), "vectors": tiny_vectors}


def job_parts(tiny_pipeline, offline_resources, examples: list, *, models: tuple[str, ...], **settings) -> dict:
    """AttackJob's arguments for the tiny pipeline's DNN and TinySpiking wrapped as every SNN in `models`,
    attacking `examples` (test rows 0, 1, ...); `settings` go to AttackConfig beside the tiny defaults."""
    from snntext.core.config import AttackConfig

    snn = TinySpiking(tiny_pipeline["dnn"]).eval()
    config = AttackConfig(
        **{"examples": len(EXAMPLES), "similarity": 0.5, "batch_size": 16, "timesteps": 8, "seed": 3, **settings},
        models=models,
    )
    embedded = tiny_pipeline["embedded"]
    return dict(
        language="en",
        models={name: tiny_pipeline["dnn"] if name == "dnn" else snn for name in models},
        embedded={k: embedded[k] for k in ("vocab", "table", "meta")},
        examples=list(examples),
        indices=list(range(len(examples))),
        settings=config,
        cache_dir=str(offline_resources.nltk_data.parent),
        vectors=tiny_pipeline["vectors"],
        wordnet_problem=offline_resources.wordnet_problem,
    )
