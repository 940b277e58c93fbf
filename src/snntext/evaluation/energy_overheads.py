"""What the headline energy formula leaves out, counted beside it (never instead of it).

The headline (snntext.evaluation.energy) charges the DNN a MAC per dense operation and the SNN an accumulate per
synaptic operation, as the paper and its literature do, so its numbers compare with theirs. Three
costs are missing from it; each is one stated assumption with the source of its constant, and each
is added for both networks where both pay it:

- neuron updates. SNN: per neuron and time step, one compare with the threshold (an fp32 add, 0.9 pJ),
  one multiply for the leak when beta < 1 (fp32 multiply, 3.7 pJ), and per spike one reset (an add,
  0.9 pJ). DNN: one ReLU compare (0.9 pJ) per convolution output. Horowitz (ISSCC 2014), 45 nm.
- weight reads. Each synaptic operation (SNN) and each MAC (DNN) reads its 32-bit weight from on-chip
  SRAM, 10 pJ (half of Horowitz's 20 pJ for a 64-bit read of a 32 kB SRAM: the optimistic bank size;
  the conv weights hold 240-480 kB). No reuse on either side: an event-driven core fetches the weights
  of each spike's fan-out (Dampfhoffer et al. 2022, "Are SNNs really more energy-efficient than ANNs?").
- membrane state (SNN only; a DNN keeps no state between steps): a read and a write of each neuron's
  32-bit membrane per time step, 2 x 10 pJ, same SRAM.
Under the latency input code (input_code "latency", snntext.coding.latency) each convolution neuron also
holds its input current: one more addition per step (0.9 pJ) and one more 32-bit state read and written per
step (2 x 10 pJ), added to the neuron updates and the membrane state.
"""

from __future__ import annotations

E_ADD_PJ = 0.9  # fp32 add (Horowitz 2014): threshold compare, reset, ReLU compare
E_MULT_PJ = 3.7  # fp32 multiply (Horowitz 2014): the leak
E_SRAM_READ_PJ = 10.0  # 32-bit read of a 32 kB SRAM (Horowitz 2014: 20 pJ per 64 bits)

TERMS = ("neuron_updates", "weight_reads", "membrane_state")
ASSUMPTIONS = {
    "neuron_updates": "SNN: threshold compare 0.9 pJ per neuron-step (+ leak 3.7 pJ when beta < 1), reset 0.9 pJ "
    "per spike; DNN: ReLU compare 0.9 pJ per convolution output (Horowitz 2014)",
    "weight_reads": "one 32-bit weight read from a 32 kB SRAM (10 pJ, Horowitz 2014) per synaptic operation (SNN) and "
    "per MAC (DNN), no reuse on either side",
    "membrane_state": "SNN only: read and write of each neuron's 32-bit membrane per time step, 2 x 10 pJ",
}


def neuron_counts(layers: dict[str, dict], filters: int) -> dict[str, int]:
    """Neurons per layer group of one sentence, from the layer operation counts of snntext.evaluation.energy:
    conv{k} neurons = pool{k}'s additions, pooled = len(K) x filters, out = fc MACs / pooled."""
    kernels = sorted(int(name[4:]) for name in layers if name.startswith("conv"))
    if not kernels or "fc" not in layers or any(f"pool{k}" not in layers for k in kernels):
        raise ValueError(f"energy layers {sorted(layers)} lack conv<k>, pool<k> or fc")
    counts = {f"conv{k}": int(layers[f"pool{k}"]["macs"]) for k in kernels}
    counts["pooled"] = len(kernels) * filters
    counts["out"] = int(round(layers["fc"]["macs"] / counts["pooled"]))
    return counts


def overheads(
    energy: dict, firing_rates: dict[str, float], *, filters: int, beta: float, input_code: str = "rate"
) -> dict:
    """The three missing terms in microjoules per sentence for the SNN (`energy`: snntext.evaluation.energy.snn_energy's
    result; `firing_rates`: measured spike rate per layer, keys conv{k}, pooled, out; `input_code`: the SNN's,
    latency adding the held input current of the convolution neurons) and for the DNN of the same shape, with
    both totals (headline + terms) and their ratio."""
    layers, T = energy["layers"], int(energy["timesteps"])
    counts = neuron_counts(layers, filters)
    missing = sorted(name for name in counts if name not in firing_rates)
    if missing:
        raise ValueError(f"firing rates lack {missing}")
    neuron_steps = T * sum(counts.values())
    spikes = T * sum(counts[name] * float(firing_rates[name]) for name in counts)
    per_step = E_ADD_PJ + (E_MULT_PJ if beta < 1.0 else 0.0)
    conv_outputs = sum(n for name, n in counts.items() if name.startswith("conv"))
    dnn_macs = sum(layer["macs"] for layer in layers.values())
    held = T * conv_outputs if input_code == "latency" else 0  # neuron-steps holding an input current
    snn_pj = {
        "neuron_updates": neuron_steps * per_step + spikes * E_ADD_PJ + held * E_ADD_PJ,
        "weight_reads": energy["total_synops"] * E_SRAM_READ_PJ,
        "membrane_state": (neuron_steps + held) * 2 * E_SRAM_READ_PJ,
    }
    dnn_pj = {
        "neuron_updates": conv_outputs * E_ADD_PJ,
        "weight_reads": dnn_macs * E_SRAM_READ_PJ,
        "membrane_state": 0.0,
    }
    snn_total = energy["total_uj"] + sum(snn_pj.values()) * 1e-6
    dnn_total = energy["dnn_total_uj"] + sum(dnn_pj.values()) * 1e-6
    return {
        "snn_uj": {k: v * 1e-6 for k, v in snn_pj.items()},
        "dnn_uj": {k: v * 1e-6 for k, v in dnn_pj.items()},
        "snn_total_uj": snn_total,
        "dnn_total_uj": dnn_total,
        "ratio_with_overheads": snn_total / dnn_total,
        "headline_ratio": energy["ratio_snn_to_dnn"],
    }
