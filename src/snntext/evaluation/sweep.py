"""Inference-only accuracy against the number of time steps T (the paper's figure 5).

The SpikingTextCNN is causal: its output spikes at step t depend only on the input spikes of
steps 1..t (membranes start at zero per sentence). So ONE run at the largest T of the sweep
gives every smaller T for free: the prediction "at T" is the argmax of the class spike counts
summed over the first T steps of that run. The sweep costs one evaluation at max(T), not
sum(T), and every point of a curve sees the same spike draws (smoother curves, same noise).

At T = max(T) the numbers equal `evaluate_spiking(..., timesteps=max(T), seed, batch_size)`
exactly (same batching, same generator); a smaller T is the same-seed prefix of that run, a
statistically equal but not bit-identical stand-in for a separate run at that T.

The latency code (a model's input_code "latency") times each spike by T itself, so a prefix of a run at
max(T) is not the code at a smaller T: such a model is run once per T (deterministic, no draw), and each
point equals `evaluate_spiking(..., timesteps=T)` exactly.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from snntext.core.atomic import write_text_atomic
from snntext.models.spiking import SpikingTextCNN, draw_batch_spikes, length_bucketed_batches

CSV_COLUMNS = ("T", "model", "split", "accuracy")


@dataclass
class SweepPoint:
    """Accuracy of one network on one split when it stops after `timesteps` steps."""

    timesteps: int
    accuracy: float
    ties: int  # top class count shared by >= 2 classes (silence included)
    silent: int  # no output spike in the first T steps


def check_timesteps(timesteps: list[int]) -> list[int]:
    """Sorted distinct positive ints; ValueError otherwise (the stage turns it into a params error)."""
    if not timesteps or any(isinstance(t, bool) or not isinstance(t, int) or t < 1 for t in timesteps):
        raise ValueError(f"timesteps must be a non-empty list of positive integers, got {timesteps!r}")
    return sorted(set(timesteps))


@torch.no_grad()
def accuracy_by_timesteps(
    model: SpikingTextCNN,
    ids: torch.Tensor,
    labels: torch.Tensor,
    table: torch.Tensor,
    *,
    timesteps: list[int],
    seed: int,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> list[SweepPoint]:
    """One SweepPoint per T in `timesteps`, from one seeded run of max(timesteps) steps (a latency-coded
    model: one run per T)."""
    steps = check_timesteps(timesteps)
    if len(labels) == 0:
        raise ValueError("accuracy_by_timesteps on an empty split")
    device = torch.device(device)
    was_training = model.training
    model.eval()
    table = table.to(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    index_batches = length_bucketed_batches(ids, batch_size)
    horizon = torch.tensor([t - 1 for t in steps])
    correct = torch.zeros(len(steps), dtype=torch.long)
    ties = torch.zeros(len(steps), dtype=torch.long)
    silent = torch.zeros(len(steps), dtype=torch.long)
    latency = model.input_code == "latency"
    try:
        for index in index_batches:
            if latency:  # one run per T: the spike times depend on T
                runs = []
                for t in steps:
                    spikes = draw_batch_spikes(ids[index], table, t, generator, model.kernel_sizes, code="latency")
                    runs.append(model.class_counts(model(spikes, full_length=ids.shape[1])).sum(dim=0))
                counts = torch.stack(runs).cpu()  # [S, B, C]
            else:
                spikes = draw_batch_spikes(ids[index], table, steps[-1], generator, model.kernel_sizes)
                counts = model.class_counts(model(spikes, full_length=ids.shape[1])).cumsum(dim=0)  # [T, B, C]
                counts = counts[horizon.to(counts.device)].cpu()  # [S, B, C]
            top = counts.max(dim=2, keepdim=True).values
            correct += (counts.argmax(dim=2) == labels[index].cpu()).sum(dim=1)
            ties += ((counts == top).sum(dim=2) > 1).sum(dim=1)
            silent += (counts.sum(dim=2) == 0).sum(dim=1)
    finally:
        model.train(was_training)
    n = len(labels)
    shares = correct.float() / n  # float32, as evaluate_spiking's mean, so the numbers match to the bit
    return [SweepPoint(t, float(shares[i]), int(ties[i]), int(silent[i])) for i, t in enumerate(steps)]


def timestep_sweep(
    models: dict[str, SpikingTextCNN],
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]],
    table: torch.Tensor,
    *,
    timesteps: list[int],
    seed: int,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> dict[str, Any]:
    """Sweep every model on every split (splits: name -> (ids, labels)), all with the same seed.

    Returns {"timesteps", "seed", "models": {model: {split: {"n", "seconds", "points": {T: {accuracy,
    ties, silent}}}}}}, T as strings (JSON keys)."""
    steps = check_timesteps(timesteps)
    result: dict[str, Any] = {"timesteps": steps, "seed": seed, "batch_size": batch_size, "models": {}}
    for name, model in models.items():
        per_split = {}
        for split, (ids, labels) in splits.items():
            start = time.perf_counter()
            points = accuracy_by_timesteps(
                model, ids, labels, table, timesteps=steps, seed=seed, batch_size=batch_size, device=device
            )
            per_split[split] = {
                "n": len(labels),
                "seconds": round(time.perf_counter() - start, 2),
                "points": {
                    str(p.timesteps): {"accuracy": p.accuracy, "ties": p.ties, "silent": p.silent} for p in points
                },
            }
        result["models"][name] = per_split
    return result


def sweep_rows(result: dict) -> list[tuple[int, str, str, float]]:
    """(T, model, split, accuracy) rows of a timestep_sweep result, sorted for a stable CSV."""
    rows = [
        (int(t), model, split, point["accuracy"])
        for model, per_split in result["models"].items()
        for split, entry in per_split.items()
        for t, point in entry["points"].items()
    ]
    return sorted(rows, key=lambda r: (r[1], r[2], r[0]))


def write_sweep_csv(path: str | Path, result: dict) -> None:
    """T,model,split,accuracy (accuracy as a fraction, 6 decimals), written atomically."""
    path = Path(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t, model, split, acc in sweep_rows(result):
        writer.writerow([t, model, split, f"{acc:.6f}"])
    write_text_atomic(path, buffer.getvalue())
