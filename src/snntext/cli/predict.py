"""Classifying new sentences with a trained dataset's DNN and fine-tuned SNN (`snntext predict`).

A sentence is tokenised as the embed stage did (snntext.data.tokenise.tokenise, jieba for Chinese), looked up
in the dataset's vocab.txt (unknown words -> <unk>, cut or padded to meta.json's max_len) and scored:
  DNN: softmax of the tailored TextCNN's class scores on the exact rates (table rows);
  SNN: output spike count per class over T steps of Bernoulli input spikes, drawn from a generator
       seeded with `seed` afresh for each sentence, over the full max_len positions, so a sentence's
       answer does not depend on what else is asked with it.
Both predicted labels are argmaxes (ties to the lowest class, as everywhere in the project).
`record_layers` keeps every layer's spikes of one run (forward hooks; the network is unchanged)
and `draw_raster` plots them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from snntext.core import paths
from snntext.core.atomic import atomic_path
from snntext.core.errors import SnntextError

if TYPE_CHECKING:
    from snntext.models.spiking import SpikingTextCNN

STAGE_OF = {
    "dnn.pt": "train_dnn",
    "snn.pt": "finetune",
    "table.npy": "embed",
    "vocab.txt": "embed",
    "meta.json": "embed",
}


def project_path(path: Path, project: str | Path | None) -> Path:
    """`path` (under paths.PROJECT_ROOT) moved under another project root, keeping the layout of snntext.core.paths."""
    return path if project is None else Path(project) / path.relative_to(paths.PROJECT_ROOT)


def checked_dataset(dataset: str) -> str:
    """A dataset argument that can name folders and stages (the registry decides whether it exists)."""
    from snntext.core.config import dataset_name

    try:
        return dataset_name(dataset)
    except ValueError as err:
        raise SnntextError(f"dataset {dataset!r} {err}") from None


def require_built(path: Path, dataset: str) -> Path:
    if not path.is_file():
        stage = STAGE_OF[path.name]
        raise SnntextError(f"{path}: not found; build it first with `dvc repro {stage}@{dataset}`")
    return path


@dataclass
class Classifier:
    """Everything needed to score sentences of one dataset."""

    dataset: str
    labels: list[str]
    language: str
    max_len: int
    index: dict[str, int]
    table: torch.Tensor  # float32 [V, D] firing rates
    dnn: torch.nn.Module
    snn: SpikingTextCNN
    timesteps: int
    seed: int


@dataclass
class Prediction:
    text: str
    tokens: list[str]
    unknown: list[str]  # tokens read as <unk> (no vector)
    truncated: int  # tokens past max_len (not read)
    dnn_probs: list[float]
    snn_counts: list[int]
    dnn_label: int
    snn_label: int
    recording: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)


def load_classifier(
    dataset: str, *, timesteps: int, seed: int, project: str | Path | None = None, registry=None
) -> Classifier:
    """The dataset's models and table from data/models/<dataset>/ and data/embedded/<dataset>/
    (under `project` when given); labels and language from the source registry."""
    from snntext.core.registry import load_registry
    from snntext.data.vocab import vocab_index
    from snntext.models.checkpoint import load_checkpoint
    from snntext.models.spiking import SpikingTextCNN

    checked_dataset(dataset)
    if timesteps < 1:
        raise SnntextError(f"timesteps must be at least 1, got {timesteps}")
    spec = (registry or load_registry()).dataset(dataset)
    models, embedded = (
        project_path(paths.models_dir(dataset), project),
        project_path(paths.embedded_dir(dataset), project),
    )
    table_path, vocab_path, meta_path = (
        require_built(embedded / name, dataset) for name in ("table.npy", "vocab.txt", "meta.json")
    )
    dnn_path, snn_path = require_built(models / "dnn.pt", dataset), require_built(models / "snn.pt", dataset)
    try:
        table = torch.from_numpy(np.load(table_path, allow_pickle=False).astype(np.float32))
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SnntextError(f"{embedded}: unreadable embedded data ({err}); rerun `dvc repro embed@{dataset}`") from None
    vocab = vocab_path.read_text(encoding="utf-8").split("\n")[:-1]
    if table.ndim != 2 or len(vocab) != table.shape[0]:
        raise SnntextError(
            f"{embedded}: vocab.txt has {len(vocab)} tokens for a table of shape {tuple(table.shape)}; "
            f"rerun `dvc repro embed@{dataset}`"
        )
    dnn, _ = load_checkpoint(dnn_path)
    snn, _ = load_checkpoint(snn_path)
    if not isinstance(snn, SpikingTextCNN):
        raise SnntextError(f"{snn_path}: holds a {type(snn).__name__}, not a spiking network")
    classes = snn.num_classes
    if len(spec.labels) != classes or getattr(dnn, "num_classes", classes) != classes:
        raise SnntextError(
            f"{models}: the networks have {classes} classes, the registry's {dataset} has "
            f"{len(spec.labels)} labels; rerun `dvc repro finetune@{dataset}`"
        )
    if snn.config["embedding_dim"] != table.shape[1]:
        raise SnntextError(
            f"{snn_path}: reads {snn.config['embedding_dim']}-d inputs, {table_path} is "
            f"{table.shape[1]}-d; rerun `dvc repro finetune@{dataset}`"
        )
    return Classifier(
        dataset=dataset,
        labels=list(spec.labels),
        language=meta.get("language", spec.language),
        max_len=int(meta.get("max_len", spec.max_len)),
        index=vocab_index(vocab),
        table=table,
        dnn=dnn,
        snn=snn,
        timesteps=int(timesteps),
        seed=int(seed),
    )


def record_layers(snn, spikes: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Run the SNN on input spikes [T, B, L, D]; returns (output spikes [T, B, C*N], recording) where
    recording holds each layer's spikes: "input" [T, B, L, D], "conv{k}" [T, B, L-k+1, F],
    "pool{k}" [T, B, F], "output" [T, B, C*N]. Forward hooks read the neuron layers' outputs."""
    recording = {"input": spikes}
    layers = [(f"conv{k}", m) for k, m in zip(snn.kernel_sizes, snn.conv_neurons)]
    layers += [(f"pool{k}", m) for k, m in zip(snn.kernel_sizes, snn.pool_neurons)]
    layers.append(("output", snn.out_neurons))

    def keep(name):
        def hook(_module, _inputs, output):
            recording[name] = output.detach()

        return hook

    handles = [module.register_forward_hook(keep(name)) for name, module in layers]
    try:
        with torch.no_grad():
            out = snn(spikes)
    finally:
        for handle in handles:
            handle.remove()
    return out, recording


def encode(classifier: Classifier, text: str) -> tuple[list[str], torch.Tensor]:
    """(tokens, ids [1, max_len]) of one sentence, as the embed stage encodes it."""
    from snntext.data.tokenise import tokenise
    from snntext.data.vocab import encode_ids

    tokens = tokenise(text, classifier.language)
    if not tokens:
        raise SnntextError(f"empty text {text!r}: nothing to classify")
    ids = encode_ids([tokens], classifier.index, classifier.max_len).astype(np.int64)
    return tokens, torch.from_numpy(ids)


def classify(classifier: Classifier, texts: list[str], record: bool = False) -> list[Prediction]:
    """One Prediction per text (see the module docstring); record=True keeps each layer's spikes."""
    from snntext.coding.spike_codes import input_spikes
    from snntext.data.vocab import UNK_ID
    from snntext.evaluation.scoring import class_scores

    if not texts:
        raise SnntextError("no text to classify")
    snn, dnn = classifier.snn.eval(), classifier.dnn.eval()
    out = []
    for text in texts:
        tokens, ids = encode(classifier, text)
        probs = torch.softmax(class_scores(dnn, ids, classifier.table), dim=1)[0]
        generator = torch.Generator().manual_seed(classifier.seed)
        spikes = input_spikes(classifier.table[ids], classifier.timesteps, generator, snn.input_code)
        if record:
            out_spikes, recording = record_layers(snn, spikes)
        else:
            with torch.no_grad():
                out_spikes, recording = snn(spikes), {}
        counts = snn.class_counts(out_spikes).sum(dim=0)[0]
        unknown = [tok for tok, i in zip(tokens, ids[0].tolist()) if i == UNK_ID]
        out.append(
            Prediction(
                text=text,
                tokens=tokens,
                unknown=unknown,
                truncated=max(0, len(tokens) - classifier.max_len),
                dnn_probs=[float(p) for p in probs],
                snn_counts=[int(c) for c in counts],
                dnn_label=int(probs.argmax()),
                snn_label=int(counts.argmax()),
                recording=recording,
            )
        )
    return out


def format_prediction(prediction: Prediction, classifier: Classifier) -> str:
    """A small table per sentence: class, DNN probability, SNN spike count; then both labels."""
    labels = classifier.labels
    width = max(len("class"), *(len(label) for label in labels))
    notes = [
        f"{len(prediction.tokens)} tokens",
        f"{len(prediction.unknown)} unknown" + (f": {' '.join(prediction.unknown)}" if prediction.unknown else ""),
    ]
    if prediction.truncated:
        notes.append(f"{prediction.truncated} past max_len {classifier.max_len}, not read")
    lines = [
        f"{prediction.text}  ({', '.join(notes)})",
        f"  {'class':<{width}}  DNN prob  SNN spikes (T={classifier.timesteps})",
    ]
    for c, label in enumerate(labels):
        lines.append(f"  {label:<{width}}  {prediction.dnn_probs[c]:8.4f}  {prediction.snn_counts[c]:10d}")
    lines.append(f"  DNN: {labels[prediction.dnn_label]}   SNN: {labels[prediction.snn_label]}")
    return "\n".join(lines)


def raster_format(path: Path) -> str:
    """The format the raster is saved in, from the file's suffix (none: png)."""
    fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "pdf", "svg"):
        raise SnntextError(f"{path}: raster format must be .png, .pdf or .svg")
    return fmt


def draw_raster(
    recording: dict[str, torch.Tensor],
    path: str | Path,
    *,
    labels: list[str] | None = None,
    neurons_per_class: int | None = None,
    length: int | None = None,
    title: str = "",
) -> Path:
    """One panel per layer (input, conv, pooled, output) of sample 0, time steps along x.

    Input and conv panels (thousands of neurons) are images, darker = more spikes in the rows a pixel
    covers; with `length` (tokens read) they keep only the positions that can spike (input: the first
    `length`; conv k: the first length + k - 1), since padding never does. Pooled and output panels
    mark each spike. The conv and pooled panels stack the branches (k = 3, 4, 5 ...), split by lines;
    the output panel is split into class blocks when `labels` and `neurons_per_class` are given.
    Written atomically (an unwritable path: SnntextError); the format follows the file's suffix (png, pdf, svg)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    path = Path(path)
    fmt = raster_format(path)

    def rows(name: str) -> torch.Tensor:
        """[T, neurons] of sample 0, padding positions cut when `length` is known."""
        spikes = recording[name][:, 0]
        if length is not None and name == "input":
            spikes = spikes[:, :length]
        elif length is not None and name.startswith("conv"):
            spikes = spikes[:, : length + int(name[4:]) - 1]
        return spikes.reshape(spikes.shape[0], -1).float()

    conv = sorted((n for n in recording if n.startswith("conv")), key=lambda n: int(n[4:]))
    pool = sorted((n for n in recording if n.startswith("pool")), key=lambda n: int(n[4:]))
    panels = [("input", ["input"]), ("conv", conv), ("pooled", pool), ("output", ["output"])]
    steps = recording["input"].shape[0]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(8, 11), sharex=True, gridspec_kw={"height_ratios": [2.5, 3, 2, 1.5]}
    )
    for ax, (panel, names) in zip(axes, panels):
        blocks = [rows(name) for name in names]
        total, size = sum(int(b.sum()) for b in blocks), sum(b.shape[1] for b in blocks)
        if panel in ("input", "conv"):
            ax.imshow(
                torch.cat(blocks, dim=1).T.numpy(),
                aspect="auto",
                cmap="Greys",
                vmin=0,
                vmax=1,
                origin="lower",
                interpolation="antialiased",
                extent=(-0.5, steps - 0.5, -0.5, size - 0.5),
            )
        else:
            t, n = torch.cat(blocks, dim=1).nonzero(as_tuple=True)
            ax.scatter(t.numpy(), n.numpy(), s=6, marker="|", linewidths=0.6, color="black")
        offset = 0
        for block in blocks[:-1]:
            offset += block.shape[1]
            ax.axhline(offset - 0.5, color="tab:blue", linewidth=0.6)
        ax.set_ylim(-0.5, size - 0.5)
        ax.set_ylabel(f"{panel}\n({size} neurons)")
        ax.set_title(f"{panel}: {' + '.join(names)}, {total} spikes", fontsize=9, loc="left")
        if panel == "output" and labels and neurons_per_class:
            for c in range(1, len(labels)):
                ax.axhline(c * neurons_per_class - 0.5, color="tab:red", linewidth=0.6)
            ax.set_yticks([c * neurons_per_class + (neurons_per_class - 1) / 2 for c in range(len(labels))])
            ax.set_yticklabels(labels)
    axes[-1].set_xlabel("time step")
    axes[-1].set_xlim(-0.5, steps - 0.5)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    try:
        with atomic_path(path) as temp:
            fig.savefig(temp, format=fmt, dpi=120)
    except OSError as err:
        raise SnntextError(
            f"{path}: cannot write the raster ({err.strerror or err}); the file was not written"
        ) from None
    finally:
        plt.close(fig)
    return path
