"""Training loop for the DNNs (tailored and Kim TextCNN), and the activation statistics
the DNN -> SNN conversion normalises with.

Model selection uses the DEV split only: the state with the best dev accuracy is kept and
training stops after `patience` epochs without a dev improvement. (The authors' code picks
the best TEST epoch; we do not.) Every random draw (init, shuffling, dropout) derives from
the seed passed in, so the same seed gives the same history on the same device.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, overload

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from snntext.coding.input_codes import spike_code
from snntext.coding.latency import latency_code_mean
from snntext.coding.spike_codes import coded_mean
from snntext.core.atomic import write_text_atomic
from snntext.core.config import TrainConfig
from snntext.core.device import seed_everything
from snntext.data.batching import batches, embed
from snntext.data.embedded import EmbeddedData
from snntext.evaluation.scoring import accuracy
from snntext.models.checkpoint import build_model
from snntext.models.textcnn import TailoredTextCNN

EVAL_BATCH_SIZE = 256
HISTORY_COLUMNS = ("epoch", "model", "train_loss", "dev_acc")


@dataclass
class TrainResult:
    best_state: dict[str, torch.Tensor]  # CPU copy of the weights at the best-dev epoch
    best_epoch: int  # 1-based
    best_dev_acc: float
    history: list[dict[str, Any]] = field(default_factory=list)  # {epoch, train_loss, dev_acc}
    seconds: float = 0.0

    @property
    def epochs_run(self) -> int:
        return len(self.history)


def train_classifier(
    model: nn.Module,
    data: EmbeddedData,
    *,
    epochs: int,
    lr: float,
    weight_decay: float,
    batch_size: int,
    patience: int,
    seed: int,
    device: torch.device,
    after_step: Callable[[], None] | None = None,
    rate_code_steps: int = 0,
    code: str = "rate",
    progress: bool = True,
    desc: str = "train",
) -> TrainResult:
    """AdamW on cross-entropy of the class scores; keeps the best-dev state and loads it back.

    after_step runs after every optimiser step (the tailored net's project_filters).
    rate_code_steps > 0 trains on what T = rate_code_steps steps of the SNN's input code deliver
    (snntext.coding.spike_codes.coded_mean): under `code` rate the mean of that many Bernoulli draws of
    every input, fresh each batch from a generator seeded with `seed`, so that the net learns weights that
    tolerate the SNN's input noise; under latency each value quantised to its latency's (T - t(x)) / T,
    what the SNN's first layer integrates. Dev is scored on exact rates.
    patience = 0 disables early stopping. Seeds torch here (dropout), shuffles with seed+epoch.
    """
    torch.manual_seed(seed)
    model.to(device)
    table = data.table.to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    noise = torch.Generator(device=device).manual_seed(seed) if rate_code_steps > 0 else None
    best_dev, best_epoch, best_state = -1.0, 0, None
    history: list[dict[str, Any]] = []
    start = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc=desc, unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total_loss, seen = 0.0, 0
        for ids, labels in batches(
            data.train.ids, data.train.labels, batch_size, shuffle=True, seed=seed * 100_003 + epoch
        ):
            labels = labels.to(device)
            inputs = embed(ids, table)
            if noise is not None:
                inputs = coded_mean(inputs, rate_code_steps, noise, code)
            loss = F.cross_entropy(model(inputs), labels)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if after_step is not None:
                after_step()
            total_loss += loss.item() * len(labels)
            seen += len(labels)
        dev_acc = accuracy(model, data.dev.ids, data.dev.labels, table, EVAL_BATCH_SIZE, device)
        history.append({"epoch": epoch, "train_loss": total_loss / max(seen, 1), "dev_acc": dev_acc})
        if dev_acc > best_dev:
            best_dev, best_epoch = dev_acc, epoch
            best_state = {name: t.detach().cpu().clone() for name, t in model.state_dict().items()}
        bar.set_postfix(
            loss=f"{history[-1]['train_loss']:.4f}", dev=f"{dev_acc:.4f}", best=f"{best_dev:.4f}@{best_epoch}"
        )
        if patience > 0 and epoch - best_epoch >= patience:
            break
    bar.close()
    # set in epoch 1 (epochs >= 1): a dev accuracy is >= 0 > -1
    model.load_state_dict(cast("dict[str, torch.Tensor]", best_state))
    model.eval()
    return TrainResult(
        cast("dict[str, torch.Tensor]", best_state), best_epoch, best_dev, history, time.perf_counter() - start
    )


def result_metrics(
    name: str, model: nn.Module, result: TrainResult, data: EmbeddedData, device: torch.device
) -> dict[str, Any]:
    """Flat metrics of one trained model: dev/test accuracy at the best-dev epoch, epochs, time."""
    test_acc = accuracy(model, data.test.ids, data.test.labels, data.table, EVAL_BATCH_SIZE, device)
    return {
        f"{name}_dev_acc": result.best_dev_acc,
        f"{name}_test_acc": test_acc,
        f"{name}_best_epoch": result.best_epoch,
        f"{name}_epochs_run": result.epochs_run,
        f"{name}_seconds": round(result.seconds, 2),
        f"{name}_seconds_per_epoch": round(result.seconds / max(result.epochs_run, 1), 3),
    }


def model_config(kind: str, cfg: TrainConfig, embedding_dim: int, num_classes: int) -> dict[str, Any]:
    """Constructor kwargs of a "tailored" or "kim" network (also stored in its checkpoint)."""
    config = {
        "embedding_dim": embedding_dim,
        "num_classes": num_classes,
        "kernel_sizes": list(cfg.kernel_sizes),
        "filters": cfg.filters,
        "dropout": cfg.dropout,
    }
    if kind == "tailored":
        config.update(neurons_per_class=cfg.neurons_per_class, zero_sum_filters=bool(cfg.zero_sum_filters))
    return config


@overload
def train_model(
    kind: Literal["tailored"],
    data: EmbeddedData,
    cfg: TrainConfig,
    *,
    seed: int,
    device: torch.device,
    progress: bool = True,
) -> tuple[TailoredTextCNN, dict[str, Any], TrainResult]: ...
@overload
def train_model(
    kind: str, data: EmbeddedData, cfg: TrainConfig, *, seed: int, device: torch.device, progress: bool = True
) -> tuple[nn.Module, dict[str, Any], TrainResult]: ...
def train_model(
    kind: str, data: EmbeddedData, cfg: TrainConfig, *, seed: int, device: torch.device, progress: bool = True
) -> tuple[nn.Module, dict[str, Any], TrainResult]:
    """Build a network of `kind` from the seed, train it; returns (best model, its config, result).
    cfg.lr must be resolved for the dataset (TrainConfig.for_dataset). The tailored net trains on the
    input code of the table (data.meta "code": rate, or latency for embed.code latency)."""
    config = model_config(kind, cfg, data.embedding_dim, data.num_classes)
    seed_everything(seed)
    model = build_model(kind, config).to(device)
    after_step = cast(TailoredTextCNN, model).project_filters if kind == "tailored" and cfg.zero_sum_filters else None
    result = train_classifier(
        model,
        data,
        epochs=cfg.epochs,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        batch_size=cfg.batch_size,
        patience=cfg.patience,
        seed=seed,
        device=device,
        after_step=after_step,
        rate_code_steps=cfg.rate_code_steps if kind == "tailored" else 0,
        code=spike_code(data.meta.get("code", "shift")),
        progress=progress,
        desc=kind,
    )
    return model, config, result


def activation_table(data: EmbeddedData, steps: int) -> torch.Tensor:
    """The table the tailored net's activation statistics (for conversion) are measured on: what the SNN's first
    layer integrates per step on average. The table itself under the rate codes (Binomial(T, x) / T has mean x)
    or steps = 0; under embed.code latency its quantisation (T - t(x)) / T at T = steps, which is biased (up to
    1 / T above x) and is what the net was trained on."""
    if spike_code(data.meta.get("code", "shift")) == "rate" or steps == 0:
        return data.table
    return latency_code_mean(data.table, steps)


class _UpperQuantile:
    """Exact linear-interpolated quantile q (as numpy.percentile) of a stream of `count`
    values, keeping only the few largest ones (q near 1)."""

    def __init__(self, count: int, q: float):
        self.count, self.q = count, q
        self.keep = max(1, min(count, count - math.floor((count - 1) * q)))
        self.top = torch.empty(0)
        self.seen = 0

    def add(self, values: torch.Tensor) -> None:
        values = values.detach().flatten().float().cpu()
        self.seen += values.numel()
        merged = torch.cat([self.top, values])
        self.top = merged.topk(min(self.keep, merged.numel())).values

    def value(self) -> float:
        if self.seen != self.count:
            raise RuntimeError(f"expected {self.count} values, got {self.seen}")
        pos = (self.count - 1) * self.q
        low = math.floor(pos)
        frac = pos - low
        lower = self.top[self.count - 1 - low]
        upper = self.top[self.count - 2 - low] if frac > 0 else lower
        return float(lower + frac * (upper - lower))


@torch.no_grad()
def activation_statistics(
    model: TailoredTextCNN,
    ids: torch.Tensor,
    table: torch.Tensor,
    batch_size: int,
    device: torch.device,
    percentile: float = 99.9,
) -> dict[str, float]:
    """Max and `percentile` of the tailored net's activations over the given (TRAIN) ids,
    dropout off: conv{k} = ReLU feature maps at every position (padding included),
    pooled = average-pooled features, units = output population before the class sum."""
    was_training = model.training
    model.eval()
    table = table.to(device)
    n, length = ids.shape
    filters = cast(nn.Conv2d, model.convs[0]).out_channels
    counts = {f"conv{k}": n * (length - k + 1) * filters for k in model.kernel_sizes}
    counts["pooled"] = n * filters * len(model.kernel_sizes)
    counts["units"] = n * model.fc.out_features
    quantiles = {name: _UpperQuantile(count, percentile / 100) for name, count in counts.items()}
    maxima = {name: -math.inf for name in counts}
    for batch, _ in batches(ids, None, batch_size):
        x = embed(batch, table)
        layers = {f"conv{k}": F.relu(conv(x.unsqueeze(1))) for k, conv in zip(model.kernel_sizes, model.convs)}
        layers["pooled"] = model.pooled(x)
        layers["units"] = model.units(x)
        for name, values in layers.items():
            quantiles[name].add(values)
            maxima[name] = max(maxima[name], float(values.max()))
    model.train(was_training)
    tag = "p" + f"{percentile:g}".replace(".", "")
    stats = {}
    for name in counts:
        stats[f"{name}_max"] = maxima[name]
        stats[f"{name}_{tag}"] = quantiles[name].value()
    return stats


def write_history_csv(path: str | Path, histories: dict[str, list[dict[str, Any]]]) -> None:
    """Per-epoch history of several models as one CSV (epoch, model, train_loss, dev_acc), atomically."""
    path = Path(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for name, history in histories.items():
        for row in history:
            writer.writerow([row["epoch"], name, f"{row['train_loss']:.6f}", f"{row['dev_acc']:.6f}"])
    write_text_atomic(path, buffer.getvalue())
