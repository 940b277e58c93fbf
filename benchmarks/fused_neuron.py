"""Does fusing the neuron loop pay? A C++ prototype of LeakyNode's T-loop, timed against ours.

The prototype runs each neuron block's whole T-loop in one C++ pass (forward: membrane and spikes;
backward: the fast-sigmoid surrogate and the reverse recurrence), compiled on first use with
torch.utils.cpp_extension (needs g++ and ninja). It is NOT used by the pipeline. It prints whether
its spikes and gradients equal snntext.models.neurons', the time of one neuron call, and the time of a full
fine-tuning step of SpikingTextCNN with each. It plugs in as a LeakyLoops subclass (LeakyNode.loops).
Measured 2026-11-27 (1 thread, MR-shaped batch, two runs): one conv-layer neuron call fwd+bwd 104 -> 64
ms and 85 -> 81 ms, but the full step 800 -> 799 ms and 813 -> 868 ms: the step's time was then in the
conv layer's matmul and the copies around it, not in the neurons. Measured 2026-11-28, after the spikes
went straight into float (torch.gt out=), the backward became a per-step TorchScript loop and stages
keep freed memory: ours 26 ms (1 thread; 96 ms before) and 20 ms (2 threads) per neuron call against
the prototype's 61 / 35 ms; full step 443 vs 492 ms (1 thread), 276 vs 287 ms (2 threads). Not adopted.

    PYTHONPATH=src python benchmarks/fused_neuron.py [--threads 1]
"""

import argparse

import torch
from finetune_speed import timed  # benchmarks/ is on sys.path when this file runs as a script
from torch.utils.cpp_extension import load_inline

import snntext.models.neurons as neurons
from snntext.core.device import keep_freed_memory
from snntext.models.spiking import SpikingTextCNN
from snntext.training.finetuning import spike_count_loss

CPP = r"""
#include <torch/extension.h>
#include <ATen/Parallel.h>
#include <cmath>

std::vector<torch::Tensor> leaky_forward(torch::Tensor x, double beta, double thr) {
  x = x.contiguous();
  const int64_t T = x.size(0), N = x.numel() / T;
  auto spikes = torch::empty_like(x), u_seq = torch::empty_like(x);
  const float* xp = x.data_ptr<float>(); float* sp = spikes.data_ptr<float>(); float* up = u_seq.data_ptr<float>();
  const float b = beta, th = thr;
  at::parallel_for(0, N, 1024, [&](int64_t lo, int64_t hi) {
    std::vector<float> u(hi - lo, 0.f), s(hi - lo, 0.f);
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = xp + t * N + lo; float* st = sp + t * N + lo; float* ut = up + t * N + lo;
      for (int64_t i = 0; i < hi - lo; ++i) {
        float v = b * u[i] + xt[i] - s[i] * th;
        float z = v > th ? 1.f : 0.f;
        u[i] = v; s[i] = z; ut[i] = v; st[i] = z;
      }
    }
  });
  return {spikes, u_seq};
}

torch::Tensor leaky_backward(torch::Tensor grad_s, torch::Tensor u_seq, double beta, double thr, double slope) {
  grad_s = grad_s.contiguous();
  const int64_t T = u_seq.size(0), N = u_seq.numel() / T;
  auto grad_u = torch::empty_like(u_seq);
  const float* gp = grad_s.data_ptr<float>(); const float* up = u_seq.data_ptr<float>(); float* op = grad_u.data_ptr<float>();
  const float b = beta, th = thr, k = slope;
  at::parallel_for(0, N, 1024, [&](int64_t lo, int64_t hi) {
    std::vector<float> carry(hi - lo, 0.f);
    for (int64_t t = T - 1; t >= 0; --t) {
      const float* gt = gp + t * N + lo; const float* ut = up + t * N + lo; float* ot = op + t * N + lo;
      for (int64_t i = 0; i < hi - lo; ++i) {
        float d = 1.f + k * std::fabs(ut[i] - th);
        float g = gt[i] / (d * d) + b * carry[i];
        carry[i] = g; ot[i] = g;
      }
    }
  });
  return grad_u;
}
"""
_ext = load_inline(
    "snn_fused_leaky",
    CPP,
    functions=["leaky_forward", "leaky_backward"],
    extra_cflags=["-O3", "-march=native", "-fopenmp"],
    extra_ldflags=["-fopenmp"],
    verbose=False,
)


def _fused_forward(x_seq, v0, s0, beta: float, threshold: float):
    assert not v0.any() and not s0.any(), "the C++ prototype starts from a zero state only"
    return tuple(_ext.leaky_forward(x_seq, beta, threshold))


def _fused_backward(grad_spikes, u_seq, grad_v_last, beta: float, threshold: float, name: str, slope: float):
    assert name == "fast_sigmoid", "the C++ prototype has fast_sigmoid only"
    if grad_v_last is not None:  # its reverse loop starts from a zero carry
        raise NotImplementedError("the C++ prototype takes no gradient of the last membrane")
    return _ext.leaky_backward(grad_spikes, u_seq, beta, threshold, slope)


class FusedLoops(neurons.LeakyLoops):
    """LeakyNode's T-loops replaced by the C++ prototype (snntext.models.neurons._LeakySequence unchanged)."""

    forward = staticmethod(_fused_forward)
    backward = staticmethod(_fused_backward)

    @staticmethod
    def inference(x_seq, v0, s0, beta: float, threshold: float):
        spikes, u_seq = _fused_forward(x_seq, v0, s0, beta, threshold)
        return spikes, u_seq[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    keep_freed_memory()
    g = torch.Generator().manual_seed(0)
    T, B, L, D, F = 50, 32, 33, 50, 100
    x = (torch.rand(T, B * (L - 2) * F, generator=g) * 0.6).requires_grad_()  # a conv3 layer's currents
    zeros = torch.zeros(x.shape[1])
    grad = torch.randn(x.shape, generator=g)
    outputs = {}
    for name, loops in (("ours (TorchScript loops)", neurons.LeakyLoops), ("fused C++", FusedLoops)):

        def call(loops=loops):
            spikes = neurons._LeakySequence.apply(x, zeros, zeros, 1.0, 1.0, "fast_sigmoid", 25.0, loops)[0]
            return spikes, torch.autograd.grad(spikes, x, grad)[0]

        outputs[name] = call()
        print(f"{name:24s} one conv-layer neuron call, fwd+bwd: {1e3 * timed(call, args.reps):6.0f} ms")
    (s_a, g_a), (s_b, g_b) = outputs.values()
    print(f"spikes equal: {bool((s_a == s_b).all())}; gradient max abs difference {float((g_a - g_b).abs().max()):.2e}")
    spikes = (torch.rand(T, B, L, D, generator=g) < torch.rand(B, L, D, generator=g) * 0.6).float()
    labels = torch.randint(0, 2, (B,), generator=g)
    try:
        for name, loops in (("ours (TorchScript loops)", neurons.LeakyLoops), ("fused C++", FusedLoops)):
            neurons.LeakyNode.loops = loops
            torch.manual_seed(0)
            model = SpikingTextCNN(D, 2)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

            def step():
                loss = spike_count_loss(model.class_counts(model(spikes, full_length=L + 2)), labels)
                opt.zero_grad()
                loss.backward()
                opt.step()

            print(
                f"{name:24s} full fine-tuning step (B={B}, L={L}, T={T}, D={D}): {1e3 * timed(step, args.reps):6.0f} ms"
            )
    finally:
        neurons.LeakyNode.loops = neurons.LeakyLoops


if __name__ == "__main__":
    main()
