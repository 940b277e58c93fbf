"""The accuracy-energy trade-off of the SNN: the energy grid's settings, its points, the frontier.

Energy per sentence is T x input rate x dense ops x E_AC (snntext.evaluation.energy), and the input layer holds
nearly all the ops, so the levers are T and the input rate. Each setting of the grid is a set of
`dvc exp run -S` overrides of the committed params (scripts/run_energy_grid.py queues, runs and
collects them into metrics/energy_grid.json); the committed pipeline run is the `default` point.
A point is one (setting, dataset): the fine-tuned SNN's test accuracy over finetune.test_draws spike
draws (mean, std, and the gap to its DNN with the paired interval), its energy and firing rates (the paper's
convention, the finetune stage's), and, when the experiment ran the `energy` stage, per split (dev, test) the
SNN's accuracy over the same number of draws, the per-sentence ratios SNN / DNN of the fair accounting (both
networks charged for the sentence's real tokens) and of the paper's, with and without neuron updates, and the
DNN's dev accuracy.

The target (TARGET_RATIO, TARGET_GAP_POINTS) is judged on the fair ratio with neuron updates; a setting is
selected on dev (its SNN's dev 5-draw mean against the reference DNN's dev accuracy, the dev split's fair
ratio) and the selected one is confirmed once on test. A setting whose points lack the dev numbers (a grid
collected before they were recorded) is shown, never selected.
The frontier is the set of points that no other point of the same dataset beats on both accuracy
and energy (the DNN included).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from snntext.core.errors import SnntextError
from snntext.evaluation.energy_overheads import ASSUMPTIONS, E_SRAM_READ_PJ, TERMS, overheads
from snntext.report.markdown import MISSING, display, markdown_table

TARGET_RATIO = 0.5  # the SNN at most half its DNN's energy (fair accounting, neuron updates counted) ...
TARGET_GAP_POINTS = 1.5  # ... within this many points of the DNN (5-draw mean), on every dataset, chosen on dev
# Accuracies are stored as float32: 15 of 1000 sentences reads as -1.4999986 or -1.5000014 points. A gap this
# close to the limit is at the limit, so that the verdict does not turn on rounding.
GAP_TOLERANCE_POINTS = 1e-4


def within_gap_target(gap: float) -> bool:
    """Whether a gap in points (SNN minus DNN) is within the target's TARGET_GAP_POINTS, the limit included."""
    return gap >= -TARGET_GAP_POINTS - GAP_TOLERANCE_POINTS


SPLITS = ("dev", "test")  # the energy stage's splits the grid keeps
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
    Setting(
        "T16-dz05",
        {"timesteps": 16, "embed.code": "signed", "embed.clip_sigma": 3.0, "embed.dead_zone": 0.5, "kim.epochs": 1},
        "T = 16, signed code at clip 3 sigma, values within 0.5 sigma of the mean silent (DNN retrained on it)",
    ),
    Setting(
        "T16-dz1",
        {"timesteps": 16, "embed.code": "signed", "embed.clip_sigma": 3.0, "embed.dead_zone": 1.0, "kim.epochs": 1},
        "T = 16, signed code at clip 3 sigma, values within 1 sigma of the mean silent (DNN retrained on it)",
    ),
    Setting(
        "T16-latency",
        {
            "timesteps": 16,
            "embed.code": "latency",
            "embed.clip_sigma": 3.0,
            "train_dnn.rate_code_steps": 16,
            "kim.epochs": 1,
        },
        "T = 16, latency code (one spike per signed channel, held as a current; DNN trained on its T levels)",
    ),
    Setting(
        "T8-latency",
        {
            "timesteps": 8,
            "embed.code": "latency",
            "embed.clip_sigma": 3.0,
            "train_dnn.rate_code_steps": 8,
            "kim.epochs": 1,
        },
        "T = 8, latency code (one spike per signed channel, held as a current; DNN trained on its T levels)",
    ),
    Setting(
        "T16-latency-dz05",
        {
            "timesteps": 16,
            "embed.code": "latency",
            "embed.clip_sigma": 3.0,
            "embed.dead_zone": 0.5,
            "train_dnn.rate_code_steps": 16,
            "kim.epochs": 1,
        },
        "T = 16, latency code with values within 0.5 sigma of the mean silent (DNN trained on its levels)",
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
    """The `dvc exp run --queue` argv of one setting: its overrides, the datasets, up to the energy stage (after
    finetune: the per-sentence energy and the SNN's dev and test accuracy over the spike draws)."""
    from snntext.report.ablations import format_value

    argv = ["dvc", "exp", "run", "--queue", "-n", f"{PREFIX}-{name}"]
    for key, value in {**setting(name).overrides, "datasets": list(datasets)}.items():
        argv += ["-S", f"{key}={format_value(value)}"]
    return argv + ["energy"]


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


def _sentence_energy(split: dict) -> dict:
    """What the grid keeps of one split of metrics/energy/<ds>.json."""
    out: dict = {}
    for name in ("fair", "paper"):
        a = split["accountings"][name]
        out[name] = {
            "ratio": {k: float(v) for k, v in a["ratio"].items()},
            "ratio_with_neuron_updates": {k: float(v) for k, v in a["ratio_with_neuron_updates"].items()},
            **{
                term: float(a[term]["mean"])
                for term in ("dnn_uj", "snn_uj", "dnn_with_neuron_updates_uj", "snn_with_neuron_updates_uj")
            },
            "dnn_macs": float(a["dnn_macs"]),
            "snn_synops": float(a["snn_synops"]),
        }
    draws = split["accuracy_over_draws"]
    per_draw = [float(x) for x in draws["per_draw"]]
    mean = float(draws["mean"])
    std = (sum((x - mean) ** 2 for x in per_draw) / (len(per_draw) - 1)) ** 0.5 if len(per_draw) > 1 else 0.0
    out["accuracy_over_draws"] = {"mean": mean, "std": std, "draws": int(draws["draws"])}
    out["spikes_per_input_channel"] = {k: float(v) for k, v in split["spikes_per_input_channel"].items()}
    out["real_token_share"] = float(split["real_token_share"])
    out["sentences"] = int(split["sentences"])
    return out


def grid_point(
    setting_name: str,
    dataset: str,
    finetune: dict,
    train_dnn: dict,
    *,
    epoch_seconds: list[float] | None = None,
    energy: dict | None = None,
) -> dict:
    """One point from a run's metrics: `finetune` = metrics/finetune/<ds>_detail.json (merged with its
    headline), `train_dnn` = metrics/train_dnn/<ds>.json (+ detail), `energy` = metrics/energy/<ds>.json when
    the run has it (then the point holds `sentence_energy` per split and the dev numbers of the selection)."""
    try:
        gap, energy_paper, rates = finetune["paired_gap"], finetune["energy"], finetune["test"]["firing_rates"]
        # fmt: off
        point = {
            "setting": setting_name, "dataset": dataset, "timesteps": int(energy_paper["timesteps"]),
            "dnn_test_acc": float(train_dnn["dnn_test_acc"]), "dnn_energy_uj": float(energy_paper["dnn_total_uj"]),
            "snn_test_acc_mean": float(gap["snn_acc_mean"]), "snn_test_acc_std": float(gap["snn_acc_std"]),
            "draws": int(gap["draws"]), "gap_points": float(gap["gap_points"]),
            "gap_low": float(gap["ci_low_points"]), "gap_high": float(gap["ci_high_points"]),
            "energy_uj": float(energy_paper["total_uj"]), "ratio": float(energy_paper["ratio_snn_to_dnn"]),
            "input_rate": float(rates["input"]), "pooled_rate": float(rates["pooled"]),
            "firing_rates": {k: float(v) for k, v in rates.items()}, "energy": energy_paper,
            "finetune_seconds": float(finetune["seconds"]), "best_epoch": int(finetune["best_epoch"]),
        }
        # fmt: on
        if "dnn_dev_acc" in train_dnn:
            point["dnn_dev_acc"] = float(train_dnn["dnn_dev_acc"])
        if energy is not None:
            point["sentence_energy"] = {split: _sentence_energy(energy["splits"][split]) for split in SPLITS}
            dev = point["sentence_energy"]["dev"]["accuracy_over_draws"]
            point["snn_dev_acc_mean"], point["snn_dev_acc_std"] = dev["mean"], dev["std"]
            point["dev_draws"] = dev["draws"]
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as err:
        raise SnntextError(f"energy grid: {setting_name}/{dataset}: metrics lack {err}") from None
    if epoch_seconds:
        point["epoch_seconds"] = [float(s) for s in epoch_seconds]
    return point


def usable_energy(energy: dict | None) -> dict | None:
    """metrics/energy/<ds>.json when it holds what a grid point keeps (every split of SPLITS with the SNN's
    accuracy over its draws), else None (not run, or written before the draws were recorded)."""
    splits = (energy or {}).get("splits", {})
    return energy if all("accuracy_over_draws" in splits.get(split, {}) for split in SPLITS) else None


def has_dev(point: dict) -> bool:
    """Whether a point can be selected on dev: it holds the energy stage's numbers (the SNN's dev accuracy over
    its draws, the fair accounting) and its DNN's dev accuracy, and its fair ratios are to the reference DNN (not
    flagged `fair_against_own_dnn` by against_reference_dnn)."""
    return (
        "snn_dev_acc_mean" in point
        and "sentence_energy" in point
        and "dnn_dev_acc" in point
        and not point.get("fair_against_own_dnn")
    )


def fair_ratio(point: dict, split: str = "test", *, neuron_updates: bool = True) -> dict | None:
    """The fair accounting's ratio SNN / reference DNN on `split` ({"value", "ci_low", "ci_high"}), with or
    without neuron updates; None for a point collected before the grid recorded it."""
    entry = point.get("sentence_energy", {}).get(split)
    if entry is None:
        return None
    return entry["fair"]["ratio_with_neuron_updates" if neuron_updates else "ratio"]


def fair_value(point: dict, split: str = "test") -> float:
    """fair_ratio's value with neuron updates, for a point known to have it (has_dev)."""
    entry = fair_ratio(point, split)
    if entry is None:
        raise SnntextError(f"energy grid: {point['setting']}/{point['dataset']} has no fair ratio on {split}")
    return float(entry["value"])


def fair_weight_read_ratio(point: dict, split: str = "test") -> float | None:
    """The fair ratio with neuron updates and one 32-bit weight read from SRAM (E_SRAM_READ_PJ) per synaptic
    operation (SNN) and per MAC (DNN) added on both sides: 0.9 + 10 pJ per operation a spike triggers against
    4.6 + 10 pJ per MAC (snntext.evaluation.energy_overheads); None when not recorded."""
    entry = point.get("sentence_energy", {}).get(split)
    if entry is None:
        return None
    f = entry["fair"]
    snn = f["snn_with_neuron_updates_uj"] + f["snn_synops"] * E_SRAM_READ_PJ * 1e-6
    dnn = f["dnn_with_neuron_updates_uj"] + f["dnn_macs"] * E_SRAM_READ_PJ * 1e-6
    return snn / dnn


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


def dev_gap_to_reference(point: dict, reference_dev_acc: float) -> float:
    """SNN dev 5-draw mean minus the reference DNN's dev accuracy, in points (the selection's gap)."""
    return 100 * (point["snn_dev_acc_mean"] - reference_dev_acc)


def _worst(values: dict, pick=max):
    return pick(values.values()) if values else None


def setting_summary(
    points: list[dict], reference: dict[str, float], datasets: list[str], dev_reference: dict[str, float] | None = None
) -> dict:
    """Per setting, over the datasets: the worst test gap to the reference DNN and the worst and mean paper
    ratio (the grid's older numbers, kept so that they compare); when every point of the setting has the dev
    numbers (`judged`), the worst dev gap to the reference DNN's dev accuracy (`dev_reference`, default
    reference_dev_accuracy(points)) and the worst fair ratio with neuron updates on dev and on test.
    `meets`: the target on dev (selected on dev), `confirmed`: it also holds on test;
    `meets_on_test_paper`: the old verdict (test gaps, paper ratio), never a selection."""
    dev_reference = reference_dev_accuracy(points, {}) if dev_reference is None else dev_reference
    summary = {}
    for name in dict.fromkeys(p["setting"] for p in points):
        mine = {p["dataset"]: p for p in points if p["setting"] == name}
        gaps = {ds: gap_to_reference(p, reference[ds]) for ds, p in mine.items() if ds in reference}
        ratios = {ds: p["ratio"] for ds, p in mine.items()}
        complete = all(ds in mine for ds in datasets)
        judged = complete and all(has_dev(mine[ds]) and ds in dev_reference for ds in datasets)
        dev_gaps = {ds: dev_gap_to_reference(mine[ds], dev_reference[ds]) for ds in datasets} if judged else {}
        fair_dev = {ds: fair_value(mine[ds], "dev") for ds in datasets} if judged else {}
        fair_test = {ds: fair_value(mine[ds], "test") for ds in datasets} if judged else {}
        worst_gap, worst_ratio = _worst(gaps, min), _worst(ratios)
        worst_dev_gap, worst_dev_fair = _worst(dev_gaps, min), _worst(fair_dev)
        worst_fair = _worst(fair_test)
        meets = (
            judged
            and worst_dev_gap is not None
            and worst_dev_fair is not None
            and within_gap_target(worst_dev_gap)
            and worst_dev_fair <= TARGET_RATIO
        )
        summary[name] = {
            "datasets": [ds for ds in datasets if ds in mine],
            "complete": complete,
            "judged": judged,
            "worst_gap": worst_gap,
            "worst_ratio": worst_ratio,
            "mean_ratio": sum(ratios.values()) / len(ratios) if ratios else None,
            "worst_dev_gap": worst_dev_gap,
            "worst_dev_fair_ratio": worst_dev_fair,
            "worst_fair_ratio": worst_fair,
            "mean_fair_ratio": sum(fair_test.values()) / len(fair_test) if fair_test else None,
            "meets": meets,
            "confirmed": meets
            and worst_gap is not None
            and worst_fair is not None
            and within_gap_target(worst_gap)
            and worst_fair <= TARGET_RATIO,
            "meets_on_test_paper": complete
            and worst_gap is not None
            and within_gap_target(worst_gap)
            and worst_ratio is not None
            and worst_ratio <= TARGET_RATIO,
        }
    return summary


def low_energy_profile(summary: dict) -> str | None:
    """The setting offered as the low-energy profile, chosen on dev: of the settings meeting the target on dev
    (fair ratio with neuron updates, dev gap), the one with the best worst dev gap (then the lower dev ratio).
    Accuracy first, because a setting's energy ratio is fixed by T and the input code while its gap moves with
    the fine-tuning seed. None when no judged setting meets it: a setting without dev numbers is never chosen."""
    winners = [n for n, s in summary.items() if s["meets"]]
    if not winners:
        return None
    return max(winners, key=lambda n: (summary[n]["worst_dev_gap"], -summary[n]["worst_dev_fair_ratio"]))


def picked_on_test(summary: dict) -> str | None:
    """What the grid's older selection picked (on test, with the paper's ratio): the setting meeting the old
    target with the best worst test gap. Shown for a grid without dev numbers, never as a verdict."""
    winners = [n for n, s in summary.items() if s["meets_on_test_paper"]]
    return max(winners, key=lambda n: (summary[n]["worst_gap"], -summary[n]["worst_ratio"])) if winners else None


def weight_read_ratio(points: list[dict], point: dict, params: dict) -> tuple[float | None, str]:
    """The ratio with neuron updates and weight reads counted for `point` and the accounting it is in: the fair
    one (test split) when the point has it, else the paper's (overhead_ratios)."""
    fair = fair_weight_read_ratio(point, "test")
    if fair is not None:
        return fair, "fair"
    ratios = overhead_ratios(points, point["setting"], point["dataset"], params)
    return (ratios[1] if ratios else None), "paper"


def _fmt(value: float | None, spec: str) -> str:
    return MISSING if value is None else format(value, spec).replace("-", "−")


def _ratio_cell(entry: dict | None) -> str:
    """A ratio with its interval, 0.42 [0.40, 0.44]; – when not recorded."""
    if entry is None:
        return MISSING
    return f"{entry['value']:.2f} [{entry['ci_low']:.2f}, {entry['ci_high']:.2f}]"


def _weight_cell(value: float | None, accounting: str) -> str:
    return MISSING if value is None else f"{value:.2f}" + ("" if accounting == "fair" else " (paper)")


def _verdict_lines(summary: dict, names: list[str], what: dict[str, str]) -> list[str]:
    """The target's verdict: chosen on dev among the judged settings, confirmed once on test; the settings
    without dev numbers named, and, when none has them, what the older selection on test picked."""
    judged = [n for n in names if summary[n]["judged"]]
    unjudged = [n for n in names if not summary[n]["judged"]]
    winners = [n for n in judged if summary[n]["meets"]]
    lines: list[str] = []
    if winners:
        profile = low_energy_profile(summary)
        assert profile is not None
        s = summary[profile]
        cheapest = min(winners, key=lambda n: (summary[n]["worst_dev_fair_ratio"], -summary[n]["worst_dev_gap"]))
        lines.append(
            f"**The target is met on dev** by {', '.join(f'`{n}` ({what[n]})' for n in winners)}. The low-energy "
            'profile (README, "Low-energy profile"), chosen on dev as the winner with the best worst dev gap, is '
            f"`{profile}`: worst dev gap {_fmt(s['worst_dev_gap'], '+.2f')} points, fair ratio with neuron updates "
            f"at most {s['worst_dev_fair_ratio']:.2f} on dev"
            + (
                "."
                if cheapest == profile
                else f"; `{cheapest}` is cheaper (worst dev ratio {summary[cheapest]['worst_dev_fair_ratio']:.2f}, "
                f"worst dev gap {_fmt(summary[cheapest]['worst_dev_gap'], '+.2f')}) but has less accuracy margin: a "
                "setting's ratio is fixed by T and the input code and barely moves between runs, while its gap "
                'has a std of 0.1-0.7 points over fine-tuning seeds (docs/findings.md, "Noise").'
            )
        )
        lines += [
            "",
            f"**{'Confirmed' if s['confirmed'] else 'Not confirmed'} on test** (once, for `{profile}` only): worst "
            f"test gap {_fmt(s['worst_gap'], '+.2f')} points (5-draw mean), fair ratio with neuron updates at most "
            f"{_fmt(s['worst_fair_ratio'], '.2f')} (mean {_fmt(s['mean_fair_ratio'], '.2f')}); the paper's ratio at "
            f"most {s['worst_ratio']:.2f} (mean {s['mean_ratio']:.2f}).",
        ]
    elif judged:
        lines.append("**The target is not met on dev by any judged setting.**")
        lines.append("")
        within = [n for n in judged if within_gap_target(summary[n]["worst_dev_gap"])]
        cheap = [n for n in judged if summary[n]["worst_dev_fair_ratio"] <= TARGET_RATIO]
        if within:
            b = min(within, key=lambda n: summary[n]["worst_dev_fair_ratio"])
            lines.append(
                f"- Best fair ratio within {TARGET_GAP_POINTS} dev points on every dataset: `{b}` ({what[b]}), worst "
                f"dev ratio {summary[b]['worst_dev_fair_ratio']:.2f}, worst dev gap "
                f"{_fmt(summary[b]['worst_dev_gap'], '+.2f')}."
            )
        if cheap:
            b = max(cheap, key=lambda n: summary[n]["worst_dev_gap"])
            lines.append(
                f"- Best worst dev gap at a fair ratio ≤ {TARGET_RATIO} on every dataset: `{b}` ({what[b]}), worst "
                f"dev gap {_fmt(summary[b]['worst_dev_gap'], '+.2f')} points, worst dev ratio "
                f"{summary[b]['worst_dev_fair_ratio']:.2f}."
            )
    else:
        lines.append("**No setting can be judged on dev.**")
    if unjudged:
        lines += [
            "",
            f"{', '.join(f'`{n}`' for n in unjudged)} {'lacks' if len(unjudged) == 1 else 'lack'} the dev accuracy "
            "or the per-sentence accounting (collected before the grid recorded them, on a dataset subset, or, for "
            "a retrained DNN of another shape, beside a reference run without them): shown, never selected. "
            + (
                "Re-run them (`scripts/run_energy_grid.py --settings ...`) for them to compete on dev."
                if judged
                else "The grid must be re-run (`scripts/run_energy_grid.py`) for a dev-selected verdict."
            ),
        ]
    if not judged:
        old = picked_on_test(summary)
        met = [n for n in names if summary[n]["meets_on_test_paper"]]
        lines += [
            "",
            "Under the older selection, on test with the paper's ratio (not a verdict: it chose on the test set and "
            "counted neither neuron updates nor the padding fairly), "
            + (
                f"the target was met by {', '.join(f'`{n}`' for n in met)}; the best worst test gap was "
                f"`{old}`'s, {_fmt(summary[old]['worst_gap'], '+.2f')} points at a paper ratio of at most "
                f"{summary[old]['worst_ratio']:.2f}."
                if old
                else "no setting met the target."
            ),
        ]
    return lines


def frontier_markdown(
    points: list[dict],
    reference: dict[str, float],
    datasets: list[str],
    *,
    settings: dict[str, dict],
    figure: str | None,
    grid_info: dict,
    params: dict,
    dev_reference: dict[str, float] | None = None,
    rate_coded_dnn: dict[str, dict[int, float]] | None = None,
    rate_coded_reference: dict[str, float] | None = None,
) -> str:
    """The frontier section of reports/energy.md: target verdict (chosen on dev, confirmed on test), per-setting
    summary, per-dataset frontier tables, the costs the formula leaves out, fine-tuning cost against T.
    `dev_reference`: the reference DNN's dev accuracy per dataset (default reference_dev_accuracy(points, {}));
    `rate_coded_dnn`: per dataset, T -> what T rate-coded steps cost a DNN (a share, the sweep stage's);
    `rate_coded_reference`: the test accuracy of the DNN those losses were measured against (default
    `reference`)."""
    dev_reference = reference_dev_accuracy(points, {}) if dev_reference is None else dev_reference
    summary = setting_summary(points, reference, datasets, dev_reference)
    names = list(summary)
    what = {name: settings.get(name, {}).get("what", name) for name in names}
    profile = low_energy_profile(summary)
    lines = ["## Accuracy against energy: the frontier", ""]
    lines.append(
        f"Each setting is a `dvc exp run -S` variant of the committed params, on all of {', '.join(map(display, datasets))} "
        "(`scripts/run_energy_grid.py`, collected into `metrics/energy_grid.json`"
        + (f"; {grid_info['note']}" if grid_info.get("note") else "")
        + "). Accuracy: the fine-tuned SNN's mean over its spike draws, on dev and on test; gap: that mean minus the "
        "accuracy of the reference tailored DNN on the same split (the DNN of the grid's own run of the committed "
        f"params, `{GRID_DEFAULT}`, when the grid has one, else the committed run's; its energy is the reference, "
        "also for a setting whose own DNN has another shape), with the paired 95% interval on test when the setting "
        "kept that DNN (a setting that retrains its DNN also shows its gap, with that interval, to its own DNN). "
        f"Target: a fair ratio with neuron updates ≤ {TARGET_RATIO} (both networks charged for each sentence's real "
        f"tokens, the `energy` stage) and a gap ≥ −{TARGET_GAP_POINTS} on every dataset, chosen on dev and confirmed "
        "once on test; the paper's ratio (the finetune stage's formula, every DNN position charged) stays beside it "
        "so that the older numbers compare."
    )
    lines.append("")
    lines += _verdict_lines(summary, names, what)
    rows = []
    for n in names:
        mine = [p for p in points if p["setting"] == n]
        reads = [weight_read_ratio(points, p, params) for p in mine]
        known = [r for r, _ in reads if r is not None]
        accounting = "fair" if reads and all(acc == "fair" for _, acc in reads) else "paper"
        if accounting == "paper":  # never mix the accountings in one setting's worst
            paper = (overhead_ratios(points, n, p["dataset"], params) for p in mine)
            known = [ratios[1] for ratios in paper if ratios]
        s = summary[n]
        verdict = (
            ("met" + (", confirmed on test" if s["confirmed"] else ", not confirmed on test"))
            if s["meets"]
            else ("–" if s["judged"] else "not judged (no dev numbers)")
        )
        rows.append(
            [
                f"**`{n}`** (selected on dev)" if n == profile else f"`{n}`",
                what[n],
                len(s["datasets"]),
                _fmt(s["worst_dev_gap"], "+.2f"),
                _fmt(s["worst_gap"], "+.2f"),
                _fmt(s["worst_dev_fair_ratio"], ".2f"),
                _fmt(s["worst_fair_ratio"], ".2f"),
                f"{_fmt(s['worst_ratio'], '.2f')} / {_fmt(s['mean_ratio'], '.2f')}",
                _weight_cell(max(known) if known else None, accounting),
                verdict,
            ]
        )
    lines += [
        "",
        markdown_table(
            [
                "Setting",
                "What",
                "Datasets",
                "Worst dev gap",
                "Worst test gap",
                "Fair ratio + neuron updates, dev (worst)",
                "Same, test (worst)",
                "Paper ratio, test (worst / mean)",
                "+ weight reads, test (worst)",
                "Target (on dev)",
            ],
            rows,
            "lllrrrrrrl",
        ),
        "",
        "Gaps in points, each split against the reference DNN on that split; `+ weight reads`: the fair ratio with "
        f"neuron updates and one {E_SRAM_READ_PJ:g} pJ SRAM weight read per synaptic operation and per MAC (0.9 + "
        f"{E_SRAM_READ_PJ:g} pJ per operation a spike triggers against 4.6 + {E_SRAM_READ_PJ:g} pJ per MAC), or, "
        "marked (paper), the paper's ratio with the same two costs (the model of \"What the headline formula leaves "
        'out") for a setting collected before the fair accounting.',
        "",
    ]
    timed = [n for n in names if settings.get(n, {}).get("wall_s")]
    if timed:
        lines += [
            "Wall time of a setting on all its datasets, queued to finished (upstream stages of the fresh "
            "experiment included): "
            + ", ".join(
                f"`{n}` {settings[n]['wall_s'] / 60:.0f} min"
                # faster than its own fine-tuning: its stages were restored from DVC's run cache, not run
                + (
                    " (restored from DVC's cache)"
                    if settings[n]["wall_s"] < settings[n].get("finetune_seconds", 0)
                    else ""
                )
                for n in timed
            )
            + (
                "; not recorded for the others (run before per-setting times were kept)."
                if len(timed) < len(names)
                else "."
            ),
            "",
        ]
    if figure:
        lines += [f"![accuracy against energy]({figure})", ""]
        if profile:
            lines += [f"The point ringed in red is `{profile}`, the setting selected on dev.", ""]
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
                _fmt(100 * dev_reference[ds], ".2f") if ds in dev_reference else MISSING,
                "reference",
                f"{100 * reference[ds]:.2f}",
                "reference",
                f"{dnn_energy:.2f}",
                "1.00",
                "1.00",
                "1.00",
                "–",
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
            dev = has_dev(p) and ds in dev_reference
            read_ratio, accounting = weight_read_ratio(points, p, params)
            spikes = p.get("sentence_energy", {}).get("test", {}).get("spikes_per_input_channel")
            rows.append(
                [
                    f"**`{p['setting']}`**" if p["setting"] == profile else f"`{p['setting']}`",
                    p["timesteps"],
                    f"{100 * p['snn_dev_acc_mean']:.2f}" if dev else MISSING,
                    _fmt(dev_gap_to_reference(p, dev_reference[ds]), "+.2f") if dev else MISSING,
                    f"{100 * p['snn_test_acc_mean']:.2f} ± {100 * p.get('snn_test_acc_std', 0.0):.2f}",
                    _fmt(gap_to_reference(p, reference[ds]), "+.2f") + interval,
                    f"{p['energy_uj']:.2f}",
                    f"{p['ratio']:.2f}",
                    _ratio_cell(fair_ratio(p, "test")) + (" (own DNN)" if p.get("fair_against_own_dnn") else ""),
                    _weight_cell(read_ratio, accounting),
                    f"{spikes['mean']:.2f}" if spikes else MISSING,
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
                    "Dev acc (draw mean)",
                    "Dev gap",
                    "Test acc (± std over draws)",
                    "Gap to DNN (points)",
                    "µJ / sentence (paper)",
                    "Ratio (paper)",
                    "Fair ratio + neuron updates",
                    "+ weight reads",
                    "Input spikes per channel",
                    "Input rate %",
                    "Pooled rate %",
                    "On the frontier",
                ],
                rows,
                "lrrrrrrrrrrrrl",
            ),
            "",
        ]
    lines += _bound_section(points, reference, datasets, rate_coded_dnn or {}, rate_coded_reference or reference)
    preferred = [n for n in (profile, picked_on_test(summary)) if n] + names
    lines += _overheads_section(points, datasets, params, preferred)
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


def _rebase_sentence_energy(own: dict, ref: dict) -> dict:
    """`own` (a point's sentence_energy) with every ratio taken to the DNN energies of `ref` (the reference
    point's, on the same sentences): the value and its interval scaled by own DNN / reference DNN (the interval
    stays the paired one of the point's own DNN, rescaled: an approximation when the DNNs differ in shape)."""
    out = {}
    for split, entry in own.items():
        new = dict(entry)
        for name in ("fair", "paper"):
            a, r = entry[name], ref[split][name]
            scaled = dict(a)
            for suffix, dnn in (("", "dnn_uj"), ("_with_neuron_updates", "dnn_with_neuron_updates_uj")):
                factor = a[dnn] / r[dnn]
                scaled[f"ratio{suffix}"] = {k: v * factor for k, v in a[f"ratio{suffix}"].items()}
            for key in ("dnn_uj", "dnn_with_neuron_updates_uj", "dnn_macs"):
                scaled[key], scaled[f"own_{key}"] = r[key], a[key]
            new[name] = scaled
        out[split] = new
    return out


def against_reference_dnn(points: list[dict]) -> list[dict]:
    """The points with every ratio taken to the reference DNN's energy (the baseline setting's DNN, per
    dataset). A setting that retrains its DNN in another shape (embed.code signed doubles its input
    channels, so its own DNN costs twice the MACs) would otherwise be measured against a dearer DNN; its
    own DNN's energy is kept as `own_dnn_energy_uj` (and, in sentence_energy, as own_*). A point of another
    shape whose reference lacks the per-sentence numbers keeps its own DNN there, flagged `fair_against_own_dnn`."""
    base = baseline_name(points)
    reference = {p["dataset"]: p for p in points if p["setting"] == base}
    out = []
    for p in points:
        ref = reference.get(p["dataset"])
        if ref is None:
            out.append(p)
            continue
        q, ref_uj = p, ref["dnn_energy_uj"]
        reshaped = abs(p["dnn_energy_uj"] - ref_uj) > 1e-9 * ref_uj
        if reshaped:
            q = {
                **p,
                "own_dnn_energy_uj": p["dnn_energy_uj"],
                "dnn_energy_uj": ref_uj,
                "ratio": p["energy_uj"] / ref_uj,
            }
        if "sentence_energy" in p and reshaped:  # a DNN of the same shape costs the same on the same sentences
            if all(split in ref.get("sentence_energy", {}) for split in p["sentence_energy"]):
                q = {**q, "sentence_energy": _rebase_sentence_energy(p["sentence_energy"], ref["sentence_energy"])}
            else:
                q = {**q, "fair_against_own_dnn": True}
        out.append(q)
    return out


def reference_dev_accuracy(points: list[dict], run_reference_dev: dict[str, float]) -> dict[str, float]:
    """Per dataset, the dev accuracy of the reference DNN (reference_accuracy's DNN): the grid's own T = 50
    run's when the grid has that run (only where its points recorded it), else the committed run's."""
    if any(p["setting"] == GRID_DEFAULT for p in points):
        return {p["dataset"]: p["dnn_dev_acc"] for p in points if p["setting"] == GRID_DEFAULT and "dnn_dev_acc" in p}
    own = {p["dataset"]: p["dnn_dev_acc"] for p in points if p["setting"] == DEFAULT and "dnn_dev_acc" in p}
    return {**own, **run_reference_dev}


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
        history = epoch_seconds(m.histories.get("finetune", []))
        energy = usable_energy(m.stages.get("energy"))
        points.append(grid_point(DEFAULT, ds, fine, m.stages["train_dnn"], epoch_seconds=history, energy=energy))
    return points


def figure_series(
    points: list[dict], reference: dict[str, float], datasets: list[str], selected: str | None = None
) -> dict[str, dict]:
    """Per dataset, what figures.energy_frontier draws: the DNN, every SNN point, the frontier, and the name of
    the setting selected on dev (`selected`, None when none is)."""
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
        series[ds] = {"dnn": dnn, "snn": snn, "front": pareto_front([dnn, *snn]), "selected": selected}
    return series
