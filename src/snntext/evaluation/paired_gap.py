"""How far the SNN trails the DNN on the same test sentences, with the noise of both put in numbers.

A single spike draw moves an SNN's test accuracy by about a point (more on the 776-sentence
ChnSenti test set), and the test set itself is a sample. So the gap is measured per sentence:
each sentence's SNN correctness averaged over several spike draws, minus the DNN's (0 or 1), and
a percentile bootstrap over the sentences gives its 95% interval. Pairing the two networks on
the same sentences removes the sentence-difficulty variance both share.
"""

from __future__ import annotations

import torch


def snn_correct_over_draws(
    model,
    ids: torch.Tensor,
    labels: torch.Tensor,
    table: torch.Tensor,
    *,
    timesteps: int,
    seeds: list[int],
    batch_size: int = 64,
    device="cpu",
    known: dict[int, torch.Tensor] | None = None,
) -> torch.Tensor:
    """float [draws, N]: 1 where the SNN is right on sentence n with the spikes of seeds[k].
    `known`: seed -> predictions already computed with that seed (the same evaluate_spiking call),
    reused instead of run again."""
    from snntext.models.spiking import evaluate_spiking

    if not seeds:
        raise ValueError("snn_correct_over_draws needs at least one seed")
    known = known or {}
    for seed, predictions in known.items():
        if predictions is None or predictions.shape != labels.shape:
            raise ValueError(
                f"snn_correct_over_draws: known predictions of seed {seed} do not cover the {len(labels)} sentences"
            )

    def drawn(seed: int) -> torch.Tensor:
        if seed in known:
            return known[seed].cpu()
        predictions = evaluate_spiking(
            model,
            ids,
            labels,
            table,
            timesteps=timesteps,
            seed=seed,
            batch_size=batch_size,
            device=device,
            record_rates=False,
        ).predictions
        assert predictions is not None  # evaluate_spiking always returns them
        return predictions

    rows = [drawn(seed) for seed in seeds]
    return (torch.stack(rows) == labels.cpu()).float()


def paired_gap(
    dnn_correct: torch.Tensor, snn_correct: torch.Tensor, *, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> dict:
    """SNN - DNN accuracy gap in points, its percentile-bootstrap interval over sentences, and the
    SNN's accuracy per draw (mean, sample std).

    dnn_correct: [N] 0/1; snn_correct: [draws, N] 0/1 (or [N] for one draw)."""
    dnn = dnn_correct.float().flatten()
    snn = snn_correct.float()
    if snn.dim() == 1:
        snn = snn.unsqueeze(0)
    if snn.dim() != 2 or snn.shape[1] != dnn.numel() or dnn.numel() == 0:
        raise ValueError(
            f"paired_gap: dnn_correct {tuple(dnn_correct.shape)} and snn_correct "
            f"{tuple(snn_correct.shape)} must cover the same N > 0 sentences"
        )
    if resamples < 1 or not 0 < level < 1:
        raise ValueError(f"paired_gap: resamples must be >= 1 and level in (0, 1), got {resamples}, {level}")
    per_sentence = snn.mean(dim=0) - dnn
    n = per_sentence.numel()
    generator = torch.Generator().manual_seed(seed)
    means = torch.empty(resamples)
    for start in range(0, resamples, 256):  # chunks keep memory at 256 x N
        count = min(256, resamples - start)
        picks = torch.randint(n, (count, n), generator=generator)
        means[start : start + count] = per_sentence[picks].mean(dim=1)
    tail = (1 - level) / 2
    low, high = torch.quantile(means.double(), torch.tensor([tail, 1 - tail], dtype=torch.double)).tolist()
    per_draw = snn.mean(dim=1)
    return {
        "gap_points": 100 * float(per_sentence.mean()),
        "ci_low_points": 100 * low,
        "ci_high_points": 100 * high,
        "level": level,
        "resamples": resamples,
        "sentences": n,
        "draws": snn.shape[0],
        "dnn_acc": float(dnn.mean()),
        "snn_acc_per_draw": [float(a) for a in per_draw],
        "snn_acc_mean": float(per_draw.mean()),
        "snn_acc_std": float(per_draw.std()) if snn.shape[0] > 1 else 0.0,
    }


def draw_seeds(seed: int, draws: int) -> list[int]:
    """The spike-draw seeds of a test evaluation: seed, seed + 1, ... (draws of them)."""
    return [seed + k for k in range(draws)]


def gap_to_dnn_over_draws(
    dnn,
    snn,
    test,
    table: torch.Tensor,
    *,
    timesteps: int,
    seed: int,
    draws: int,
    known: torch.Tensor,
    batch_size: int,
    device,
) -> dict:
    """The paired gap on the test split `test` (ids, labels): the DNN's correct answers against the SNN's
    over `draws` spike draws from draw_seeds(seed, draws); `known`: the SNN's test predictions already
    made with `seed` (not drawn again)."""
    from snntext.evaluation.scoring import predict

    dnn_correct = (predict(dnn, test.ids, table, batch_size, device) == test.labels).float()
    snn_correct = snn_correct_over_draws(
        snn,
        test.ids,
        test.labels,
        table,
        timesteps=timesteps,
        seeds=draw_seeds(seed, draws),
        known={seed: known},
        batch_size=batch_size,
        device=device,
    )
    return paired_gap(dnn_correct, snn_correct, seed=seed)
