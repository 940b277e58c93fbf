"""The spiking neuron of the paper's code (snnTorch `Leaky`, reset by subtraction) as a spikingjelly node.

Definition, per neuron, with the reset applied one step after the spike and detached:

    U[t] = beta * U[t-1] + I[t] - S[t-1] * threshold,    S[t] = H(U[t] - threshold),   U[-1] = S[-1] = 0

H is the strict step (a spike needs U > threshold), as in snnTorch. With beta = 1 this is
spikingjelly's `IFNode(v_reset=None)` (which resets in the same step, giving the same spikes);
with beta < 1 spikingjelly's `LIFNode(decay_input=False, v_reset=None)` subtracts
beta*threshold instead, hence this class.

Speed: the multi-step path runs the T-loop once without autograd (a TorchScript loop) and keeps
only the membrane sequence for backward. Because the reset is detached, dU[t]/dU[t-1] = beta, so
the backward pass is the linear recurrence gU[t] = sg[t] + beta * gU[t+1], computed step by step
with the surrogate in another TorchScript loop, instead of autograd replaying ~6 ops per step.
Without autograd (evaluation) a third loop keeps a single membrane buffer.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch
from spikingjelly.activation_based import surrogate as sj_surrogate
from spikingjelly.activation_based.neuron import BaseNode

from snntext.core.config import SURROGATES


def fast_sigmoid_backward(grad_output: torch.Tensor, x: torch.Tensor, slope: float):
    """SuperSpike / snnTorch fast sigmoid: dS/dx = 1 / (1 + slope*|x|)^2 (spikingjelly has none:
    its SoftSign(alpha) is alpha/2 times larger)."""
    return grad_output / (1.0 + slope * x.abs()).square(), None


_BACKWARDS: dict[str, Callable] = {
    "fast_sigmoid": fast_sigmoid_backward,
    "atan": sj_surrogate.atan_backward,  # (alpha/2) / (1 + (pi/2 * alpha * x)^2)
    "sigmoid": sj_surrogate.sigmoid_backward,  # alpha * sig(alpha x) * (1 - sig(alpha x))
}


def surrogate_backward(name: str) -> Callable:
    """grad_fn(grad_output, x, slope) -> (grad_x, None) for a surrogate name."""
    if name not in _BACKWARDS:
        raise ValueError(f"unknown surrogate {name!r}; choose one of {', '.join(SURROGATES)}")
    return _BACKWARDS[name]


class _StrictSpike(torch.autograd.Function):
    """S = H(x) with H(0) = 0 (snnTorch's step); backward by the named surrogate."""

    @staticmethod
    def forward(ctx, x, name: str, slope: float):
        ctx.save_for_backward(x)
        ctx.name, ctx.slope = name, slope
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return _BACKWARDS[ctx.name](grad_output, x, ctx.slope)[0], None, None


class Surrogate(sj_surrogate.SurrogateFunctionBase):
    """A spikingjelly surrogate module: strict Heaviside forward, named surrogate derivative."""

    def __init__(self, name: str = "fast_sigmoid", slope: float = 25.0, spiking: bool = True):
        surrogate_backward(name)
        super().__init__(spiking=spiking, slope=float(slope))
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.spiking:  # primitive (smooth) function, for plots and sanity checks only
            if self.name == "fast_sigmoid":
                return 0.5 * (self.slope * x / (1 + self.slope * x.abs())) + 0.5
            if self.name == "atan":
                return torch.atan(math.pi / 2 * self.slope * x) / math.pi + 0.5
            return torch.sigmoid(self.slope * x)
        return _StrictSpike.apply(x, self.name, self.slope)

    def extra_repr(self) -> str:
        return f"name={self.name}, slope={self.slope}, spiking={self.spiking}"


def _leaky_forward(x_seq: torch.Tensor, v0: torch.Tensor, s0: torch.Tensor, beta: float, threshold: float):
    """Membrane sequence U [T, ...] and spikes S [T, ...] of the definition above (no autograd)."""
    u_seq = torch.empty_like(x_seq)
    spikes = torch.empty_like(x_seq)
    prev_u = v0
    prev_s = s0
    for t in range(x_seq.shape[0]):
        u = u_seq[t]
        torch.add(x_seq[t], prev_u, alpha=beta, out=u)
        u.sub_(prev_s, alpha=threshold)
        s = spikes[t]
        torch.gt(u, threshold, out=s)  # straight into the float spikes (a bool result would need a copy)
        prev_u = u
        prev_s = s
    return spikes, u_seq


def _leaky_inference(x_seq: torch.Tensor, v0: torch.Tensor, s0: torch.Tensor, beta: float, threshold: float):
    """Spikes [T, ...] and the last membrane U[T-1], keeping one membrane buffer (nothing for backward)."""
    spikes = torch.empty_like(x_seq)
    u = v0.clone()
    prev_s = s0
    for t in range(x_seq.shape[0]):
        torch.add(x_seq[t], u, alpha=beta, out=u)  # same ops as _leaky_forward: the same spikes, bit for bit
        u.sub_(prev_s, alpha=threshold)
        s = spikes[t]
        torch.gt(u, threshold, out=s)
        prev_s = s
    return spikes, u


def _leaky_backward(
    grad_spikes: torch.Tensor,
    u_seq: torch.Tensor,
    grad_v_last: torch.Tensor | None,
    beta: float,
    threshold: float,
    name: str,
    slope: float,
):
    """gU[t] = gS[t] * surrogate'(U[t] - threshold) + beta * gU[t+1], one step at a time so that each
    step's temporaries stay in cache. The derivatives are those of _BACKWARDS (a test holds them equal)."""
    grad_u = torch.empty_like(u_seq)
    last = u_seq.shape[0] - 1
    for t in range(last, -1, -1):
        d = u_seq[t] - threshold
        g = grad_u[t]
        if name == "fast_sigmoid":  # 1 / (1 + slope |x|)^2
            d.abs_().mul_(slope).add_(1.0)
            d.mul_(d)
            torch.div(grad_spikes[t], d, out=g)
        elif name == "atan":  # (slope / 2) / (1 + (pi/2 slope x)^2)
            d.mul_(math.pi / 2 * slope)
            d.mul_(d).add_(1.0)
            torch.div(grad_spikes[t], d, out=g)
            g.mul_(slope / 2)
        else:  # sigmoid: slope sig(slope x) (1 - sig(slope x))
            d.mul_(slope).sigmoid_()
            torch.mul(grad_spikes[t], d, out=g)
            g.mul_(d.neg_().add_(1.0)).mul_(slope)
        if t == last:
            if grad_v_last is not None:
                g.add_(grad_v_last)
        else:
            g.add_(grad_u[t + 1], alpha=beta)
    return grad_u


with warnings.catch_warnings():  # TorchScript is deprecated but still the cheapest way to fuse these loops on CPU
    warnings.simplefilter("ignore", DeprecationWarning)
    _leaky_forward = torch.jit.script(_leaky_forward)
    _leaky_inference = torch.jit.script(_leaky_inference)
    _leaky_backward = torch.jit.script(_leaky_backward)


class LeakyLoops:
    """The neuron's T-loops, one object so that a benchmark can put its own kernels in their place
    (benchmarks/fused_neuron.py). forward -> (spikes, U sequence); inference -> (spikes, last U);
    backward -> gradient of the input sequence."""

    forward = staticmethod(_leaky_forward)
    inference = staticmethod(_leaky_inference)
    backward = staticmethod(_leaky_backward)


class _LeakySequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x_seq, v0, s0, beta: float, threshold: float, name: str, slope: float, loops=LeakyLoops):
        spikes, u_seq = loops.forward(x_seq.detach(), v0.detach(), s0.detach(), beta, threshold)
        ctx.save_for_backward(u_seq)
        ctx.set_materialize_grads(False)  # an unused output's gradient arrives as None, not a zero tensor
        ctx.beta, ctx.threshold, ctx.name, ctx.slope, ctx.loops = beta, threshold, name, slope, loops
        return spikes, u_seq[-1].clone(), spikes[-1].clone()

    @staticmethod
    def backward(ctx, grad_spikes, grad_v_last, grad_s_last):
        (u_seq,) = ctx.saved_tensors
        if grad_spikes is None:
            grad_spikes = torch.zeros_like(u_seq)
        grad_u = ctx.loops.backward(grad_spikes, u_seq, grad_v_last, ctx.beta, ctx.threshold, ctx.name, ctx.slope)
        grad_v0 = grad_u[0] * ctx.beta if ctx.needs_input_grad[1] else None
        # grad_s_last: the last spike only feeds the next call's detached reset, so it has no gradient.
        return grad_u, grad_v0, None, None, None, None, None, None


class LeakyNode(BaseNode):
    """Leaky integrate-and-fire with snnTorch's deferred, detached subtract reset (beta=1: IF).

    Memories: `v` = U[t] of the last step (before its pending reset) and `spike` = S[t], so that
    consecutive calls continue one trajectory; `functional.reset_net` zeroes both.
    """

    loops = LeakyLoops

    def __init__(
        self,
        threshold: float = 1.0,
        beta: float = 1.0,
        surrogate: str = "fast_sigmoid",
        slope: float = 25.0,
        step_mode: str = "m",
    ):
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {beta}")
        if threshold <= 0:
            raise ValueError(f"threshold must be > 0, got {threshold}")
        super().__init__(
            v_threshold=float(threshold),
            v_reset=None,
            surrogate_function=Surrogate(surrogate, slope),
            detach_reset=True,
            step_mode=step_mode,
        )
        self.beta = float(beta)
        self.register_memory("spike", 0.0)

    def extra_repr(self) -> str:
        return (
            f"threshold={self.v_threshold}, beta={self.beta}, surrogate={self.surrogate_function.name}, "
            f"slope={self.surrogate_function.slope}, step_mode={self.step_mode}"
        )

    def materialize_states(self, inputs, states, step_mode):
        x = inputs[0][0] if step_mode == "m" else inputs[0]
        out = []
        for state in states:
            if not isinstance(state, torch.Tensor) or state.shape != x.shape:
                state = torch.zeros_like(x)
            out.append(state.to(dtype=x.dtype, device=x.device))
        return tuple(out)

    def single_step_functional_forward(self, inputs, states, **kwargs):
        v, prev_spike = states
        u = self.beta * v + inputs[0] - prev_spike.detach() * self.v_threshold
        spike = self.surrogate_function(u - self.v_threshold)
        return (spike,), (u, spike.detach())

    def multi_step_functional_forward(self, inputs, states, **kwargs):
        v0, s0 = states
        x_seq = inputs[0]
        if not (torch.is_grad_enabled() and (x_seq.requires_grad or v0.requires_grad)):
            spikes, v = self.loops.inference(x_seq, v0, s0, self.beta, self.v_threshold)
            return (spikes,), (v, spikes[-1])
        spikes, v, s = _LeakySequence.apply(
            x_seq,
            v0,
            s0,
            self.beta,
            self.v_threshold,
            self.surrogate_function.name,
            self.surrogate_function.slope,
            self.loops,
        )
        return (spikes,), (v, s.detach())

    def multi_step_forward(self, x_seq: torch.Tensor, *args, **kwargs):
        if self.store_v_seq:
            return super().multi_step_forward(x_seq, *args, **kwargs)
        inputs = (x_seq, *args)
        states = self.materialize_states(inputs, tuple(self._memories.values()), "m")
        (spikes,), (v, s) = self.multi_step_functional_forward(inputs, states)
        self._memories["v"], self._memories["spike"] = v, s
        return spikes
