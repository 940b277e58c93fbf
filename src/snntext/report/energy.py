"""reports/energy.md: is the SNN cheaper than the DNN, and if not, why not?

First the headline: energy per test sentence with both networks charged for the same positions (the
`energy` stage, snntext.evaluation.sentence_energy), with intervals over sentences, without and with neuron
updates, and the paper's convention beside it. Then the paper's formula from the finetune stage's operation
counts and firing rates, with the verdict per dataset, and the firing rates and operations per layer that
explain it.
"""

from __future__ import annotations

from collections.abc import Iterable

from snntext.report.frontier import TARGET_RATIO
from snntext.report.markdown import FIGURES, LAYER_ORDER, MISSING, display, markdown_table, millions, pct
from snntext.report.metrics import DatasetMetrics, measured


def _ordered_layers(names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    return [n for n in LAYER_ORDER if n in names] + sorted(n for n in names if n not in LAYER_ORDER)


def _input_rate_reason(run: dict[str, DatasetMetrics], dearer: list[str], e_mac_pj: float) -> str:
    """Why the SNN is dearer on the datasets `dearer` (keys of `run`), from the measured input rates: the
    convolutions over the spike-coded embedding hold nearly all operations, and they cost T x rate x E_AC
    per MAC against E_MAC."""

    def span(values: list[float], digits: int) -> str:
        low, high = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
        return low if low == high else f"{low}-{high}"

    energies = [run[ds].stages["finetune"]["energy"] for ds in dearer]
    rates = [100 * e["layers"][_ordered_layers(e["layers"])[0]]["input_rate"] for e in energies]
    breakeven = [100 * e_mac_pj / (e["e_ac_pj"] * e["timesteps"]) for e in energies]
    return (
        f"in the input layer, which holds nearly all the operations, on average {span(rates, 0)}% of the L x D "
        f"inputs (padding included) spike at each time step, and the SNN breaks even only below "
        f"E_MAC / (E_AC x T) = {span(breakeven, 1)}%."
    )


def _interval(entry: dict, key: str = "mean", digits: int = 2) -> str:
    """A value with its interval: 8.86 [8.80, 8.92]."""
    return f"{entry[key]:.{digits}f} [{entry['ci_low']:.{digits}f}, {entry['ci_high']:.{digits}f}]"


def _target_verdict(ratios: dict[str, dict]) -> str:
    """Where the fair ratio with neuron updates (value and interval, per dataset) meets the target, from its
    interval: within it, cheaper than the DNN only, dearer, or undecided (the interval straddles 1)."""
    groups: dict[str, list[str]] = {"within": [], "cheaper": [], "dearer": [], "undecided": []}
    for ds, r in ratios.items():
        kind = (
            "within"
            if r["ci_high"] <= TARGET_RATIO
            else "cheaper"
            if r["ci_high"] < 1
            else "dearer"
            if r["ci_low"] > 1
            else "undecided"
        )
        groups[kind].append(display(ds))
    said = {
        "within": f"at most {TARGET_RATIO:g}x its DNN's energy (the target; the whole interval) on",
        "cheaper": "less than its DNN but not within the target on",
        "dearer": "more than its DNN on",
        "undecided": "about as much as its DNN (the interval holds 1) on",
    }
    clauses = [f"{said[kind]} {', '.join(names)}" for kind, names in groups.items() if names]
    return "With neuron updates counted, on the same positions, the SNN costs " + "; ".join(clauses) + "."


def per_sentence_section(run: dict[str, DatasetMetrics]) -> str:
    """The headline: the energy stage's test split per dataset, fair accounting first, the paper's beside it."""
    measured_on = {ds: m.stages["energy"] for ds, m in run.items() if "energy" in m.stages}
    heading = "## Per sentence, both networks charged for the same positions (headline)"
    if not measured_on:
        return f"{heading}\n\n_Not run: `dvc repro energy`._ Until it runs, the paper's convention below is all there is.\n"
    fair_rows, paper_rows = [], []
    for ds, m in run.items():
        if ds not in measured_on:
            fair_rows.append([display(ds), *[MISSING] * 8])
            paper_rows.append([display(ds), *[MISSING] * 5])
            continue
        test = measured_on[ds]["splits"]["test"]
        fair, paper = test["accountings"]["fair"], test["accountings"]["paper"]
        fair_rows.append(
            [
                display(ds),
                str(int(test["sentences"])),
                pct(test["real_token_share"]),
                _interval(fair["dnn_uj"]),
                _interval(fair["snn_uj"]),
                _interval(fair["ratio"], "value"),
                _interval(fair["ratio_with_neuron_updates"], "value"),
                _interval(test["spikes_per_input_channel"]),
                pct(test["accuracy"]) if "accuracy" in test else MISSING,
            ]
        )
        paper_rows.append(
            [
                display(ds),
                f"{paper['dnn_uj']['mean']:.2f}",
                _interval(paper["snn_uj"]),
                _interval(paper["ratio"], "value"),
                _interval(paper["ratio_with_neuron_updates"], "value"),
                f"{m.stages['finetune']['energy']['ratio_snn_to_dnn']:.2f}",
            ]
        )
    verdict = _target_verdict(
        {ds: e["splits"]["test"]["accountings"]["fair"]["ratio_with_neuron_updates"] for ds, e in measured_on.items()}
    )
    first = next(iter(measured_on.values()))
    level = f"{first['splits']['test']['level']:.0%}"
    not_run = [ds for ds in run if ds not in measured_on]
    parts = [
        heading,
        "",
        "Each test sentence is charged on its own, from one spike draw of the fine-tuned SNN (its first seed, as the "
        "finetune stage draws it; the draw's accuracy is shown). Fair accounting: both networks pay for the same "
        "positions of each sentence, its real tokens and the convolution windows that touch them (a window holding "
        "one real token is charged to the DNN in full, k x D MACs per filter); padding is charged to neither. The "
        "DNN pays a MAC (4.6 pJ) per operation of those windows, its pooling and its fc layer; the SNN pays an "
        "accumulate (0.9 pJ) per synaptic operation its spikes actually trigger: F per input spike and window "
        "containing it, one per convolution spike into the pooling, C x N per pooled spike. With neuron updates: "
        "the SNN's threshold compare per neuron and time step (and the leak when beta < 1) and reset per spike, "
        'the DNN\'s ReLU compare per convolution output (the model of "What the headline formula leaves out" '
        "below, when the energy grid has run), on the same "
        f"positions. µJ per sentence: mean over the test sentences with a {level} percentile-bootstrap interval; "
        f"ratio: mean SNN energy over mean DNN energy, with a {level} paired bootstrap interval (the same "
        "resampled sentences for both networks). Spikes per input channel: a sentence's input spikes over all T "
        "steps divided by its n real tokens x D input channels (divide by T for the rate). The target (at most "
        "half the DNN's energy) is judged with neuron updates counted.",
        "",
        markdown_table(
            [
                "Dataset",
                "Sentences",
                "Real tokens % of L",
                "DNN µJ / sentence",
                "SNN µJ / sentence",
                "SNN / DNN",
                "SNN / DNN with neuron updates",
                "Input spikes per channel",
                "SNN accuracy of the draw %",
            ],
            fair_rows,
        ),
        "",
        verdict,
        "",
        "The paper's convention, per sentence on the same draw (the DNN charged for all L positions, padding "
        "included, the SNN for its input rate over all L x D inputs): its mean is the formula of the next section, "
        "so the last column, the finetune stage's ratio from the same seed's draw, should agree with the SNN / DNN "
        "column.",
        "",
        markdown_table(
            [
                "Dataset",
                "DNN µJ / sentence",
                "SNN µJ / sentence",
                "SNN / DNN",
                "SNN / DNN with neuron updates",
                "Finetune stage's SNN / DNN",
            ],
            paper_rows,
        ),
        "",
        "The frontier at the end of this report judges each grid setting by this table's fair ratio with neuron "
        "updates, chosen on dev and confirmed on test, where the grid recorded the `energy` stage; the paper's ratio "
        "and µJ (the finetune stage's totals) stay beside it and on its figure.",
    ]
    if not_run:
        parts += ["", f"_Not run for {', '.join(map(display, not_run))}: `dvc repro energy@<dataset>`._"]
    return "\n".join(parts) + "\n"


def energy_markdown(run: dict[str, DatasetMetrics], dnn_formula: str, e_mac_pj: float) -> str:
    first = next(iter(run.values()))
    snn_energy = first.stages["finetune"]["energy"]
    summary, dearer = [], []
    for ds, m in run.items():
        dnn = m.stages["train_dnn"]
        conv = m.stages["convert"]["options"][m.stages["convert"]["chosen"]]["energy"]
        fine = m.stages["finetune"]["energy"]
        if measured(m.stages["finetune"], "energy.ratio_snn_to_dnn").mean > 1:
            dearer.append(ds)
        summary.append(
            [
                display(ds),
                int(fine["timesteps"]),
                millions(dnn["dnn_macs"]),
                f"{dnn['dnn_energy_uj']:.2f}",
                millions(conv["total_synops"]),
                f"{conv['total_uj']:.2f}",
                f"{conv['ratio_snn_to_dnn']:.2f}",
                millions(fine["total_synops"]),
                f"{fine['total_uj']:.2f}",
                f"{measured(m.stages['finetune'], 'energy.ratio_snn_to_dnn').mean:.2f}",
            ]
        )
    verdict = (
        f"Under this accounting the fine-tuned SNN costs MORE than the DNN on {', '.join(map(display, dearer))} "
        f"(ratio > 1): {_input_rate_reason(run, dearer, e_mac_pj)}"
        if dearer
        else "Under this accounting the fine-tuned SNN costs less than the DNN on every dataset."
    )
    rates_rows = []
    for ds, m in run.items():
        conv_opt = m.stages["convert"]["options"][m.stages["convert"]["chosen"]]
        for label, rates in (
            ("converted", conv_opt["test"]["firing_rates"]),
            ("fine-tuned", m.stages["finetune"]["test"]["firing_rates"]),
        ):
            rates_rows.append((ds, label, rates))
    layers = _ordered_layers(name for _, _, rates in rates_rows for name in rates)
    op_layers = _ordered_layers(name for m in run.values() for name in m.stages["finetune"]["energy"]["layers"])
    op_rows = []
    for ds, m in run.items():
        fine = m.stages["finetune"]["energy"]["layers"]
        conv = m.stages["convert"]["options"][m.stages["convert"]["chosen"]]["energy"]["layers"]
        for layer in op_layers:
            f, c = fine.get(layer), conv.get(layer)
            op_rows.append(
                [
                    display(ds),
                    layer,
                    millions(f["macs"]) if f else MISSING,
                    pct(c["input_rate"]) if c else MISSING,
                    millions(c["synops"]) if c else MISSING,
                    pct(f["input_rate"]) if f else MISSING,
                    millions(f["synops"]) if f else MISSING,
                ]
            )
    parts = [
        "# Energy",
        "",
        "Generated by the `report` stage from `metrics/` (do not edit). Estimated energy of classifying one "
        "sentence, with the 45 nm CMOS constants of Horowitz (2014).",
        "",
        per_sentence_section(run),
        "## The paper's convention (all L positions)",
        "",
        "From the finetune stage's operation counts and measured firing rates (test split), as the paper and its "
        "literature count them:",
        "",
        f"- DNN: `{dnn_formula}` (E_MAC = {e_mac_pj} pJ per multiply-accumulate).",
        f"- SNN: `{snn_energy['formula']}` (E_AC = {snn_energy['e_ac_pj']} pJ per synaptic operation, an accumulate "
        "triggered by an input spike).",
        "- dense_ops are the DNN's operation counts of the layer for a sentence of L positions, padding included; "
        "input_rate is the measured share of the layer's input neuron-steps that spiked. Neuron updates (leak, "
        "threshold) are counted in neither network.",
        "",
        verdict,
        "",
        markdown_table(
            [
                "Dataset",
                "T",
                "DNN MACs",
                "DNN µJ",
                "Converted SOPs",
                "Converted µJ",
                "Converted / DNN",
                "Fine-tuned SOPs",
                "Fine-tuned µJ",
                "Fine-tuned / DNN",
            ],
            summary,
        ),
        "",
        "### Firing rate per layer (test split, % of neuron-steps that spiked)",
        "",
        f"![firing rates]({FIGURES['rates']})",
        "",
        markdown_table(
            ["Dataset", "SNN", *layers],
            [[display(ds), label, *[pct(rates.get(l)) for l in layers]] for ds, label, rates in rates_rows],
            "ll" + "r" * len(layers),
        ),
        "",
        "### Operations per layer (one sentence)",
        "",
        "MACs are the DNN's dense operations; SOPs = T x input rate x MACs.",
        "",
        markdown_table(
            [
                "Dataset",
                "Layer",
                "DNN MACs",
                "Converted input rate %",
                "Converted SOPs",
                "Fine-tuned input rate %",
                "Fine-tuned SOPs",
            ],
            op_rows,
            "llrrrrr",
        ),
        "",
    ]
    return "\n".join(parts)
