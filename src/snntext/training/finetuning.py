"""Surrogate-gradient fine-tuning of a converted SpikingTextCNN (BPTT through all T steps).

Losses (LOSSES), on the per-class population spike counts P[t] (integers 0..N):
  paper  (1/T) sum_t CrossEntropy(logits = P[t], y): the authors' ce_rate loss.
  count  CrossEntropy(logits = mean_t P[t] / temperature, y): one loss on the counts over the
         whole window, i.e. on what the prediction reads.
  distill KL(softmax(DNN class scores) || softmax(mean_t P[t] / temperature)): the tailored DNN's
         class probabilities on the exact rates as soft targets (Hinton et al. 2015), so the SNN,
         which only sees T Bernoulli draws of those rates, learns to answer what the DNN answers
         on the rates themselves. Not in the authors' code.
Fresh input spikes per batch from one generator seeded once, AdamW, selection on DEV accuracy
(evaluated with its own fixed seed, so epochs are compared on the same spike draws).
Precision (PRECISIONS): the training steps' convolutions in fp32, or in bf16 where the hardware
has bf16 dot products (`bf16_is_fast`); evaluation always runs in fp32.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F
from tqdm import tqdm

from snntext.core.atomic import write_text_atomic
from snntext.core.config import LOSSES, FinetuneConfig
from snntext.core.errors import SnntextError
from snntext.evaluation.scoring import class_scores
from snntext.evaluation.spiking import spiking_report
from snntext.models.spiking import SpikingTextCNN, draw_batch_spikes, evaluate_spiking, length_bucketed_batches


def bf16_is_fast(device: torch.device | str) -> bool:
    """Whether bf16 convolutions beat fp32 ones here: a CUDA device with bf16, or a CPU whose oneDNN
    may use its bf16 instructions (AVX512_BF16 or AMX; not with the stages' AVX2 pin, under which
    bf16 was measured 5.6x SLOWER than fp32: 720 against 128 ms per MR-shaped batch)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    if os.environ.get("ONEDNN_MAX_CPU_ISA", "ALL").upper().startswith(("AVX2", "AVX_", "SSE", "DEFAULT")):
        return False
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def check_precision(precision: str, device: torch.device | str, source: str = "params.yaml") -> None:
    """Refuse bf16 where it would run slower than fp32 (or not at all), before any work starts. Which
    values exist is FinetuneConfig's check; this one needs the device, known only once resolved."""
    if precision == "bf16" and not bf16_is_fast(device):
        raise SnntextError(
            f"{source}: key 'finetune.precision' is 'bf16', but {torch.device(device)} has no fast bf16 here "
            "(CPU: needs AVX512_BF16 or AMX and the machine's own kernels, SNNTEXT_PORTABLE_CPU=0, since the "
            "stages pin AVX2 kernels, under which bf16 runs 5.6x slower); use fp32"
        )


def spike_count_loss(
    class_counts: torch.Tensor,
    labels: torch.Tensor,
    loss: str = "paper",
    temperature: float = 1.0,
    teacher_scores: torch.Tensor | None = None,
) -> torch.Tensor:
    """Loss of per-step class counts [T, B, C] against labels [B] (distill: against the DNN's
    class scores [B, C] instead)."""
    if loss == "distill":
        if teacher_scores is None:
            raise ValueError("the distill loss needs the DNN's class scores (teacher_scores)")
        return F.kl_div(
            F.log_softmax(class_counts.mean(dim=0) / temperature, dim=1),
            F.softmax(teacher_scores, dim=1),
            reduction="batchmean",
        )
    if loss == "paper":
        T, B, C = class_counts.shape
        return F.cross_entropy(class_counts.reshape(T * B, C), labels.repeat(T))
    if loss == "count":
        return F.cross_entropy(class_counts.mean(dim=0) / temperature, labels)
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def write_history_csv(path, history: list[dict]) -> None:
    """epoch,train_loss,dev_acc,seconds per epoch (epoch 0 = the converted network), atomically."""
    lines = ["epoch,train_loss,dev_acc,seconds"]
    for row in history:
        loss = "" if row["train_loss"] is None else f"{row['train_loss']:.6f}"
        lines.append(f"{row['epoch']},{loss},{row['dev_acc']:.6f},{row['seconds']:.2f}")
    write_text_atomic(path, "\n".join(lines) + "\n")


@dataclass
class FinetuneResult:
    best_epoch: int  # 0 = the converted network itself was best
    best_dev_acc: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def finetune(
    model: SpikingTextCNN,
    train_ids: torch.Tensor,
    train_labels: torch.Tensor,
    dev_ids: torch.Tensor,
    dev_labels: torch.Tensor,
    table: torch.Tensor,
    config: FinetuneConfig,
    *,
    seed: int,
    device: torch.device | str = "cpu",
    log=print,
    teacher_scores: torch.Tensor | None = None,
) -> FinetuneResult:
    """Fine-tune `model` in place; on return it holds the weights of the best-dev epoch.
    teacher_scores: the DNN's class scores [N_train, C] (`evaluation.class_scores`), which the distill
    loss needs."""
    if config.loss == "distill" and (teacher_scores is None or len(teacher_scores) != len(train_labels)):
        raise ValueError("the distill loss needs the DNN's class scores on every training example (teacher_scores)")
    device = torch.device(device)
    check_precision(config.precision, device)
    train_conv_dtype = torch.bfloat16 if config.precision == "bf16" else None
    model.to(device)
    table = table.to(device)
    full_length = train_ids.shape[1]
    if config.max_train_examples and config.max_train_examples < len(train_labels):
        keep = torch.randperm(len(train_labels), generator=torch.Generator().manual_seed(seed))[
            : config.max_train_examples
        ]
        train_ids, train_labels = train_ids[keep], train_labels[keep]
        teacher_scores = None if teacher_scores is None else teacher_scores[keep]
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    spike_gen = torch.Generator(device=device).manual_seed(seed)
    order_gen = torch.Generator().manual_seed(seed + 1)
    eval_seed = seed + 2

    def dev_accuracy() -> float:
        """Mean over config.dev_draws spike draws (the same draws every epoch): one draw moves dev
        accuracy by about a point, enough to pick an epoch by luck."""
        return (
            sum(
                evaluate_spiking(
                    model,
                    dev_ids,
                    dev_labels,
                    table,
                    timesteps=config.timesteps,
                    seed=eval_seed + 1000 * draw,
                    batch_size=config.eval_batch_size,
                    device=device,
                    record_rates=False,
                ).accuracy
                for draw in range(config.dev_draws)
            )
            / config.dev_draws
        )

    start = time.perf_counter()
    best_acc = dev_accuracy()
    best_epoch, best_state, stale = 0, copy.deepcopy(model.state_dict()), 0
    history = [{"epoch": 0, "train_loss": None, "dev_acc": best_acc, "seconds": time.perf_counter() - start}]
    log(f"finetune epoch 0 (converted): dev {best_acc:.4f}")
    for epoch in range(1, config.epochs + 1):
        model.train()
        model.conv_dtype = train_conv_dtype
        try:
            total, seen = 0.0, 0
            for index in tqdm(
                length_bucketed_batches(train_ids, config.batch_size, order_gen),
                desc=f"finetune epoch {epoch}",
                unit="batch",
                leave=False,
                mininterval=10,
            ):
                spikes = draw_batch_spikes(
                    train_ids[index], table, config.timesteps, spike_gen, model.kernel_sizes, code=model.input_code
                )
                labels = train_labels[index].to(device)
                counts = model.class_counts(model(spikes, full_length=full_length))
                teacher = None if teacher_scores is None else teacher_scores[index].to(device)
                loss = spike_count_loss(counts, labels, config.loss, config.temperature, teacher)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                if config.zero_sum_filters:
                    model.project_filters()
                total += float(loss.detach()) * len(index)
                seen += len(index)
        finally:  # evaluation, and whoever holds the model after an exception, compute in fp32
            model.conv_dtype = None
        acc = dev_accuracy()
        history.append(
            {"epoch": epoch, "train_loss": total / seen, "dev_acc": acc, "seconds": time.perf_counter() - start}
        )
        log(f"finetune epoch {epoch}: train loss {total / seen:.4f} dev {acc:.4f}")
        if acc > best_acc:
            best_acc, best_epoch, best_state, stale = acc, epoch, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if config.patience and stale >= config.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return FinetuneResult(best_epoch, best_acc, history, time.perf_counter() - start)


def seed_entry(result: FinetuneResult, report: dict) -> dict:
    """What one seed contributes to `per_seed`: the numbers the report averages."""
    return {
        "dev_acc": report["dev"]["accuracy"],
        "test_acc": report["test"]["accuracy"],
        "best_epoch": result.best_epoch,
        "test": {"firing_rates": report["test"]["firing_rates"]},
        "energy": {"total_uj": report["energy"]["total_uj"], "ratio_snn_to_dnn": report["energy"]["ratio_snn_to_dnn"]},
    }


@dataclass
class SeedRuns:
    """finetune_over_seeds' outcome: the first seed's network, training result, report and test
    predictions (its spike draw `seed`), every seed's entry, and the seconds all seeds took."""

    model: SpikingTextCNN
    result: FinetuneResult
    report: dict
    test_predictions: torch.Tensor
    per_seed: dict
    seconds: float


def finetune_over_seeds(
    converted: SpikingTextCNN,
    data,
    config: FinetuneConfig,
    seeds: list[int],
    device,
    log=print,
    dnn: torch.nn.Module | None = None,
) -> SeedRuns:
    """Fine-tune a fresh copy of the converted network once per seed and evaluate it with that
    seed's spikes; `dnn` (the tailored DNN) is the teacher of the distill loss."""
    from snntext.core.device import seed_everything

    kept, per_seed, start = None, {}, time.perf_counter()
    teacher_scores = None
    if config.loss == "distill":
        if dnn is None:
            raise ValueError("the distill loss needs the tailored DNN (dnn=...)")
        teacher_scores = class_scores(dnn, data.train.ids, data.table, device=device)
    for seed in seeds:
        seed_everything(seed)
        snn = copy.deepcopy(converted).to(device)
        result = finetune(
            snn,
            data.train.ids,
            data.train.labels,
            data.dev.ids,
            data.dev.labels,
            data.table,
            config,
            seed=seed,
            device=device,
            log=log,
            teacher_scores=teacher_scores,
        )
        predictions: dict[str, torch.Tensor] = {}
        report = spiking_report(
            snn,
            data,
            timesteps=config.timesteps,
            seed=seed,
            device=device,
            batch_size=config.eval_batch_size,
            predictions=predictions,
        )
        per_seed[str(seed)] = seed_entry(result, report)
        log(f"seed {seed}: dev {report['dev']['accuracy']:.4f} test {report['test']['accuracy']:.4f}")
        if kept is None:
            kept = (snn, result, report, predictions["test"])
    assert kept is not None  # seeds is never empty (params check)
    return SeedRuns(*kept, per_seed, time.perf_counter() - start)
