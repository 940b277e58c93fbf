"""Energy estimate of the tailored TextCNN (DNN) and its spiking twin (SNN), per layer.

Formula (45 nm CMOS constants of Horowitz 2014, as in the SNN literature):
  E_DNN = sum over layers of MACs x 4.6 pJ
  E_SNN = sum over layers of SOPs x 0.9 pJ,  SOPs(layer) = T x r_in(layer) x dense ops(layer)
where r_in is the measured firing rate of the layer's input spikes (spikes per input per
time step; under the latency input code the spikes are the synaptic events, at most one per input
and sentence, not the steps its held current is on, so T x r_in <= 1) and the dense op counts are those of the DNN, for a sentence of L positions
(padding included: the hardware sees all L x D inputs):
  conv_k  (L-k+1) x F x k x D   input = the spike-encoded embedding, rate over all L x D inputs
  pool_k  (L-k+1) x F           additions of the average over L-k+1 positions; input = conv_k's
                                neurons. In the DNN these additions are charged as MACs (an
                                upper bound; < 0.1% of the total)
  fc      (len(K) x F) x (C x N)  input = the pooled neurons
Nothing is left out to favour either side: if the SNN comes out dearer, the ratio says so
(ratio_snn_to_dnn > 1). Neuron updates (membrane leak/threshold) are not counted, in
either network's favour, as is usual in this literature.
"""

from __future__ import annotations

from typing import Any

import torch

E_MAC_PJ = 4.6
E_AC_PJ = 0.9

DNN_FORMULA = "E_DNN = sum_layers MACs x 4.6 pJ"
SNN_FORMULA = "E_SNN = sum_layers T x input_rate x dense_ops x 0.9 pJ"


def layer_ops(
    L: int,
    D: int,
    *,
    kernel_sizes: tuple[int, ...] = (3, 4, 5),
    filters: int = 100,
    num_classes: int = 2,
    neurons_per_class: int = 10,
) -> dict[str, int]:
    """Dense operation count per layer (conv{k}, pool{k}, fc) of one sentence of L positions."""
    if any(k > L for k in kernel_sizes):
        raise ValueError(f"a kernel of {max(kernel_sizes)} does not fit a sentence of {L} positions")
    ops = {}
    for k in kernel_sizes:
        ops[f"conv{k}"] = (L - k + 1) * filters * k * D
    for k in kernel_sizes:
        ops[f"pool{k}"] = (L - k + 1) * filters
    ops["fc"] = len(kernel_sizes) * filters * num_classes * neurons_per_class
    return ops


def dnn_energy(L: int, D: int, *, e_mac_pj: float = E_MAC_PJ, **shape: Any) -> dict:
    """Per-layer MACs and pJ of the tailored DNN for one sentence; totals in microjoules.
    shape: layer_ops' keywords (kernel_sizes, filters, num_classes, neurons_per_class)."""
    ops = layer_ops(L, D, **shape)
    layers = {name: {"macs": n, "energy_pj": n * e_mac_pj} for name, n in ops.items()}
    total_pj = sum(layer["energy_pj"] for layer in layers.values())
    return {
        "formula": DNN_FORMULA,
        "e_mac_pj": e_mac_pj,
        "layers": layers,
        "total_macs": sum(ops.values()),
        "total_uj": total_pj * 1e-6,
    }


def snn_energy(
    L: int,
    D: int,
    *,
    timesteps: int,
    input_rates: dict[str, float],
    kernel_sizes: tuple[int, ...] = (3, 4, 5),
    filters: int = 100,
    num_classes: int = 2,
    neurons_per_class: int = 10,
    e_ac_pj: float = E_AC_PJ,
    e_mac_pj: float = E_MAC_PJ,
) -> dict:
    """Per-layer synaptic ops and pJ of the SNN for one sentence, its total in microjoules,
    and the ratio to the DNN of the same shape (> 1: the SNN is dearer).

    input_rates: layer name (conv{k}, pool{k}, fc) -> measured input spike rate in [0, 1].
    """
    ops = layer_ops(
        L, D, kernel_sizes=kernel_sizes, filters=filters, num_classes=num_classes, neurons_per_class=neurons_per_class
    )
    missing = sorted(set(ops) - set(input_rates))
    if missing:
        raise ValueError(f"input_rates lacks layers {missing}; needs {sorted(ops)}")
    if timesteps < 1:
        raise ValueError(f"timesteps must be >= 1, got {timesteps}")
    layers = {}
    for name, dense in ops.items():
        rate = float(input_rates[name])
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"input rate of {name} is {rate}, outside [0, 1]")
        synops = timesteps * rate * dense
        layers[name] = {"macs": dense, "input_rate": rate, "synops": synops, "energy_pj": synops * e_ac_pj}
    total_uj = sum(layer["energy_pj"] for layer in layers.values()) * 1e-6
    dnn = dnn_energy(
        L,
        D,
        kernel_sizes=kernel_sizes,
        filters=filters,
        num_classes=num_classes,
        neurons_per_class=neurons_per_class,
        e_mac_pj=e_mac_pj,
    )
    ratio = total_uj / dnn["total_uj"]
    return {
        "formula": SNN_FORMULA,
        "e_ac_pj": e_ac_pj,
        "timesteps": timesteps,
        "layers": layers,
        "total_synops": sum(layer["synops"] for layer in layers.values()),
        "total_uj": total_uj,
        "dnn_total_uj": dnn["total_uj"],
        "ratio_snn_to_dnn": ratio,
        "snn_cheaper": ratio < 1.0,
    }


def expected_input_rate(ids: torch.Tensor, table: torch.Tensor) -> float:
    """Mean Bernoulli spike probability over all L x D inputs (padding included) of the
    given sentences: the conv layers' expected input rate, exact without drawing spikes."""
    return float(table.mean(dim=1)[ids.to(table.device)].double().mean())
