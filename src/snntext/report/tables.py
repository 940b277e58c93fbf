"""The Markdown of reports/: accuracy, energy, robustness and the run's settings.

Every number comes from the checked metrics (snntext.report.metrics) except the paper's own rows
(paper.yaml, with their source). Accuracies are shown as percentages with 2 decimals; a value
measured over several seeds is shown as mean ± std.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import yaml

from snntext.errors import SnntextError
from snntext.report.metrics import DatasetMetrics, Measured, measured

PAPER_FILE = Path(__file__).resolve().parent / "paper.yaml"
DISPLAY = {"mr": "MR", "sst2": "SST-2", "sst5": "SST-5", "subj": "Subj", "chnsenti": "ChnSenti", "waimai": "Waimai"}
MODEL_NAMES = {"kim": "Kim TextCNN", "dnn": "Tailored DNN", "snn": "SNN (deterministic)",
               "snn_stochastic": "SNN (stochastic)"}
LAYER_ORDER = ("input", "conv3", "conv4", "conv5", "pool3", "pool4", "pool5", "pooled", "fc", "out")
FIGURES = {"timesteps": "figures/accuracy_vs_timesteps.png", "finetune": "figures/finetune_epochs.png",
           "dnn": "figures/dnn_training.png", "rates": "figures/firing_rates.png"}
MISSING = "–"


# ----------------------------------------------------------------------------- formatting
def display(dataset: str) -> str:
    return DISPLAY.get(dataset, dataset)


def pct(value: Measured | float | None) -> str:
    """A share in [0, 1] as a percentage with 2 decimals (± std over seeds when there are several)."""
    if value is None:
        return MISSING
    if not isinstance(value, Measured):
        return f"{100 * value:.2f}"
    text = f"{100 * value.mean:.2f}"
    return text if value.std is None else f"{text} ± {100 * value.std:.2f}"


def signed_points(value: float) -> str:
    """A difference of shares in percentage points, always signed (− for a loss)."""
    return f"{100 * value:+.2f}".replace("-", "−")


def millions(value: float) -> str:
    """An operation count: in millions with 2 decimals, or in full below a million (pool layers)."""
    return f"{value / 1e6:.2f} M" if value >= 1e6 else f"{value:,.0f}"


def markdown_table(header: list[str], rows: Iterable[list[Any]], align: str | None = None) -> str:
    """A GitHub Markdown table; align is one of l/r per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def seeds_note(run: dict[str, DatasetMetrics]) -> str:
    counts = sorted({len(m.stages[s]["per_seed"]) for m in run.values() for s in m.stages
                     if isinstance(m.stages[s].get("per_seed"), dict) and len(m.stages[s]["per_seed"]) > 1})
    if not counts:
        return "One seed per run (params `seed`): single values, no standard deviation."
    return f"Values with ± are the mean ± sample standard deviation over {'/'.join(map(str, counts))} seeds."


# ----------------------------------------------------------------------------- paper
def load_paper(path: Path = PAPER_FILE) -> dict:
    """paper.yaml, checked: rows textcnn and snn, each with a label and percent values per dataset."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise SnntextError(f"{path}: unreadable ({err})") from None
    try:
        rows = {key: data["rows"][key] for key in ("textcnn", "snn")}
        for key, row in rows.items():
            if not isinstance(row["label"], str) or not all(isinstance(v, (int, float)) for v in row["values"].values()):
                raise TypeError(key)
        source = str(data["source"])
    except (KeyError, TypeError, AttributeError):
        raise SnntextError(f"{path}: needs 'source' and rows textcnn/snn with 'label' and numeric 'values'") from None
    return {"source": source, "rows": rows}


def _paper_value(paper: dict, row: str, dataset: str) -> float | None:
    value = paper["rows"][row]["values"].get(dataset)
    return None if value is None else value / 100.0


# ----------------------------------------------------------------------------- accuracy
def _average(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(values) / len(values)


def _ours(m: DatasetMetrics, split: str) -> dict[str, Measured]:
    conv = m.stages["convert"]
    chosen = conv["chosen"]
    steps = str(int(conv["timesteps"]))
    return {
        "majority": measured(m.stages["train_dnn"], f"majority_{split}_acc"),
        "kim": measured(m.stages["train_dnn"], f"kim_{split}_acc"),
        "dnn": measured(m.stages["train_dnn"], f"dnn_{split}_acc"),
        "converted": measured(conv, ("options", chosen, split, "accuracy")),
        "finetuned": measured(m.stages["finetune"], f"{split}_acc"),
        "rate_coded": (measured(conv, ("dnn_rate_coded", steps, split))
                       if steps in conv.get("dnn_rate_coded", {}) else None),
    }


def _training_input(run: dict[str, DatasetMetrics]) -> str:
    """', trained on rate-coded input, T = 50' when every data set's DNN was (train_dnn.rate_code_steps)."""
    steps = {m.stages["train_dnn"].get("dnn_rate_code_steps", 0) for m in run.values()}
    if len(steps) == 1 and (only := steps.pop()):
        return f", trained on rate-coded input, T = {only}"
    return ""


def results_table(run: dict[str, DatasetMetrics], paper: dict, split: str = "test") -> str:
    """Rows: our models, the gap fine-tuned SNN − tailored DNN, the paper's rows and gap; columns: datasets (+ Avg)."""
    names = list(run)
    ours = {ds: _ours(m, split) for ds, m in run.items()}
    chosen = sorted({m.stages["convert"]["chosen"] for m in run.values()})
    labels = [("majority", "Majority class (train's most frequent)"), ("kim", "Kim TextCNN (ours)"),
              ("dnn", f"Tailored DNN (ours{_training_input(run)})")]
    if all(ours[ds]["rate_coded"] is not None for ds in names):
        steps = int(run[names[0]].stages["convert"]["timesteps"])
        labels.append(("rate_coded", f"Tailored DNN on rate-coded input, T = {steps} (what the encoding alone costs, ours)"))
    labels += [("converted", f"Converted SNN, no fine-tuning (ours, {'/'.join(chosen)})"),
               ("finetuned", "Fine-tuned SNN (ours)")]
    with_avg = len(names) > 1
    header = ["Model"] + [display(ds) for ds in names] + (["Avg"] if with_avg else [])
    rows = []
    for key, label in labels:
        cells = [pct(ours[ds][key]) for ds in names]
        if with_avg:
            cells.append(pct(_average([ours[ds][key].mean for ds in names])))
        rows.append([label, *cells])
    gaps = [ours[ds]["finetuned"].mean - ours[ds]["dnn"].mean for ds in names]
    rows.append(["Gap: fine-tuned SNN − tailored DNN (points)", *[signed_points(g) for g in gaps],
                 *([signed_points(sum(gaps) / len(gaps))] if with_avg else [])])
    if split == "test":
        rows += _paired_gap_rows(run, with_avg)
        for key in ("textcnn", "snn"):
            values = [_paper_value(paper, key, ds) for ds in names]
            avg = _average(values)
            rows.append([paper["rows"][key]["label"], *[pct(v) for v in values], *([pct(avg)] if with_avg else [])])
        paper_gaps = [None if a is None or b is None else b - a for a, b in
                      zip((_paper_value(paper, "textcnn", ds) for ds in names), (_paper_value(paper, "snn", ds) for ds in names))]
        avg_gap = _average(paper_gaps)
        rows.append(["Gap: SNN − TextCNN (paper, points)", *[MISSING if g is None else signed_points(g) for g in paper_gaps],
                     *([MISSING if avg_gap is None else signed_points(avg_gap)] if with_avg else [])])
    return markdown_table(header, rows)


def _paired_gap_rows(run: dict[str, DatasetMetrics], with_avg: bool) -> list[list[str]]:
    """The fine-tuned SNN over several test spike draws and its gap to the DNN with a bootstrap
    interval (finetune's `paired_gap`); no rows when a dataset's metrics predate it."""
    blocks = [m.stages["finetune"].get("paired_gap") for m in run.values()]
    if not all(blocks):
        return []
    draws = "/".join(str(d) for d in sorted({int(b["draws"]) for b in blocks}))
    level = f"{100 * blocks[0]['level']:.0f}%"
    means = [b["snn_acc_mean"] for b in blocks]
    gaps = [b["gap_points"] / 100 for b in blocks]
    accuracy = [f"{100 * b['snn_acc_mean']:.2f} ± {100 * b['snn_acc_std']:.2f}" for b in blocks]
    interval = [f"{signed_points(b['gap_points'] / 100)} [{signed_points(b['ci_low_points'] / 100)}, "
                f"{signed_points(b['ci_high_points'] / 100)}]" for b in blocks]
    return [[f"Fine-tuned SNN, mean ± std over {draws} test spike draws (ours)", *accuracy,
             *([pct(sum(means) / len(means))] if with_avg else [])],
            [f"Gap over those draws, {level} interval (paired bootstrap over test sentences)", *interval,
             *([signed_points(sum(gaps) / len(gaps))] if with_avg else [])]]


def conversion_table(run: dict[str, DatasetMetrics]) -> str:
    """Converted SNN without fine-tuning under every normalisation: test (dev) accuracy, ties and silence."""
    options = list(dict.fromkeys(o for m in run.values() for o in m.stages["convert"]["options"]))
    header = ["Normalisation", *[display(ds) for ds in run]]
    rows = []
    for option in options:
        cells = []
        for m in run.values():
            conv = m.stages["convert"]
            if option not in conv["options"]:
                cells.append(MISSING)
                continue
            mark = " ★" if option == conv["chosen"] else ""
            cells.append(f"{pct(measured(conv, ('options', option, 'test', 'accuracy')))} "
                         f"({pct(measured(conv, ('options', option, 'dev', 'accuracy')))}){mark}")
        rows.append([f"`{option}`", *cells])
    for label, key in (("Tie rate, test, % (chosen)", "tie_rate"), ("Silent rate, test, % (chosen)", "silent_rate")):
        rows.append([label, *[pct(measured(m.stages["convert"], ("options", m.stages["convert"]["chosen"], "test", key)))
                              for m in run.values()]])
    return markdown_table(header, rows)


def sweep_table(run: dict[str, DatasetMetrics], split: str = "test") -> str:
    """Accuracy vs T at inference (rows dataset x network, columns T)."""
    steps = sorted({int(t) for m in run.values() for per in m.stages["sweep"]["models"].values()
                    for entry in per.values() for t in entry["points"]})
    rows = []
    for ds, m in run.items():
        for model, label in (("converted", "converted"), ("finetuned", "fine-tuned")):
            entry = m.stages["sweep"]["models"][model].get(split)
            points = entry["points"] if entry else {}
            rows.append([display(ds), label, *[pct(points[str(t)]["accuracy"]) if str(t) in points else MISSING
                                               for t in steps]])
        coded = m.stages["sweep"].get("dnn_rate_coded", {}).get(split)
        if coded:
            rows.append([display(ds), "DNN, rate-coded input", *[pct(coded[str(t)]) if str(t) in coded else MISSING
                                                                 for t in steps]])
    return markdown_table(["Dataset", "SNN", *[f"T={t}" for t in steps]], rows, "ll" + "r" * len(steps))


def embeddings_table(run: dict[str, DatasetMetrics], dims: dict[str, int | None]) -> str:
    rows = []
    for ds, m in run.items():
        prep, emb = m.stages["prepare"], m.stages["embed"]
        dim = dims.get(ds)
        rows.append([display(ds), prep["language"], f"`{emb['vectors']}`", MISSING if dim is None else dim,
                     pct(emb["coverage"]["token_coverage"]), pct(emb["oov_rate"]),
                     " / ".join(str(int(prep["splits"][s]["count"])) for s in ("train", "dev", "test"))])
    return markdown_table(["Dataset", "Language", "Embedding", "Dimension", "Token coverage", "OOV rate",
                           "Train / dev / test"], rows, "lllrrrr")


def accuracy_markdown(run: dict[str, DatasetMetrics], paper: dict, dims: dict[str, int | None]) -> str:
    conv = next(iter(run.values())).stages["convert"]
    parts = [
        "# Accuracy",
        "",
        "Generated by the `report` stage from `metrics/` (do not edit). Test accuracy in percent; every model is "
        "selected on the dev split, never on test. " + seeds_note(run),
        "",
        f"SNNs run T = {int(conv['timesteps'])} time steps (threshold {conv['threshold']}, beta {conv['beta']}); "
        "a prediction is the class whose output population spikes most, ties to the lowest class. "
        "Each SNN number is one seeded draw of the input spikes; another draw moves it by a point or more "
        "(the T = 50 column of the sweep below is another draw of the same networks): set `seeds` for mean ± std "
        "over fine-tunings. The rows \"over N test spike draws\" hold the fine-tuned network fixed and redraw only "
        "its input spikes (`finetune.test_draws`); their gap interval resamples the test sentences, pairing each "
        "sentence's DNN and SNN answers, so it shows how sure the gap is given this test set.",
        "",
        results_table(run, paper),
        "",
        f"Paper rows: {paper['source']}",
        "",
        "## Dev accuracy",
        "",
        results_table(run, paper, split="dev"),
        "",
        "## Conversion without fine-tuning, per normalisation",
        "",
        "Test accuracy (dev accuracy in parentheses); ★ = the normalisation fine-tuning starts from "
        "(params `convert.normalisation`).",
        "",
        conversion_table(run),
        "",
        "## Accuracy vs time steps at inference (no retraining)",
        "",
        f"![accuracy vs T]({FIGURES['timesteps']})",
        "",
        sweep_table(run),
        "",
        "## Training curves",
        "",
        f"![fine-tuning]({FIGURES['finetune']})",
        "",
        f"![DNN training]({FIGURES['dnn']})",
        "",
        "## Embeddings and splits",
        "",
        embeddings_table(run, dims),
        "",
    ]
    return "\n".join(parts)


# ----------------------------------------------------------------------------- energy
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
    return (f"in the input layer, which holds nearly all the operations, on average {span(rates, 0)}% of the L x D "
            f"inputs (padding included) spike at each time step, and the SNN breaks even only below "
            f"E_MAC / (E_AC x T) = {span(breakeven, 1)}%.")


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
        summary.append([display(ds), int(fine["timesteps"]), millions(dnn["dnn_macs"]), f"{dnn['dnn_energy_uj']:.2f}",
                        millions(conv["total_synops"]), f"{conv['total_uj']:.2f}", f"{conv['ratio_snn_to_dnn']:.2f}",
                        millions(fine["total_synops"]), f"{fine['total_uj']:.2f}",
                        f"{measured(m.stages['finetune'], 'energy.ratio_snn_to_dnn').mean:.2f}"])
    verdict = (f"Under this accounting the fine-tuned SNN costs MORE than the DNN on {', '.join(map(display, dearer))} "
               f"(ratio > 1): {_input_rate_reason(run, dearer, e_mac_pj)}"
               if dearer else "Under this accounting the fine-tuned SNN costs less than the DNN on every dataset.")
    rates_rows = []
    for ds, m in run.items():
        conv_opt = m.stages["convert"]["options"][m.stages["convert"]["chosen"]]
        for label, rates in (("converted", conv_opt["test"]["firing_rates"]),
                             ("fine-tuned", m.stages["finetune"]["test"]["firing_rates"])):
            rates_rows.append((ds, label, rates))
    layers = _ordered_layers(name for _, _, rates in rates_rows for name in rates)
    op_layers = _ordered_layers(name for m in run.values() for name in m.stages["finetune"]["energy"]["layers"])
    op_rows = []
    for ds, m in run.items():
        fine = m.stages["finetune"]["energy"]["layers"]
        conv = m.stages["convert"]["options"][m.stages["convert"]["chosen"]]["energy"]["layers"]
        for layer in op_layers:
            f, c = fine.get(layer), conv.get(layer)
            op_rows.append([display(ds), layer, millions(f["macs"]) if f else MISSING,
                            pct(c["input_rate"]) if c else MISSING, millions(c["synops"]) if c else MISSING,
                            pct(f["input_rate"]) if f else MISSING, millions(f["synops"]) if f else MISSING])
    parts = [
        "# Energy",
        "",
        "Generated by the `report` stage from `metrics/` (do not edit). Estimated energy of classifying one "
        "sentence, from operation counts and measured firing rates (test split), with the 45 nm CMOS constants "
        "of Horowitz (2014):",
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
        markdown_table(["Dataset", "T", "DNN MACs", "DNN µJ", "Converted SOPs", "Converted µJ", "Converted / DNN",
                        "Fine-tuned SOPs", "Fine-tuned µJ", "Fine-tuned / DNN"], summary),
        "",
        "## Firing rate per layer (test split, % of neuron-steps that spiked)",
        "",
        f"![firing rates]({FIGURES['rates']})",
        "",
        markdown_table(["Dataset", "SNN", *layers],
                       [[display(ds), label, *[pct(rates.get(l)) for l in layers]] for ds, label, rates in rates_rows],
                       "ll" + "r" * len(layers)),
        "",
        "## Operations per layer (one sentence)",
        "",
        "MACs are the DNN's dense operations; SOPs = T x input rate x MACs.",
        "",
        markdown_table(["Dataset", "Layer", "DNN MACs", "Converted input rate %", "Converted SOPs",
                        "Fine-tuned input rate %", "Fine-tuned SOPs"], op_rows, "llrrrrr"),
        "",
    ]
    return "\n".join(parts)


# ----------------------------------------------------------------------------- robustness
OFFLINE_SUBSTITUTIONS = (
    "Attacks run with TextAttack fully offline (src/snntext/attack/recipes.py): the Universal Sentence "
    "Encoder is replaced by SBERT all-MiniLM-L6-v2 with a cosine threshold of {similarity}; counter-fitted "
    "GloVe neighbours are replaced by nearest neighbours in this pipeline's own pre-trained vectors; WordNet "
    "is Debian's WordNet 3.0; BERT-Attack runs only when bert-base-uncased is in the local cache. On Chinese "
    "datasets only the character-edit and vector-neighbour recipes apply. The SNN sees T = {timesteps} steps; "
    "its stochastic variant draws fresh spikes for every query ({spike_samples} spike sample(s) averaged)."
)


def _attack_row(ds: str, recipe: str, model: str, r: dict) -> list[str]:
    share = r["avg_perturbed_word_share"]
    return [display(ds), f"`{recipe}`", MODEL_NAMES.get(model, model), int(r["examples"]), pct(r["clean_accuracy"]),
            pct(r["accuracy_under_attack"]), pct(r["success_rate"]), pct(share),
            MISSING if r["avg_queries"] is None else f"{r['avg_queries']:.1f}"]


def robustness_markdown(run: dict[str, DatasetMetrics]) -> str:
    attacked = {ds: m.stages["attack"] for ds, m in run.items() if "attack" in m.stages}
    head = ["# Robustness to adversarial attacks", "",
            "Generated by the `report` stage from `metrics/attack/` (do not edit)."]
    if not attacked:
        return "\n".join(head + ["", "No attack metrics: the `attack` stage did not run for any dataset of this "
                                 f"run ({', '.join(display(d) for d in run)}; no `metrics/attack/<dataset>.json`). "
                                 "Run `dvc repro attack` to fill this report.", ""])
    settings = sorted({(a.get("similarity", MISSING), a.get("timesteps", MISSING), a.get("spike_samples", MISSING))
                       for a in attacked.values()})
    similarity, timesteps, samples = (" / ".join(str(s[i]) for s in settings) for i in range(3))
    rows, skipped, throughput = [], [], []
    for ds, a in attacked.items():
        recipes = list(dict.fromkeys(r for per_model in a["models"].values() for r in per_model))
        for recipe in recipes:
            for model, per_model in a["models"].items():
                if recipe in per_model:
                    rows.append(_attack_row(ds, recipe, model, per_model[recipe]))
        for recipe, reason in a["skipped_recipes"].items():
            skipped.append(f"- {display(ds)}, `{recipe}`: {reason}")
        rates = a.get("throughput_queries_per_s") or {}
        throughput.append(f"- {display(ds)}: {int(a.get('examples', 0))} test examples, wall time {a['wall_s']:.0f} s"
                          + ("; queries/s " + ", ".join(f"{MODEL_NAMES.get(k, k)} {v:.1f}" for k, v in rates.items())
                             if rates else ""))
    not_run = [display(ds) for ds in run if ds not in attacked]
    parts = head + [
        "",
        OFFLINE_SUBSTITUTIONS.format(similarity=similarity, timesteps=timesteps, spike_samples=samples),
        "",
        "Per recipe: clean accuracy = (successful + failed) / examples; accuracy under attack = failed / examples; "
        "success rate = successful / (successful + failed); perturbed words = mean share of words changed by "
        "successful attacks; queries = mean model queries per attacked example. All in percent except queries.",
        "",
        markdown_table(["Dataset", "Recipe", "Model", "Examples", "Clean acc", "Acc under attack", "Success rate",
                        "Perturbed words", "Avg queries"], rows, "lllrrrrrr"),
        "",
        "## Recipes skipped",
        "",
        *(skipped or ["None."]),
        "",
        "## Attack runs",
        "",
        *throughput,
    ]
    if not_run:
        parts += ["", f"Not attacked in this run (no metrics file): {', '.join(not_run)}."]
    return "\n".join(parts + [""])


# ----------------------------------------------------------------------------- run README
def _seconds(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:.0f} s" if value < 600 else f"{value / 60:.1f} min"


def stage_seconds(m: DatasetMetrics) -> dict[str, float | None]:
    """Wall time per stage from the metrics' own seconds fields (None where a stage records none)."""
    s = m.stages
    sweep = sum(entry.get("seconds", 0.0) for per in s["sweep"]["models"].values() for entry in per.values())
    return {
        "prepare": None, "embed": None,
        "train_dnn": s["train_dnn"]["kim_seconds"] + s["train_dnn"]["dnn_seconds"],
        "convert": sum(o["seconds"] for o in s["convert"]["options"].values()),
        "finetune": s["finetune"]["seconds"],
        "sweep_timesteps": sweep,
        "attack": s["attack"]["wall_s"] if "attack" in s else None,
    }


def run_readme_markdown(run: dict[str, DatasetMetrics], settings: list[tuple[str, Any]], environment: dict) -> str:
    """Settings of the run (from params.yaml), versions, date, machine and wall time of each stage."""
    times = {ds: stage_seconds(m) for ds, m in run.items()}
    stages = list(next(iter(times.values())))
    rows = [[stage, *[_seconds(times[ds][stage]) for ds in run]] for stage in stages]
    parts = [
        "# This run",
        "",
        "Generated by the `report` stage (do not edit). Results: [accuracy](accuracy.md), [energy](energy.md), "
        "[robustness](robustness.md).",
        "",
        "## Settings (params.yaml)",
        "",
        markdown_table(["Setting", "Value"], [[label, f"`{value}`"] for label, value in settings], "ll"),
        "",
        "## Software and machine",
        "",
        markdown_table(["Item", "Value"], [[k, v] for k, v in environment.items()], "ll"),
        "",
        "## Wall time per stage and dataset",
        "",
        "From the `seconds` fields of each stage's metrics (prepare and embed record none); train_dnn = Kim + "
        "tailored DNN, convert = all normalisation options.",
        "",
        markdown_table(["Stage", *[display(ds) for ds in run]], rows),
        "",
    ]
    return "\n".join(parts)
