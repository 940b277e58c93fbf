"""The accuracy-energy trade-off of the SNN: the energy grid's settings, its points, the frontier.

Energy per sentence is T x input rate x dense ops x E_AC (snntext.evaluation.energy), and the input layer holds
nearly all the ops, so the levers are T and the input rate. Each setting of the grid is a set of
`dvc exp run -S` overrides of the committed params (scripts/run_energy_grid.py queues, runs and
collects them into metrics/energy_grid.json); the committed pipeline run is the `default` point.
A point is one (setting, dataset): the fine-tuned SNN's test accuracy over finetune.test_draws spike
draws (mean, std, and the gap to its DNN with the paired interval), its energy and firing rates.
The frontier is the set of points that no other point of the same dataset beats on both accuracy
and energy (the DNN included).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from snntext.core.errors import SnntextError
from snntext.evaluation.energy_overheads import ASSUMPTIONS, TERMS, overheads
from snntext.report.markdown import MISSING, display, markdown_table

TARGET_RATIO = 0.5  # the SNN at most half its DNN's energy ...
TARGET_GAP_POINTS = 1.5  # ... within this many test points of the DNN (5-draw mean), on every dataset
DEFAULT = "default"
GRID_FILE = "energy_grid.json"  # under metrics/: written by scripts/run_energy_grid.py, committed


@dataclass(frozen=True)
class Setting:
    name: str
    overrides: dict
    what: str


# Each setting fine-tunes at its T; unless it says so, the DNN is the committed one (trained on T = 50
# rate-coded input), so every gap is to the same network whose energy is the reference. The settings that
# retrain the DNN give the Kim TextCNN (trained by the same stage, not on the frontier) one epoch.
SETTINGS = (
    Setting("T50", {"timesteps": 50}, "T = 50: the committed params, re-run beside the others"),
    Setting("T4", {"timesteps": 4}, "T = 4"),
    Setting("T8", {"timesteps": 8}, "T = 8"),
    Setting("T12", {"timesteps": 12}, "T = 12"),
    Setting("T16", {"timesteps": 16}, "T = 16"),
    Setting("T20", {"timesteps": 20}, "T = 20"),
    Setting("T30", {"timesteps": 30}, "T = 30"),
    Setting(
        "T8-dnn8",
        {"timesteps": 8, "train_dnn.rate_code_steps": 8, "kim.epochs": 1},
        "T = 8, DNN trained on T = 8 rate-coded input",
    ),
    Setting("T8-long", {"timesteps": 8, "finetune.epochs": 12}, "T = 8, 12 fine-tuning epochs instead of 4"),
    Setting("T8-th05", {"timesteps": 8, "threshold": 0.5}, "T = 8, threshold 0.5"),
    Setting(
        "T8-oovzero",
        {"timesteps": 8, "embed.oov": "zero", "kim.epochs": 1},
        "T = 8, unknown words never spike (embed.oov zero; DNN retrained on that code)",
    ),
    Setting(
        "T12-signed",
        {"timesteps": 12, "embed.code": "signed", "embed.clip_sigma": 3.0, "kim.epochs": 1},
        "T = 12, signed two-channel input code at clip 3 sigma (DNN retrained on it)",
    ),
    Setting(
        "T14-signed",
        {"timesteps": 14, "embed.code": "signed", "embed.clip_sigma": 3.0, "kim.epochs": 1},
        "T = 14, signed two-channel input code at clip 3 sigma (DNN retrained on it)",
    ),
    Setting(
        "T16-signed",
        {"timesteps": 16, "embed.code": "signed", "embed.clip_sigma": 3.0, "kim.epochs": 1},
        "T = 16, signed two-channel input code at clip 3 sigma (DNN retrained on it)",
    ),
)
GRIDS = {"energy": [s.name for s in SETTINGS], "small-t": ["T50", "T4", "T8", "T16"]}
GRID_DEFAULT = "T50"  # the grid's own run of the committed params: its DNN is every grid point's reference


def setting(name: str) -> Setting:
    for s in SETTINGS:
        if s.name == name:
            return s
    raise SnntextError(f"energy grid: unknown setting {name!r}; known: {', '.join(s.name for s in SETTINGS)}")


PREFIX = "energy"  # experiment names: energy-<setting>


def queue_command(name: str, datasets: list[str]) -> list[str]:
    """The `dvc exp run --queue` argv of one setting: its overrides, the datasets, up to the finetune stage."""
    from snntext.report.ablations import format_value

    argv = ["dvc", "exp", "run", "--queue", "-n", f"{PREFIX}-{name}"]
    for key, value in {**setting(name).overrides, "datasets": list(datasets)}.items():
        argv += ["-S", f"{key}={format_value(value)}"]
    return argv + ["finetune"]


def experiment_revs(data: list) -> dict[str, str]:
    """Setting name -> commit of its newest successful experiment, from `dvc exp show --json` (DVC 3.x;
    newest commit first); experiments of unknown settings or that failed are left out."""
    from snntext.report.ablations import named_revs

    return named_revs(data, PREFIX, (s.name for s in SETTINGS))


def epoch_seconds(history: list[dict]) -> list[float]:
    """Seconds of each fine-tuning epoch (training and its dev evaluation) from the finetune history, whose
    `seconds` column is cumulative from the start (epoch 0: the converted net's dev evaluation)."""
    rows = sorted(((int(float(r["epoch"])), float(r["seconds"])) for r in history), key=lambda r: r[0])
    return [round(b - a, 3) for (_, a), (_, b) in zip(rows, rows[1:])]


def grid_point(
    setting_name: str, dataset: str, finetune: dict, train_dnn: dict, *, epoch_seconds: list[float] | None = None
) -> dict:
    """One point from a run's metrics: `finetune` = metrics/finetune/<ds>_detail.json (merged with its
    headline), `train_dnn` = metrics/train_dnn/<ds>.json (+ detail)."""
    try:
        gap, energy, rates = finetune["paired_gap"], finetune["energy"], finetune["test"]["firing_rates"]
        # fmt: off
        point = {
            "setting": setting_name, "dataset": dataset, "timesteps": int(energy["timesteps"]),
            "dnn_test_acc": float(train_dnn["dnn_test_acc"]), "dnn_energy_uj": float(energy["dnn_total_uj"]),
            "snn_test_acc_mean": float(gap["snn_acc_mean"]), "snn_test_acc_std": float(gap["snn_acc_std"]),
            "draws": int(gap["draws"]), "gap_points": float(gap["gap_points"]),
            "gap_low": float(gap["ci_low_points"]), "gap_high": float(gap["ci_high_points"]),
            "energy_uj": float(energy["total_uj"]), "ratio": float(energy["ratio_snn_to_dnn"]),
            "input_rate": float(rates["input"]), "pooled_rate": float(rates["pooled"]),
            "firing_rates": {k: float(v) for k, v in rates.items()}, "energy": energy,
            "finetune_seconds": float(finetune["seconds"]), "best_epoch": int(finetune["best_epoch"]),
        }
        # fmt: on
    except (KeyError, TypeError, ValueError) as err:
        raise SnntextError(f"energy grid: {setting_name}/{dataset}: metrics lack {err}") from None
    if epoch_seconds:
        point["epoch_seconds"] = [float(s) for s in epoch_seconds]
    return point


def load_grid(path: Path) -> dict | None:
    """metrics/energy_grid.json, checked; None when the grid was never run."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        grid = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SnntextError(f"{path}: not valid JSON ({err})") from None
    if (
        not isinstance(grid, dict)
        or not isinstance(grid.get("points"), list)
        or not isinstance(grid.get("settings"), dict)
    ):
        raise SnntextError(f"{path}: expected an object with 'settings' and 'points'")
    for i, point in enumerate(grid["points"]):
        for key in (
            "setting",
            "dataset",
            "timesteps",
            "dnn_test_acc",
            "snn_test_acc_mean",
            "gap_points",
            "energy_uj",
            "ratio",
            "dnn_energy_uj",
            "input_rate",
            "energy",
            "firing_rates",
        ):
            if key not in point:
                raise SnntextError(f"{path}: points[{i}] lacks '{key}'")
        if point["setting"] not in grid["settings"]:
            raise SnntextError(f"{path}: points[{i}] names setting {point['setting']!r}, not in 'settings'")
    return grid


def pareto_front(points: list[dict]) -> list[dict]:
    """The points no other point beats on both energy (lower) and accuracy (higher), cheapest first.
    Each point: {"energy_uj", "accuracy", ...}."""
    ordered = sorted(points, key=lambda p: (p["energy_uj"], -p["accuracy"]))
    front, best = [], float("-inf")
    for p in ordered:
        if p["accuracy"] > best:
            front.append(p)
            best = p["accuracy"]
    return front


def retrains_dnn(overrides: dict) -> bool:
    """Whether a setting's overrides give it its own DNN (its input or the DNN's training changes)."""
    return any(key.split(".")[0] in ("embed", "train_dnn") for key in overrides)


def gap_to_reference(point: dict, reference_acc: float) -> float:
    """SNN 5-draw mean minus the reference DNN's test accuracy, in points."""
    return 100 * (point["snn_test_acc_mean"] - reference_acc)


def setting_summary(points: list[dict], reference: dict[str, float], datasets: list[str]) -> dict:
    """Per setting: worst gap to the reference DNN and worst energy ratio over the datasets, and
    whether it meets the target on every one of `datasets`."""
    summary = {}
    for name in dict.fromkeys(p["setting"] for p in points):
        mine = {p["dataset"]: p for p in points if p["setting"] == name}
        gaps = {ds: gap_to_reference(p, reference[ds]) for ds, p in mine.items() if ds in reference}
        ratios = {ds: p["ratio"] for ds, p in mine.items()}
        complete = all(ds in mine for ds in datasets)
        summary[name] = {
            "datasets": [ds for ds in datasets if ds in mine],
            "complete": complete,
            "worst_gap": min(gaps.values()) if gaps else None,
            "worst_ratio": max(ratios.values()) if ratios else None,
            "mean_ratio": sum(ratios.values()) / len(ratios) if ratios else None,
            "meets": complete
            and bool(gaps)
            and min(gaps.values()) >= -TARGET_GAP_POINTS
            and max(ratios.values()) <= TARGET_RATIO,
        }
    return summary


def low_energy_profile(summary: dict) -> str | None:
    """The setting offered as the low-energy profile: of those meeting the target, the one with the best
    worst gap (then the lower ratio). Accuracy first, because a setting's energy ratio is fixed by T and the
    input code while its gap moves with the fine-tuning seed; None when no setting meets the target."""
    winners = [n for n, s in summary.items() if s["meets"]]
    return max(winners, key=lambda n: (summary[n]["worst_gap"], -summary[n]["worst_ratio"])) if winners else None


def _fmt(value: float | None, spec: str) -> str:
    return MISSING if value is None else format(value, spec).replace("-", "−")


def frontier_markdown(
    points: list[dict],
    reference: dict[str, float],
    datasets: list[str],
    *,
    settings: dict[str, dict],
    figure: str | None,
    grid_info: dict,
    params: dict,
    rate_coded_dnn: dict[str, dict[int, float]] | None = None,
    rate_coded_reference: dict[str, float] | None = None,
) -> str:
    """The frontier section of reports/energy.md: target verdict, per-setting summary, per-dataset
    frontier tables, the costs the formula leaves out, fine-tuning cost against T. `rate_coded_dnn`: per
    dataset, T -> what T rate-coded steps cost a DNN (a share, the sweep stage's); `rate_coded_reference`: the
    test accuracy of the DNN those losses were measured against (default `reference`)."""
    summary = setting_summary(points, reference, datasets)
    names = list(summary)
    what = {name: settings.get(name, {}).get("what", name) for name in names}
    winners = [n for n in names if summary[n]["meets"]]
    within = [
        n
        for n in names
        if summary[n]["complete"]
        and summary[n]["worst_gap"] is not None
        and summary[n]["worst_gap"] >= -TARGET_GAP_POINTS
    ]
    cheap = [n for n in names if summary[n]["complete"] and summary[n]["worst_ratio"] <= TARGET_RATIO]
    lines = ["## Accuracy against energy: the frontier", ""]
    lines.append(
        f"Each setting is a `dvc exp run -S` variant of the committed params, on all of {', '.join(map(display, datasets))} "
        "(`scripts/run_energy_grid.py`, collected into `metrics/energy_grid.json`"
        + (f"; {grid_info['note']}" if grid_info.get("note") else "")
        + "). Accuracy: the fine-tuned SNN on the test "
        "set, mean over its spike draws; gap: that mean minus the test accuracy of the reference tailored DNN (the DNN "
        f"of the grid's own run of the committed params, `{GRID_DEFAULT}`, when the grid has one, else the committed "
        "run's; its energy is the reference, also for a setting whose own DNN has another shape), with the paired "
        "95% interval when the setting kept that DNN (a setting that retrains its DNN also shows its gap, with that "
        "interval, to its own DNN). "
        f"Target: ratio ≤ {TARGET_RATIO} and gap ≥ −{TARGET_GAP_POINTS} on every dataset."
    )
    lines.append("")
    if winners:
        profile, cheapest = (
            low_energy_profile(summary),
            min(winners, key=lambda n: (summary[n]["worst_ratio"], -summary[n]["worst_gap"])),
        )
        lines.append(
            f"**The target is met** by {', '.join(f'`{n}` ({what[n]})' for n in winners)}. The low-energy "
            'profile (README, "Low-energy profile") is the winner with the best worst gap, '
            f"`{profile}`: at most {summary[profile]['worst_ratio']:.2f}x the reference DNN's energy (mean "
            f"{summary[profile]['mean_ratio']:.2f}x), worst gap {_fmt(summary[profile]['worst_gap'], '+.2f')} "
            "points"
            + (
                "."
                if cheapest == profile
                else f"; `{cheapest}` is cheaper (worst ratio {summary[cheapest]['worst_ratio']:.2f}, worst "
                f"gap {_fmt(summary[cheapest]['worst_gap'], '+.2f')}) but has less accuracy margin: a "
                "setting's ratio is fixed by T and the input code and barely moves between runs, while "
                "its gap has a std of 0.1-0.7 points over fine-tuning seeds (docs/findings.md, "
                '"Noise").'
            )
        )
    else:
        lines += ["**The target is not met by any measured setting.**", ""]
        if within:
            b = min(within, key=lambda n: summary[n]["worst_ratio"])
            lines.append(
                f"- Best ratio within {TARGET_GAP_POINTS} points on every dataset: `{b}` ({what[b]}), worst ratio "
                f"{summary[b]['worst_ratio']:.2f} (mean {summary[b]['mean_ratio']:.2f}), worst gap "
                f"{_fmt(summary[b]['worst_gap'], '+.2f')}."
            )
        if cheap:
            b = max(cheap, key=lambda n: summary[n]["worst_gap"])
            lines.append(
                f"- Best worst-gap at ratio ≤ {TARGET_RATIO} on every dataset: `{b}` ({what[b]}), worst gap "
                f"{_fmt(summary[b]['worst_gap'], '+.2f')} points, worst ratio {summary[b]['worst_ratio']:.2f}."
            )
    lines += [
        "",
        markdown_table(
            ["Setting", "What", "Datasets", "Worst gap (points)", "Worst ratio", "Mean ratio", "Target"],
            [
                [
                    f"`{n}`",
                    what[n],
                    len(summary[n]["datasets"]),
                    _fmt(summary[n]["worst_gap"], "+.2f"),
                    _fmt(summary[n]["worst_ratio"], ".2f"),
                    _fmt(summary[n]["mean_ratio"], ".2f"),
                    "met" if summary[n]["meets"] else "–",
                ]
                for n in names
            ],
            "lllrrrl",
        ),
        "",
    ]
    timed = [n for n in names if settings.get(n, {}).get("wall_s")]
    if timed:
        lines += [
            "Wall time of a setting on all its datasets, queued to finished (upstream stages of the fresh "
            "experiment included): "
            + ", ".join(f"`{n}` {settings[n]['wall_s'] / 60:.0f} min" for n in timed)
            + (
                "; not recorded for the others (run before per-setting times were kept)."
                if len(timed) < len(names)
                else "."
            ),
            "",
        ]
    if figure:
        lines += [f"![accuracy against energy]({figure})", ""]
    for ds in datasets:
        mine = [p for p in points if p["dataset"] == ds]
        if not mine or ds not in reference:
            continue
        dnn_energy = mine[0]["dnn_energy_uj"]
        candidates = [{"energy_uj": dnn_energy, "accuracy": reference[ds], "name": "DNN"}]
        candidates += [
            {"energy_uj": p["energy_uj"], "accuracy": p["snn_test_acc_mean"], "name": p["setting"]} for p in mine
        ]
        on_front = {c["name"] for c in pareto_front(candidates)}
        rows = [
            [
                "Tailored DNN",
                "–",
                f"{100 * reference[ds]:.2f}",
                "reference",
                f"{dnn_energy:.2f}",
                "1.00",
                "–",
                "–",
                "yes" if "DNN" in on_front else "",
            ]
        ]
        for p in sorted(mine, key=lambda p: p["energy_uj"]):
            shared = (
                abs(p["dnn_test_acc"] - reference[ds]) < 1e-9
                and "own_dnn_energy_uj" not in p
                and not retrains_dnn(settings.get(p["setting"], {}).get("overrides", {}))
            )
            interval = f" [{_fmt(p['gap_low'], '+.2f')}, {_fmt(p['gap_high'], '+.2f')}]" if "gap_low" in p else ""
            if not shared:  # a retrained DNN: the paired gap is to that DNN, beside the gap to the reference
                interval = (
                    f"; to its own DNN ({100 * p['dnn_test_acc']:.2f}): {_fmt(p['gap_points'], '+.2f')}{interval}"
                    if "gap_points" in p
                    else ""
                )
            rows.append(
                [
                    f"`{p['setting']}`",
                    p["timesteps"],
                    f"{100 * p['snn_test_acc_mean']:.2f} ± {100 * p.get('snn_test_acc_std', 0.0):.2f}",
                    _fmt(gap_to_reference(p, reference[ds]), "+.2f") + interval,
                    f"{p['energy_uj']:.2f}",
                    f"{p['ratio']:.2f}",
                    f"{100 * p['input_rate']:.1f}",
                    f"{100 * p['pooled_rate']:.1f}",
                    "yes" if p["setting"] in on_front else "",
                ]
            )
        lines += [
            f"### {display(ds)}",
            "",
            markdown_table(
                [
                    "Setting",
                    "T",
                    "Test acc (± std over draws)",
                    "Gap to DNN (points)",
                    "µJ / sentence",
                    "Ratio to DNN",
                    "Input rate %",
                    "Pooled rate %",
                    "On the frontier",
                ],
                rows,
                "lrrrrrrrl",
            ),
            "",
        ]
    lines += _bound_section(points, reference, datasets, rate_coded_dnn or {}, rate_coded_reference or reference)
    profile = low_energy_profile(summary)
    lines += _overheads_section(points, datasets, params, ([profile] if profile else []) + (winners or within or names))
    lines += _direct_encoding_section(points, datasets)
    lines += _cost_section(points)
    return "\n".join(lines)


def _bound_section(
    points: list[dict],
    reference: dict[str, float],
    datasets: list[str],
    rate_coded_dnn: dict[str, dict[int, float]],
    rate_coded_reference: dict[str, float],
) -> list[str]:
    """rate_coded_dnn: per dataset, T -> a tailored DNN's test accuracy on T-step rate-coded input minus its
    accuracy on the rates (a share); rate_coded_reference: that DNN's test accuracy (the committed run's, whose
    sweep stage measured the losses; not necessarily the frontier's reference DNN). What stands in the way: the
    T at which the ratio reaches the target, from the baseline setting's measured input rate, and what T
    rate-coded steps cost the DNN itself (the sweep stage: the DNN on the mean of T Bernoulli draws)."""
    base = baseline_name(points)
    rows, ts = [], sorted({t for curve in rate_coded_dnn.values() for t in curve if t <= 20})
    for ds in datasets:
        p = next((p for p in points if p["setting"] == base and p["dataset"] == ds), None)
        if p is None or ds not in rate_coded_reference:
            continue
        e = p["energy"]
        # ratio = T x rate x E_AC / E_MAC on (nearly) every operation: the largest T that keeps it at the target
        t_max = TARGET_RATIO / (p["ratio"] / e["timesteps"])
        curve = rate_coded_dnn.get(ds, {})
        rows.append(
            [
                display(ds),
                f"{100 * p['input_rate']:.1f}",
                f"{t_max:.1f}",
                f"{100 * rate_coded_reference[ds]:.2f}",
                *[_fmt(100 * curve[t], "+.2f") if t in curve else MISSING for t in ts],
            ]
        )
    if not rows:
        return []
    source = (
        "the committed run"
        if base == DEFAULT
        else f"`{base}`, the grid's run of the committed params, the frontier's reference above"
    )
    return [
        "## What stands in the way",
        "",
        f"The SNN's energy grows as T x input rate, so a ratio of {TARGET_RATIO} caps T at the value below (at the "
        f"input rate measured at T = 50, in {source}). The last columns show what a rate code of T steps costs the "
        "tailored DNN itself, fed the mean of T Bernoulli draws of its input instead of the rates: the "
        "`sweep_timesteps` stage of the committed run, each loss against that run's own DNN, whose test accuracy is "
        "the column before them"
        + ("" if base == DEFAULT else " (not the grid's reference DNN, which was trained in another run)")
        + ": information the spike train does not carry, which no fine-tuning of the SNN can restore.",
        "",
        markdown_table(
            [
                "Dataset",
                "Input rate %",
                "Largest T at the target ratio",
                "Committed run's DNN test acc",
                *[f"That DNN on T = {t} (points)" for t in ts],
            ],
            rows,
        ),
        "",
    ]


def overhead_ratios(points: list[dict], name: str, dataset: str, params: dict) -> list[float] | None:
    """The ratio SNN / reference DNN of setting `name` on `dataset` with each of TERMS added in turn to the
    headline (cumulative, in TERMS order); None when the grid has no such point."""
    filters = int(params.get("train_dnn", {}).get("filters", 100))
    beta = float(params.get("beta", 1.0))
    p = next((p for p in points if p["setting"] == name and p["dataset"] == dataset), None)
    if p is None:
        return None
    overrides = next((s.overrides for s in SETTINGS if s.name == name), {})
    code = overrides.get("embed.code", params.get("embed", {}).get("code", "shift"))
    input_code = "latency" if code == "latency" else "rate"  # snntext.coding.input_codes.spike_code
    o = overheads(p["energy"], p["firing_rates"], filters=filters, beta=beta, input_code=input_code)
    base = baseline_name(points)
    ref = next((q for q in points if q["setting"] == base and q["dataset"] == dataset), p)  # the reference DNN
    dnn_terms = overheads(ref["energy"], ref["firing_rates"], filters=filters, beta=beta)["dnn_uj"]
    running_snn, running_dnn, ratios = p["energy_uj"], p["dnn_energy_uj"], []
    for term in TERMS:
        running_snn += o["snn_uj"][term]
        running_dnn += dnn_terms[term]
        ratios.append(running_snn / running_dnn)
    return ratios


def _overheads_section(points: list[dict], datasets: list[str], params: dict, preferred: list[str]) -> list[str]:
    """The baseline setting and the first of `preferred` (the low-energy profile when there is one)."""
    base = baseline_name(points)
    chosen = [base] + [n for n in preferred if n != base][:1]
    rows = []
    for name in chosen:
        for ds in datasets:
            ratios = overhead_ratios(points, name, ds, params)
            if ratios is None:
                continue
            p = next(p for p in points if p["setting"] == name and p["dataset"] == ds)
            rows.append([f"`{name}`", display(ds), f"{p['ratio']:.2f}", *[f"{r:.2f}" for r in ratios]])
    out = [
        "## What the headline formula leaves out",
        "",
        "The ratio SNN / DNN when each missing cost is added in turn to the headline (kept as the paper counts, "
        "so that its numbers compare). One assumption each:",
        "",
    ]
    out += [f"- {term.replace('_', ' ')}: {ASSUMPTIONS[term]}." for term in TERMS]
    out += [
        "",
        markdown_table(
            ["Setting", "Dataset", "Headline ratio", "+ neuron updates", "+ weight reads", "+ membrane state"],
            rows,
            "llrrrr",
        ),
        "",
        "Weight reads cost the same per operation on both sides, so once memory is counted the SNN pays T x input "
        "rate per dense operation where the DNN pays one: it is cheaper only when T x input rate < 1.",
        "",
    ]
    return out


def _direct_encoding_section(points: list[dict], datasets: list[str]) -> list[str]:
    floors = []
    for ds in datasets:
        p = next((p for p in points if p["setting"] == baseline_name(points) and p["dataset"] == ds), None)
        if p is None:
            continue
        layers = p["energy"]["layers"]
        conv = sum(v["macs"] for k, v in layers.items() if k.startswith("conv"))
        floors.append((ds, conv / sum(v["macs"] for v in layers.values())))
    if not floors:
        return []
    low, high = f"{100 * min(f for _, f in floors):.2f}", f"{100 * max(f for _, f in floors):.2f}"
    span = low if low == high else f"{low}-{high}"
    return [
        "## Direct (analog) input encoding",
        "",
        "Not trained: counted. With the first convolution computed once on the real-valued input as MACs (4.6 pJ), "
        "the SNN's energy can never fall below the share of the DNN's operations that convolution holds, "
        f"{span}% here, whatever T and whatever the later layers spike: at best a "
        "ratio of about 1, never the target's 0.5. It is the reference point of many SNN papers because it "
        "buys accuracy at small T, not energy.",
        "",
    ]


def _cost_section(points: list[dict]) -> list[str]:
    by_t: dict[int, list[float]] = {}
    for p in points:
        if p.get("epoch_seconds"):
            by_t.setdefault(p["timesteps"], []).extend(p["epoch_seconds"])
    if len(by_t) < 2:
        return []
    rows = [[t, len(v), f"{sum(v) / len(v):.1f}", f"{sum(v) / len(v) / t:.2f}"] for t, v in sorted(by_t.items())]
    return [
        "## Fine-tuning cost against T",
        "",
        "Seconds per fine-tuning epoch (training and the dev evaluation), averaged over the datasets' epochs of "
        "every setting at that T (stage timings on a shared 2-core machine: read ±20%).",
        "",
        markdown_table(["T", "Epochs", "Seconds per epoch", "Seconds per epoch per step"], rows),
        "",
    ]


def baseline_name(points: list[dict]) -> str:
    """The setting that stands for the committed params: the grid's own T = 50 run when it has one."""
    return GRID_DEFAULT if any(p["setting"] == GRID_DEFAULT for p in points) else DEFAULT


def against_reference_dnn(points: list[dict]) -> list[dict]:
    """The points with every ratio taken to the reference DNN's energy (the baseline setting's DNN, per
    dataset). A setting that retrains its DNN in another shape (embed.code signed doubles its input
    channels, so its own DNN costs twice the MACs) would otherwise be measured against a dearer DNN; its
    own DNN's energy is kept as `own_dnn_energy_uj`."""
    base = baseline_name(points)
    reference = {p["dataset"]: p["dnn_energy_uj"] for p in points if p["setting"] == base}
    out = []
    for p in points:
        ref = reference.get(p["dataset"])
        if ref is None or abs(p["dnn_energy_uj"] - ref) <= 1e-9 * ref:
            out.append(p)
            continue
        out.append({**p, "own_dnn_energy_uj": p["dnn_energy_uj"], "dnn_energy_uj": ref, "ratio": p["energy_uj"] / ref})
    return out


def reference_accuracy(points: list[dict], run_reference: dict[str, float]) -> dict[str, float]:
    """Per dataset, the test accuracy of the DNN every gap is taken to: the DNN of the grid's own T = 50
    run when it has one (the grid's experiments re-train from the same params, possibly on another
    machine), else the committed run's."""
    grid_dnn = {p["dataset"]: p["dnn_test_acc"] for p in points if p["setting"] == GRID_DEFAULT}
    return {ds: grid_dnn.get(ds, acc) for ds, acc in run_reference.items()}


def run_points(run: dict) -> list[dict]:
    """The committed pipeline run as the `default` setting's points (datasets whose finetune metrics
    hold the paired gap; `run`: snntext.report.metrics.load_run_metrics)."""
    points = []
    for ds, m in run.items():
        fine = m.stages["finetune"]
        if "paired_gap" not in fine:
            continue
        points.append(
            grid_point(
                DEFAULT, ds, fine, m.stages["train_dnn"], epoch_seconds=epoch_seconds(m.histories.get("finetune", []))
            )
        )
    return points


def figure_series(points: list[dict], reference: dict[str, float], datasets: list[str]) -> dict[str, dict]:
    """Per dataset, what figures.energy_frontier draws: the DNN, every SNN point, the frontier."""
    series = {}
    for ds in datasets:
        mine = [p for p in points if p["dataset"] == ds]
        if not mine or ds not in reference:
            continue
        dnn = {"energy_uj": mine[0]["dnn_energy_uj"], "accuracy": reference[ds], "name": "DNN"}
        snn = [
            {
                "energy_uj": p["energy_uj"],
                "accuracy": p["snn_test_acc_mean"],
                "name": p["setting"],
                "std": p.get("snn_test_acc_std", 0.0),
            }
            for p in mine
        ]
        series[ds] = {"dnn": dnn, "snn": snn, "front": pareto_front([dnn, *snn])}
    return series
