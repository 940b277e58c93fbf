"""Time fine-tuning (fwd+bwd+AdamW step) and inference batches of our SpikingTextCNN against a
reference written the way the authors' code runs (Python loop over T, one Conv2d call per step,
a hand-written snnTorch-Leaky neuron with autograd through every step).

MR-shaped input: batch 32, L 35 (sentences of ~21 tokens + padding), T 50, 3x100 filters.
Prints samples/s, the ratio, achieved GFLOP/s of the conv work against a large fp32 matmul timed
in the same run, and peak RSS. Usage: python benchmarks/finetune_speed.py [--dims 50 300] [--threads 1]

--profile adds where our training step spends its time (torch.profiler, ops by self CPU time), to
see what a faster kernel would have to beat: the matmuls or the elementwise neuron updates over T.

--real DATASET adds the figure that matters for a fine-tuning epoch: the same number of REAL training
sentences (data/embedded/DATASET, needs the embed stage) run as the reference runs them (random batches
padded to the dataset's fixed length, as the authors' loader does) and as the finetune stage runs them
(length-bucketed batches, each trimmed to its longest sentence), for training and for inference. The two
sides take turns in --rounds blocks, each warmed up first.
"""

from __future__ import annotations

import argparse
import resource
import time

import torch
from torch import nn
from torch.nn import functional as F

from snntext.core.cpu_kernels import pin_portable_cpu_kernels
from snntext.core.device import keep_freed_memory
from snntext.models.spiking import SpikingTextCNN, trimmed_length
from snntext.models.textcnn import population_scores


class FastSigmoidSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).float()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + 25 * x.abs()) ** 2


class ReferenceSNN(nn.Module):
    """The authors' structure: per step conv -> Leaky -> avgpool -> Leaky -> fc -> Leaky."""

    def __init__(self, D, C=2, N=10, ks=(3, 4, 5), F_=100, beta=1.0, threshold=1.0):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(1, F_, (k, D), bias=False) for k in ks)
        self.fc = nn.Linear(F_ * len(ks), C * N, bias=False)
        self.beta, self.th, self.C = beta, threshold, C

    def leaky(self, x, state):
        u, s = state
        u = self.beta * u + x - s.detach() * self.th
        s = FastSigmoidSpike.apply(u - self.th)
        return s, (u, s)

    def forward(self, spikes):  # [T, B, L, D]
        T = spikes.shape[0]
        states = {}
        outs = []
        zero = (0.0, torch.zeros(()))
        for t in range(T):
            x = spikes[t].unsqueeze(1)
            pooled = []
            for i, conv in enumerate(self.convs):
                s, states[f"c{i}"] = self.leaky(conv(x).squeeze(3), states.get(f"c{i}", zero))
                p, states[f"p{i}"] = self.leaky(s.mean(dim=2), states.get(f"p{i}", zero))
                pooled.append(p)
            o, states["o"] = self.leaky(self.fc(torch.cat(pooled, 1)), states.get("o", zero))
            outs.append(o)
        return torch.stack(outs)


def paper_loss(out, y, C):
    counts = population_scores(out, C)
    return F.cross_entropy(counts.flatten(0, 1), y.repeat(out.shape[0]))


def timed(fn, reps):
    fn()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def real_batches(
    dataset: str, T: int, count: int, batch_size: int = 32, rounds: int = 4, conv_dtype: torch.dtype | None = None
) -> None:
    """Train steps, then inference, over `count` real batches each way; samples/s = sentences / seconds.

    The two sides take turns in `rounds` blocks of batches (reference, ours, reference, ...), so that
    a slow drift in the machine's load (on the shared 2-core machine the reference alone moved between
    64 and 104 samples/s across runs of one day) weighs on both; the per-round ratios show the spread."""
    from snntext.core import paths
    from snntext.data.embedded import load_embedded
    from snntext.models.spiking import draw_batch_spikes, length_bucketed_batches

    data = load_embedded(paths.embedded_dir(dataset))
    ids, labels, table = data.train.ids, data.train.labels, data.table
    C, L, D = int(labels.max()) + 1, ids.shape[1], table.shape[1]
    g = torch.Generator().manual_seed(0)
    random_batches = torch.randperm(len(labels), generator=g).split(batch_size)[:count]
    bucketed = length_bucketed_batches(ids, batch_size, torch.Generator().manual_seed(0))[:count]
    ref, ours = ReferenceSNN(D, C), SpikingTextCNN(D, C)
    ours.load_state_dict(ref.state_dict(), strict=False)

    def runner(model, trim, train):
        """A function of a block of batches -> [seconds, sentences, positions summed], keeping one
        optimiser and one spike generator across blocks."""
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        spikes_gen = torch.Generator().manual_seed(1)

        def run(batches):
            start, positions = time.perf_counter(), 0
            with torch.set_grad_enabled(train):
                for index in batches:
                    x = draw_batch_spikes(ids[index], table, T, spikes_gen, (3, 4, 5), trim=trim)
                    positions += x.shape[2]
                    out = model(x, full_length=L) if trim else model(x)
                    if train:
                        loss = paper_loss(out, labels[index], C)
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
            return [time.perf_counter() - start, sum(len(index) for index in batches), positions]

        return run

    def interleaved(train):
        ours.conv_dtype = conv_dtype if train else None  # as the finetune stage: evaluation in fp32
        run_ref, run_ours = runner(ref, False, train), runner(ours, True, train)
        run_ref(random_batches[:1])  # warm-up (ours: the TorchScript loops compile on first use)
        run_ours(bucketed[:1])
        per_round, ref_total, ours_total = [], [0.0, 0, 0], [0.0, 0, 0]
        size = -(-count // rounds)
        for start in range(0, count, size):
            ref_block = run_ref(random_batches[start : start + size])
            ours_block = run_ours(bucketed[start : start + size])
            per_round.append((ours_block[1] / ours_block[0]) / (ref_block[1] / ref_block[0]))
            ref_total = [a + b for a, b in zip(ref_total, ref_block)]
            ours_total = [a + b for a, b in zip(ours_total, ours_block)]
        return (
            ref_total[1] / ref_total[0],
            ours_total[1] / ours_total[0],
            ref_total[2] / count,
            ours_total[2] / count,
            per_round,
        )

    print(
        f"real {dataset} batches (D={D}, T={T}, L={L}, {count} batches of {batch_size} each way in {rounds} "
        f"alternating rounds, spike draws included):"
    )
    ref_rate, ours_rate, ref_len, ours_len, per_round = interleaved(train=True)
    spread = ", ".join(f"{r:.2f}" for r in per_round)
    print(f"  train, reference, random batches padded to L   {ref_rate:7.1f} samples/s (mean positions {ref_len:.1f})")
    print(
        f"  train, ours, length-bucketed + trimmed         {ours_rate:7.1f} samples/s (mean positions {ours_len:.1f})"
    )
    print(f"  speed-up, training on real batches  {ours_rate / ref_rate:.2f}x (rounds: {spread})")
    ref_rate, ours_rate, _, _, per_round = interleaved(train=False)
    spread = ", ".join(f"{r:.2f}" for r in per_round)
    print(f"  infer, reference {ref_rate:7.1f} samples/s; ours {ours_rate:7.1f} samples/s")
    print(f"  speed-up, inference on real batches {ours_rate / ref_rate:.2f}x (rounds: {spread})")


def profile_train_step(step, reps: int, top: int = 12) -> None:
    """Self CPU time per op over `reps` training steps, the matmul share first."""
    from torch.profiler import ProfilerActivity, profile

    step()  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(reps):
            step()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    matmul = sum(e.self_cpu_time_total for e in events if e.key in ("aten::mm", "aten::addmm", "aten::bmm"))
    print(
        f"  profile of our train step: {total / reps / 1e3:.0f} ms/step of self CPU time, "
        f"matmuls {100 * matmul / total:.0f}%; top ops:"
    )
    for e in events[:top]:
        print(f"    {e.key:40s} {100 * e.self_cpu_time_total / total:5.1f}%  {e.count // reps:6d} calls/step")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[50, 300])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--timesteps", type=int, default=50)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--mean-length", type=int, default=21, help="real tokens per sentence (MR mean ~21)")
    ap.add_argument("--real", metavar="DATASET", help="also time real batches of this embedded dataset")
    ap.add_argument("--batches", type=int, default=8, help="real batches per side with --real")
    ap.add_argument(
        "--bf16",
        action="store_true",
        help="our training steps' convolutions in bf16, as finetune.precision: bf16 (pays only on bf16 hardware, unpinned)",
    )
    ap.add_argument("--rounds", type=int, default=4, help="with --real: alternating blocks of batches per side")
    ap.add_argument("--profile", action="store_true", help="also profile our training step (ops by self CPU time)")
    ap.add_argument(
        "--return-freed-memory",
        action="store_true",
        help="leave glibc's default (unmap big freed blocks), to time what keep_freed_memory saves",
    )
    ap.add_argument(
        "--portable-cpu",
        action="store_true",
        help="pin the CPU kernels to AVX2 as every stage does (snntext.core.cpu_kernels); default: the machine's own",
    )
    args = ap.parse_args()
    if args.portable_cpu:
        pin_portable_cpu_kernels()  # before the first torch operation
    torch.set_num_threads(args.threads)
    conv_dtype = torch.bfloat16 if args.bf16 else None
    if not args.return_freed_memory:
        keep_freed_memory()  # as every stage does (run_stage); it serves both sides alike
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2048, 2048, generator=g), torch.randn(2048, 2048, generator=g)
    peak = 2 * 2048**3 / timed(lambda: a @ b, 3) / 1e9
    print(
        f"threads {args.threads}; CPU kernels {torch.backends.cpu.get_cpu_capability()}; "
        f"fp32 2048^3 matmul: {peak:.1f} GFLOP/s"
    )
    T, B, L, ks = args.timesteps, 32, 35, (3, 4, 5)
    for D in args.dims:
        ids = torch.zeros(B, L, dtype=torch.long)
        lengths = torch.randint(args.mean_length - 8, args.mean_length + 9, (B,), generator=g).clamp(1, L)
        for i, n in enumerate(lengths):
            ids[i, :n] = 1
        rates = torch.rand(B, L, D, generator=g) * (ids[..., None] > 0)
        spikes = (torch.rand(T, B, L, D, generator=g) < rates).float()
        y = torch.randint(0, 2, (B,), generator=g)
        ref = ReferenceSNN(D)
        ours = SpikingTextCNN(D, 2)
        ours.load_state_dict(ref.state_dict(), strict=False)
        ours.conv_dtype = conv_dtype
        cut = trimmed_length(ids, ks)
        conv_flop = 2 * T * B * sum((L - k + 1) * 100 * k * D for k in ks)

        def train_step(model, x, **kw):
            opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

            def step():
                loss = paper_loss(model(x, **kw), y, 2)
                opt.zero_grad()
                loss.backward()
                opt.step()

            return step

        with torch.no_grad():  # same maths; float summation order differs, so a spike may flip at the threshold
            agree = float((ref(spikes) == ours(spikes[:, :, :cut], full_length=L)).float().mean())
        rows = {
            "reference train": timed(train_step(ref, spikes), args.reps),
            "ours train (full L)": timed(train_step(ours, spikes), args.reps),
            "ours train (trimmed)": timed(train_step(ours, spikes[:, :, :cut], full_length=L), args.reps),
        }
        ours.conv_dtype = None  # as the finetune stage: evaluation in fp32
        with torch.no_grad():
            rows["reference infer"] = timed(lambda: ref(spikes), args.reps)
            rows["ours infer (trimmed)"] = timed(lambda: ours(spikes[:, :, :cut], full_length=L), args.reps)
        print(
            f"D={D} T={T} B={B} L={L} (trimmed to {cut}); conv work {conv_flop / 1e9:.1f} GFLOP fwd on full L; "
            f"output spikes equal to the reference's: {agree:.4f}"
        )
        for name, sec in rows.items():
            flop = conv_flop * (3 if "train" in name else 1)  # fwd + weight-grad (+ input-grad none)
            flop = flop * 2 / 3 if "train" in name else flop
            print(
                f"  {name:24s} {sec * 1e3:8.0f} ms/batch  {B / sec:7.1f} samples/s  "
                f"{flop / sec / 1e9:6.1f} GFLOP/s (full-L conv count)"
            )
        print(
            f"  speed-up train {rows['reference train'] / rows['ours train (trimmed)']:.2f}x, "
            f"infer {rows['reference infer'] / rows['ours infer (trimmed)']:.2f}x"
        )
        if args.profile:
            ours.conv_dtype = conv_dtype
            profile_train_step(train_step(ours, spikes[:, :, :cut], full_length=L), args.reps)
    if args.real:
        real_batches(args.real, args.timesteps, args.batches, rounds=args.rounds, conv_dtype=conv_dtype)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
