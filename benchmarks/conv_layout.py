"""Which way of running the SNN's full-width convolutions over all T*B inputs is fastest?

The conv layer (k x D kernels over [N, L, D] spike maps, N = T*B) is most of a fine-tuning step.
Ways timed here on an MR-shaped batch (T 50 x B 32 = 1600 rows, 33 positions after trimming, D 50,
3 x 100 filters, input spike rate 0.35), forward alone and forward + weight gradient:

  conv2d        nn.functional.conv2d with one input channel, as the weights are stored
  matmul_shift  one matmul against all sum(k) x F kernel rows, then shifted adds (our implementation
                until 2026-11-28, kept here as the baseline)
  unfold        per kernel, the k x D windows copied out and one matmul each
  conv1d        D input channels, kernel k, channels first: the input copied transposed to [N, D, L],
                currents [N, F, positions] (ours from 2026-11-28 to 2026-12-01)
  conv1d_c2grad conv1d forward, weight gradients by conv2d's backward (measured within run-to-run
                noise of conv1d: not adopted)
  channels_last D input channels over a 1 x L map in channels-last memory: the input used as it lies,
                currents [N, positions, F] (ours now: snntext.models.spiking.full_width_convs)
  channels_last_unfold_grad  the same forward, weight gradients as one matmul per kernel against the
                copied-out windows (in this layout the gradient needs no transposed copy). Measured
                2026-12-02, 2 threads: forward + weight grads 114-121 against 123-130 ms with AVX2
                kernels, 98 against 86 with AVX-512; in the full fine-tuning step on real MR batches
                (benchmarks/finetune_speed.py --real mr, AVX2, three interleaved runs) 242-263 against
                276-293 samples/s: slower where it counts, not adopted
  channels_last_swapped_grad  the same forward, each weight gradient as a forward convolution with
                the roles swapped (the T*B rows as input channels, the current gradients as the kernel),
                so oneDNN runs its forward kernel instead of its slower AVX2 weight-gradient one.
                Measured 2026-12-02, 2 threads, AVX2 kernels: forward + weight grads 133-142 against
                129-131 ms (the three swapped convolutions take 47-50 ms on kernels already in place,
                but each gradient must first be copied from [N, L', F] into [F, N, L'] order, 8-14 ms
                apiece): not adopted

Every way is checked against conv2d (outputs and weight gradients); the upstream gradients are
made in each way's own output layout, as the neurons downstream would hand them back.
Prints ms per call.
Usage: PYTHONPATH=src python benchmarks/conv_layout.py [--threads 1] [--dim 50] [--reps 3] [--portable-cpu]
"""

from __future__ import annotations

import argparse

import torch
from finetune_speed import timed
from torch.nn import functional as F

from snntext.core.cpu_kernels import pin_portable_cpu_kernels
from snntext.core.device import keep_freed_memory
from snntext.models.spiking import full_width_convs


class _UnfoldWeightGrads(torch.autograd.Function):
    """Backward shared by the matmul ways: dW_k = dOut_k^T @ (the k x D windows of x), one matmul
    per kernel (the input is data: no gradient). Subclasses compute outs in forward, as
    [N, F, positions] or, with positions_last, [N, positions, F]."""

    positions_last = False

    @staticmethod
    def outputs(x, weights):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, *weights):
        ctx.save_for_backward(x)
        ctx.shapes = [w.shape for w in weights]
        return tuple(cls.outputs(x, weights))

    @classmethod
    def backward(cls, ctx, *grads):
        (x,) = ctx.saved_tensors
        n, length, dim = x.shape
        out = []
        for shape, grad in zip(ctx.shapes, grads):
            k = shape[2]
            positions = length - k + 1
            windows = x.unfold(1, k, 1).transpose(2, 3).reshape(n * positions, k * dim)
            rows = grad if cls.positions_last else grad.transpose(1, 2)  # -> [N, positions, F]
            out.append((rows.reshape(n * positions, shape[0]).t() @ windows).view(shape))
        return (None, *out)


class MatmulShift(_UnfoldWeightGrads):
    """All kernels as one [N*L, D] @ [D, sum k*F] matmul, then out_k[:, p] = sum_j Y[:, p+j, block(k, j)]."""

    @staticmethod
    def outputs(x, weights):
        n, length, dim = x.shape
        w_all = torch.cat([w[:, 0].permute(2, 1, 0).reshape(dim, -1) for w in weights], dim=1)
        y = (x.reshape(n * length, dim) @ w_all).view(n, length, -1)
        outs, offset = [], 0
        for w in weights:
            f, k = w.shape[0], w.shape[2]
            out = y[:, : length - k + 1, offset : offset + f].clone()
            for j in range(1, k):
                out += y[:, j : j + length - k + 1, offset + j * f : offset + (j + 1) * f]
            outs.append(out.transpose(1, 2))  # [N, F, positions], as the others
            offset += k * f
        return outs


class Unfold(_UnfoldWeightGrads):
    """Per kernel, the k x D windows copied out and one matmul."""

    @staticmethod
    def outputs(x, weights):
        n, length, dim = x.shape
        outs = []
        for w in weights:
            k = w.shape[2]
            windows = x.unfold(1, k, 1).transpose(2, 3).reshape(n * (length - k + 1), k * dim)
            outs.append((windows @ w.reshape(w.shape[0], -1).t()).view(n, length - k + 1, -1).transpose(1, 2))
        return outs


def conv1d_channels_first(x, weights):
    channels_first = x.transpose(1, 2).contiguous()  # [N, D, L]
    return [F.conv1d(channels_first, w[:, 0].transpose(1, 2)) for w in weights]  # [F, D, k]


class ChannelsLastUnfoldGrads(_UnfoldWeightGrads):
    """full_width_convs forward; the gradient dI_k as it lies, [N, L', F] (no transposed copy)."""

    positions_last = True

    @staticmethod
    def outputs(x, weights):
        return full_width_convs(x, weights)


class ChannelsLastSwappedGrads(torch.autograd.Function):
    """full_width_convs forward; each weight gradient as a FORWARD convolution with the roles swapped:
    dW_k[f, j, d] = sum_{n,p} dI_k[n, p, f] x[n, p+j, d] is the convolution of the image [1, N, L, D]
    (the N = T*B rows as input channels) with the kernel dI_k as [F, N, L', 1], giving [1, F, k, D].
    oneDNN runs that with its forward kernel, faster than its AVX2 weight-gradient kernel, but the
    kernel must first be copied from dI_k's [N, L', F] into [F, N, L'] order."""

    @staticmethod
    def forward(ctx, x, *weights):
        ctx.save_for_backward(x)
        return tuple(full_width_convs(x, weights))

    @staticmethod
    def backward(ctx, *grads):
        (x,) = ctx.saved_tensors
        image = x.unsqueeze(0)  # [1, N, L, D], no copy
        return (None, *(F.conv2d(image, grad.permute(2, 0, 1).unsqueeze(3))[0].unsqueeze(1) for grad in grads))


class Conv1dForwardConv2dGrad(torch.autograd.Function):
    """conv1d forward, weight gradients by Conv2d's backward (one input channel): a candidate."""

    @staticmethod
    def forward(ctx, x, *weights):
        ctx.save_for_backward(x, *weights)
        return tuple(conv1d_channels_first(x, weights))

    @staticmethod
    def backward(ctx, *grads):
        x, *weights = ctx.saved_tensors
        image = x.unsqueeze(1)  # [N, 1, L, D]
        return (
            None,
            *(
                torch.ops.aten.convolution_backward(
                    grad.unsqueeze(3), image, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1, [False, True, False]
                )[1]
                for w, grad in zip(weights, grads)
            ),
        )


WAYS = {
    "conv2d": lambda x, ws: [F.conv2d(x.unsqueeze(1), w).squeeze(3) for w in ws],
    "matmul_shift": lambda x, ws: MatmulShift.apply(x, *ws),
    "unfold": lambda x, ws: Unfold.apply(x, *ws),
    "conv1d": conv1d_channels_first,
    "conv1d_c2grad": lambda x, ws: Conv1dForwardConv2dGrad.apply(x, *ws),
    "channels_last": full_width_convs,
    "channels_last_unfold_grad": lambda x, ws: ChannelsLastUnfoldGrads.apply(x, *ws),
    "channels_last_swapped_grad": lambda x, ws: ChannelsLastSwappedGrads.apply(x, *ws),
}
# ways whose outputs are [N, positions, F]; the others [N, F, positions]
POSITIONS_LAST = {"channels_last", "channels_last_unfold_grad", "channels_last_swapped_grad"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dim", type=int, default=50)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--portable-cpu", action="store_true", help="pin torch's CPU kernels to AVX2, as the stages do")
    args = ap.parse_args()
    if args.portable_cpu:
        pin_portable_cpu_kernels()  # before the first torch operation
    keep_freed_memory()  # as every stage does: the copied-out windows are not page-faulted in anew
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(1600, 33, args.dim, generator=g) < 0.35).float()
    ws = [(0.1 * torch.randn(100, 1, k, args.dim, generator=g)).requires_grad_() for k in (3, 4, 5)]
    ups = [torch.randn(1600, 100, 33 - k + 1, generator=g) for k in (3, 4, 5)]  # upstream gradients

    ups_positions_last = [u.transpose(1, 2).contiguous() for u in ups]

    def weight_grads(way):
        upstream = ups_positions_last if way in POSITIONS_LAST else ups
        return torch.autograd.grad(sum((o * u).sum() for o, u in zip(WAYS[way](x, ws), upstream)), ws)

    with torch.no_grad():
        reference = WAYS["conv2d"](x, ws)
    reference_grads = weight_grads("conv2d")
    print(f"threads {args.threads}; x [1600, 33, {args.dim}], kernels 3/4/5 x 100 filters")
    for way, fn in WAYS.items():
        with torch.no_grad():
            out = [o.transpose(1, 2) for o in fn(x, ws)] if way in POSITIONS_LAST else fn(x, ws)
            forward_ms = 1e3 * timed(lambda: fn(x, ws), args.reps)
        grads = weight_grads(way)
        out_err = max(float((a - b).abs().max()) for a, b in zip(out, reference))
        grad_err = max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(grads, reference_grads))
        both_ms = 1e3 * timed(lambda: weight_grads(way), args.reps)
        print(
            f"  {way:26s} forward {forward_ms:6.0f} ms   forward + weight grads {both_ms:6.0f} ms   "
            f"max |out - conv2d| {out_err:.1e}, grad rel. error {grad_err:.1e}"
        )


if __name__ == "__main__":
    main()
