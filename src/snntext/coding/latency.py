"""Latency (time-to-first-spike) coding: each input channel fires at most once per sentence, earlier for
larger values, and the SNN's input synapses hold the spike as a persistent current.

A value x in (0, 1] fires one spike at step
    t(x) = round((1 - x) * (T - 1))          (0-based; round half to even, as torch.round)
so x = 1 fires on step 0 and the smallest values on step T - 1; x <= 0 never fires. The spike starts a
synaptic current that stays on for the rest of the sentence (a non-leaking synapse), so a neuron of the
first layer receives w on every step from t(x) on: w x (T - t(x)) over the T steps, i.e. w x T x x_q with
    x_q = (T - t(x)) / T,                     x_q in {1/T, 2/T, ..., 1}  (0 for a silent channel),
the value quantised to T levels. x_q is what the DNN trained "on the same code" sees
(train_dnn.rate_code_steps > 0), as Binomial(T, x) / T is for the rate code.

Energy: the synaptic events are the spikes, at most one per channel and sentence; holding the current is
the post-synaptic neuron's work (one more addition and state per neuron and step), not a synaptic op.
Deterministic: no random draw. (Rueckauer & Liu 2018; Stanojevic et al. 2023: conversion with well
under one spike per neuron.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where spikes are made, so the embed stage does not pay its import time
    import torch


def _check(timesteps: int, name: str) -> None:
    if timesteps <= 0:
        raise ValueError(f"{name}: timesteps must be positive, got {timesteps}")


def latency_steps(values: torch.Tensor, timesteps: int) -> torch.Tensor:
    """int64 step of each value's spike, round((1 - x) * (T - 1)) for x in (0, 1] (values clamped to
    [0, 1]); T (after the last step: never) for x <= 0. Same shape and device as values."""
    import torch

    _check(timesteps, "latency_steps")
    x = values.clamp(0.0, 1.0)
    steps = torch.round((1.0 - x) * (timesteps - 1)).to(torch.int64)
    return torch.where(x > 0, steps, torch.full_like(steps, timesteps))


def latency_spikes(values: torch.Tensor, timesteps: int) -> torch.Tensor:
    """[T, *values.shape] spikes: 1 at step latency_steps(x) of each channel, 0 elsewhere (at most one
    spike per channel; none for x <= 0). Same dtype and device as values."""
    import torch

    steps = latency_steps(values, timesteps)
    times = torch.arange(timesteps, device=values.device).view(timesteps, *([1] * values.dim()))
    return (times == steps.unsqueeze(0)).to(values.dtype)


def synaptic_current(spikes: torch.Tensor) -> torch.Tensor:
    """The persistent input current of spikes [T, ...]: at step t, the number of spikes up to and including
    t on each channel (for latency spikes: 1 from the channel's spike on, else 0)."""
    return spikes.cumsum(dim=0)


def latency_code_mean(values: torch.Tensor, timesteps: int) -> torch.Tensor:
    """What T steps of the latency code deliver to the first layer, per step on average: x_q =
    (T - t(x)) / T, 0 for a silent channel (same shape, dtype and device as values): the mean over T of
    synaptic_current(latency_spikes(values, T))."""
    steps = latency_steps(values, timesteps)
    return ((timesteps - steps).to(values.dtype) / timesteps).clamp(min=0.0)
