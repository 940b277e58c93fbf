"""reports/accuracy.md: does the converted, fine-tuned SNN keep the DNN's accuracy, as the paper claims?

Our models beside the paper's rows on test and dev, the conversion per normalisation, accuracy
against the number of time steps, and the embeddings and splits behind the numbers.
"""

from __future__ import annotations

from typing import Any, cast

from snntext.report.markdown import FIGURES, MISSING, display, markdown_table, pct, signed_points
from snntext.report.metrics import DatasetMetrics, Measured, measured
from snntext.report.paper import paper_value
from snntext.report.seeds import seeds_section


def seeds_note(run: dict[str, DatasetMetrics]) -> str:
    counts = sorted(
        {
            len(m.stages[s]["per_seed"])
            for m in run.values()
            for s in m.stages
            if isinstance(m.stages[s].get("per_seed"), dict) and len(m.stages[s]["per_seed"]) > 1
        }
    )
    if not counts:
        return "One seed per run (params `seed`): single values, no standard deviation."
    return f"Values with ± are the mean ± sample standard deviation over {'/'.join(map(str, counts))} seeds."


def _average(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(cast("list[float]", values)) / len(values)


def _ours(m: DatasetMetrics, split: str) -> dict[str, Any]:  # Measured; rate_coded None when not measured
    conv = m.stages["convert"]
    chosen = conv["chosen"]
    steps = str(int(conv["timesteps"]))
    return {
        "majority": measured(m.stages["train_dnn"], f"majority_{split}_acc"),
        "kim": measured(m.stages["train_dnn"], f"kim_{split}_acc"),
        "dnn": measured(m.stages["train_dnn"], f"dnn_{split}_acc"),
        "converted": measured(conv, ("options", chosen, split, "accuracy")),
        "finetuned": measured(m.stages["finetune"], f"{split}_acc"),
        "rate_coded": (
            measured(conv, ("dnn_rate_coded", steps, split)) if steps in conv.get("dnn_rate_coded", {}) else None
        ),
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
    labels = [
        ("majority", "Majority class (train's most frequent)"),
        ("kim", "Kim TextCNN (ours)"),
        ("dnn", f"Tailored DNN (ours{_training_input(run)})"),
    ]
    if all(ours[ds]["rate_coded"] is not None for ds in names):
        steps = int(run[names[0]].stages["convert"]["timesteps"])
        labels.append(
            ("rate_coded", f"Tailored DNN on rate-coded input, T = {steps} (what the encoding alone costs, ours)")
        )
    labels += [
        ("converted", f"Converted SNN, no fine-tuning (ours, {'/'.join(chosen)})"),
        ("finetuned", "Fine-tuned SNN (ours)"),
    ]
    with_avg = len(names) > 1
    header = ["Model"] + [display(ds) for ds in names] + (["Avg"] if with_avg else [])
    rows = []
    for key, label in labels:
        cells = [pct(ours[ds][key]) for ds in names]
        if with_avg:
            cells.append(pct(_average([ours[ds][key].mean for ds in names])))
        rows.append([label, *cells])
    gaps = [ours[ds]["finetuned"].mean - ours[ds]["dnn"].mean for ds in names]
    rows.append(
        [
            "Gap: fine-tuned SNN − tailored DNN (points)",
            *[signed_points(g) for g in gaps],
            *([signed_points(sum(gaps) / len(gaps))] if with_avg else []),
        ]
    )
    if split == "test":
        rows += _paired_gap_rows(run, with_avg)
        for key in ("textcnn", "snn"):
            values = [paper_value(paper, key, ds) for ds in names]
            avg = _average(values)
            rows.append([paper["rows"][key]["label"], *[pct(v) for v in values], *([pct(avg)] if with_avg else [])])
        paper_gaps = [
            None if a is None or b is None else b - a
            for a, b in zip(
                (paper_value(paper, "textcnn", ds) for ds in names), (paper_value(paper, "snn", ds) for ds in names)
            )
        ]
        avg_gap = _average(paper_gaps)
        rows.append(
            [
                "Gap: SNN − TextCNN (paper, points)",
                *[MISSING if g is None else signed_points(g) for g in paper_gaps],
                *([MISSING if avg_gap is None else signed_points(avg_gap)] if with_avg else []),
            ]
        )
    return markdown_table(header, rows)


def _paired_gap_rows(run: dict[str, DatasetMetrics], with_avg: bool) -> list[list[str]]:
    """The fine-tuned SNN over several test spike draws and its gap to the DNN with a bootstrap
    interval (finetune's `paired_gap`); no rows when a dataset's metrics predate it."""
    blocks: list[Any] = [m.stages["finetune"].get("paired_gap") for m in run.values()]  # JSON; None refused below
    if not all(blocks):
        return []
    draws = _draw_counts(blocks)
    level = f"{100 * blocks[0]['level']:.0f}%"
    means = [b["snn_acc_mean"] for b in blocks]
    gaps = [b["gap_points"] / 100 for b in blocks]
    accuracy = [pct(Measured(b["snn_acc_mean"], b["snn_acc_std"])) for b in blocks]
    interval = [
        f"{signed_points(b['gap_points'] / 100)} [{signed_points(b['ci_low_points'] / 100)}, "
        f"{signed_points(b['ci_high_points'] / 100)}]"
        for b in blocks
    ]
    return [
        [
            f"Fine-tuned SNN, mean ± std over {draws} test spike draws (ours)",
            *accuracy,
            *([pct(sum(means) / len(means))] if with_avg else []),
        ],
        [
            f"Gap over those draws, {level} interval (paired bootstrap over test sentences)",
            *interval,
            *([signed_points(sum(gaps) / len(gaps))] if with_avg else []),
        ],
    ]


def _draw_counts(blocks: list[dict]) -> str:
    """The test spike draws of finetune's paired_gap blocks, e.g. "5" (or "3/5" when datasets differ)."""
    return "/".join(str(d) for d in sorted({int(b["draws"]) for b in blocks}))


def other_rows_table(run: dict[str, DatasetMetrics]) -> str:
    """The paper's rows without pre-training or without conversion (stages random_embeddings, train_direct)
    beside the fine-tuned SNN, each over its test spike draws; "" when no dataset has either."""
    names = list(run)
    has = {stage: all(stage in m.stages for m in run.values()) for stage in ("train_direct", "random_embeddings")}
    blocks: list[Any] = [m.stages["finetune"].get("paired_gap") for m in run.values()]  # JSON; None refused below
    if not any(has.values()) or not all(blocks):
        return ""
    with_avg = len(names) > 1

    def row(label: str, values: list[float], cells: list[str], points: bool = False) -> list[str]:
        avg = sum(values) / len(values)
        return [label, *cells, *([signed_points(avg) if points else pct(avg)] if with_avg else [])]

    def points_row(label: str, differences: list[float]) -> list[str]:
        return row(label, differences, [signed_points(d) for d in differences], points=True)

    tuned = [b["snn_acc_mean"] for b in blocks]
    draws = _draw_counts(blocks)
    rows = [
        row(
            f"Fine-tuned SNN, pre-trained vectors, mean ± std over {draws} test draws (the main table's)",
            tuned,
            [pct(Measured(b["snn_acc_mean"], b["snn_acc_std"])) for b in blocks],
        )
    ]
    if has["train_direct"]:
        direct = [m.stages["train_direct"] for m in run.values()]
        epochs = "/".join(str(e) for e in sorted({int(d["epochs_run"]) for d in direct}))
        betas = "/".join(f"{b:g}" for b in sorted({float(d["beta"]) for d in direct}))
        rows.append(
            row(
                f"Directly-trained SNN: random initialisation, {epochs} epochs at T = {int(direct[0]['timesteps'])}, "
                f"beta {betas}, no DNN",
                [d["test_mean"] for d in direct],
                [pct(Measured(d["test_mean"], d["test_std"])) for d in direct],
            )
        )
        gaps = [d["test_mean"] - t for d, t in zip(direct, tuned)]
        rows.append(points_row("Gap: directly-trained − fine-tuned converted SNN (points)", gaps))
    if has["random_embeddings"]:
        rand = [m.stages["random_embeddings"] for m in run.values()]
        rows.append(
            row(
                "Random vectors: tailored DNN",
                [r["dnn_test_acc"] for r in rand],
                [pct(r["dnn_test_acc"]) for r in rand],
            )
        )
        rows.append(
            row(
                "Random vectors: converted SNN, no fine-tuning",
                [r["converted_test_acc"] for r in rand],
                [pct(r["converted_test_acc"]) for r in rand],
            )
        )
        rows.append(
            row(
                "Random vectors: fine-tuned SNN, mean ± std over the same draws",
                [r["snn_test_mean"] for r in rand],
                [pct(Measured(r["snn_test_mean"], r["snn_test_std"])) for r in rand],
            )
        )
        bought = [t - r["snn_test_mean"] for t, r in zip(tuned, rand)]
        rows.append(points_row("What pre-trained vectors buy the fine-tuned SNN (points)", bought))
    header = ["Model"] + [display(ds) for ds in names] + (["Avg"] if with_avg else [])
    costs = []
    if has["train_direct"]:
        costs.append(f"`train_direct` {sum(m.stages['train_direct']['seconds'] for m in run.values()) / 60:.0f} min")
    if has["random_embeddings"]:
        costs.append(
            f"`random_embeddings` {sum(m.stages['random_embeddings']['seconds_total'] for m in run.values()) / 60:.0f} min"
        )
    return markdown_table(header, rows) + "\n\nTraining time of these rows, all datasets: " + ", ".join(costs) + "."


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
            cells.append(
                f"{pct(measured(conv, ('options', option, 'test', 'accuracy')))} "
                f"({pct(measured(conv, ('options', option, 'dev', 'accuracy')))}){mark}"
            )
        rows.append([f"`{option}`", *cells])
    for label, key in (("Tie rate, test, % (chosen)", "tie_rate"), ("Silent rate, test, % (chosen)", "silent_rate")):
        rows.append(
            [
                label,
                *[
                    pct(measured(m.stages["convert"], ("options", m.stages["convert"]["chosen"], "test", key)))
                    for m in run.values()
                ],
            ]
        )
    return markdown_table(header, rows)


def sweep_table(run: dict[str, DatasetMetrics], split: str = "test") -> str:
    """Accuracy vs T at inference (rows dataset x network, columns T); datasets without a sweep left out."""
    run = {ds: m for ds, m in run.items() if "sweep" in m.stages}
    if not run:
        return "_Not run: `dvc repro sweep_timesteps`._"
    steps = sorted(
        {
            int(t)
            for m in run.values()
            for per in m.stages["sweep"]["models"].values()
            for entry in per.values()
            for t in entry["points"]
        }
    )
    rows = []
    for ds, m in run.items():
        for model, label in (("converted", "converted"), ("finetuned", "fine-tuned")):
            entry = m.stages["sweep"]["models"][model].get(split)
            points = entry["points"] if entry else {}
            rows.append(
                [display(ds), label, *[pct(points[str(t)]["accuracy"]) if str(t) in points else MISSING for t in steps]]
            )
        coded = m.stages["sweep"].get("dnn_rate_coded", {}).get(split)
        if coded:
            rows.append(
                [
                    display(ds),
                    "DNN, rate-coded input",
                    *[pct(coded[str(t)]) if str(t) in coded else MISSING for t in steps],
                ]
            )
    return markdown_table(["Dataset", "SNN", *[f"T={t}" for t in steps]], rows, "ll" + "r" * len(steps))


def embeddings_table(run: dict[str, DatasetMetrics], dims: dict[str, int | None]) -> str:
    rows = []
    for ds, m in run.items():
        prep, emb = m.stages["prepare"], m.stages["embed"]
        dim = dims.get(ds)
        rows.append(
            [
                display(ds),
                prep["language"],
                f"`{emb['vectors']}`",
                MISSING if dim is None else dim,
                pct(emb["coverage"]["token_coverage"]),
                pct(emb["oov_rate"]),
                " / ".join(str(int(prep["splits"][s]["count"])) for s in ("train", "dev", "test")),
            ]
        )
    return markdown_table(
        ["Dataset", "Language", "Embedding", "Dimension", "Token coverage", "OOV rate", "Train / dev / test"],
        rows,
        "lllrrrr",
    )


def _other_rows_section(run: dict[str, DatasetMetrics]) -> list[str]:
    table = other_rows_table(run)
    if not table:
        return []
    return [
        "## Without conversion, without pre-training: the paper's other rows",
        "",
        "The directly-trained SNN (stage `train_direct`, params `direct`) is the same SpikingTextCNN trained from "
        "random initialisation with surrogate gradients, selected on dev; its budget is far below the authors' "
        "80-400 epochs, so it is a floor for direct training, not its best. The random-vector rows (stage "
        "`random_embeddings`) run the same DNN training, conversion and fine-tuning with every word's vector "
        'drawn from N(0, 1) and shifted like the pre-trained ones; the paper says pre-training "clearly '
        'improves" the SNN. The paper prints no numbers for either row. Test accuracy in percent.',
        "",
        table,
        "",
    ]


def accuracy_markdown(
    run: dict[str, DatasetMetrics], paper: dict, dims: dict[str, int | None], study: dict | None = None
) -> str:
    """reports/accuracy.md; `study`: metrics/seed_study.json (snntext.report.seeds.load_study), None if absent."""
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
        'over fine-tunings. The rows "over N test spike draws" hold the fine-tuned network fixed and redraw only '
        "its input spikes (`finetune.test_draws`); their gap interval resamples the test sentences, pairing each "
        "sentence's DNN and SNN answers, so it shows how sure the gap is given this test set.",
        "",
        results_table(run, paper),
        "",
        f"Paper rows: {paper['source']}",
        "",
        seeds_section(run, study),
        "## Dev accuracy",
        "",
        results_table(run, paper, split="dev"),
        "",
        *_other_rows_section(run),
        "## Conversion without fine-tuning, per normalisation",
        "",
        "Test accuracy (dev accuracy in parentheses); ★ = the normalisation fine-tuning starts from "
        "(params `convert.normalisation`).",
        "",
        conversion_table(run),
        "",
        "## Accuracy vs time steps at inference (no retraining)",
        "",
        *([f"![accuracy vs T]({FIGURES['timesteps']})", ""] if any("sweep" in m.stages for m in run.values()) else []),
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
