"""Hyper-parameter ablations run as DVC experiments (paper figures 3a-3d, 4b-4c): the grid, the
`dvc exp run --queue` commands, and `dvc exp show --json` turned into a table and plots.

Each point of the grid changes ONE top-level param from the committed params.yaml (one-at-a-time
around the baseline), plus the shared overrides (e.g. `datasets=[mr]`), and re-runs only what that
param touches: threshold/beta -> convert + finetune; neurons_per_class -> also train_dnn;
embed.clip_sigma (a nested key, written with its dot as `dvc exp run -S` takes it) -> also embed. A
`baseline` experiment with only the shared overrides makes every curve comparable. Values are
written out explicitly (never range()), so no float noise such as 0.30000000000000004 reaches DVC.

The paper's "share of active neurons" is not measured by this pipeline; the table and plots use
the pooled layer's firing rate (share of neuron-steps with a spike) of the fine-tuned SNN instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from snntext.core.errors import SnntextError
from snntext.report.markdown import display, markdown_table, pct
from snntext.report.metrics import lookup

PARAMS = ("threshold", "beta", "neurons_per_class", "embed.clip_sigma")
GRIDS = {  # values besides the committed baseline (threshold 1.0, beta 1.0, neurons_per_class 10, clip_sigma 1.5)
    "default": {"threshold": [0.5, 2.0], "beta": [0.9], "neurons_per_class": [1], "embed.clip_sigma": [3.0]},
    "big": {
        "threshold": [0.25, 0.5, 0.75, 1.5, 2.0, 3.0],
        "beta": [0.8, 0.9, 0.95, 0.99],
        "neurons_per_class": [1, 2, 5, 20],
        "embed.clip_sigma": [1.0, 2.0, 3.0],
    },
}
BASELINE = "baseline"


@dataclass(frozen=True)
class GridPoint:
    param: str | None  # None: the baseline
    value: Any = None

    def name(self, prefix: str) -> str:
        return f"{prefix}-{BASELINE}" if self.param is None else f"{prefix}-{self.param}-{format_value(self.value)}"


def format_value(value: Any) -> str:
    """A param value as DVC's -S wants it: shortest exact float text, lists as [a,b]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    return str(value)


def build_grid(grid: dict[str, list]) -> list[GridPoint]:
    """Baseline first, then each param's values in order; unknown params and duplicates refused."""
    unknown = sorted(set(grid) - set(PARAMS))
    if unknown:
        raise SnntextError(f"ablation grid: unknown params {unknown}; allowed: {', '.join(PARAMS)}")
    points = [GridPoint(None)]
    for param in PARAMS:
        values = grid.get(param, [])
        if len(set(map(format_value, values))) != len(values):
            raise SnntextError(f"ablation grid: duplicate values for {param}: {values}")
        points += [GridPoint(param, v) for v in values]
    return points


def parse_grid_option(text: str) -> tuple[str, list[int | float]]:
    """'threshold=0.5,1.5' -> ('threshold', [0.5, 1.5]) (ints stay ints)."""
    param, _, values = text.partition("=")
    if not values:
        raise SnntextError(f"--set {text!r}: expected PARAM=V1,V2,...")
    parsed: list[int | float] = []
    for item in values.split(","):
        try:
            parsed.append(int(item))
        except ValueError:
            try:
                parsed.append(float(item))
            except ValueError:
                raise SnntextError(f"--set {text!r}: {item!r} is not a number") from None
    return param.strip(), parsed


def queue_commands(
    points: list[GridPoint], *, prefix: str, overrides: dict[str, Any], targets: list[str]
) -> list[list[str]]:
    """One `dvc exp run --queue` argv per grid point."""
    commands = []
    for point in points:
        argv = ["dvc", "exp", "run", "--queue", "-n", point.name(prefix)]
        sets = dict(overrides)
        if point.param is not None:
            sets[point.param] = point.value
        for key, value in sets.items():
            argv += ["-S", f"{key}={format_value(value)}"]
        commands.append(argv + list(targets))
    return commands


@dataclass
class ExperimentRow:
    name: str
    params: dict
    metrics: dict[str, dict] = field(default_factory=dict)  # dataset -> {stage: metrics json}
    error: str | None = None


def parse_exp_show(data: list, prefix: str) -> list[ExperimentRow]:
    """Experiments named `<prefix>-...` from `dvc exp show --json` (DVC 3.x), each with its
    params.yaml and its metrics/<stage>/<dataset>.json files."""
    rows, seen = [], set()
    for name, rev in experiment_runs(data):  # newest first: a name queued again keeps its newest run
        if not name.startswith(f"{prefix}-") or name in seen:
            continue
        seen.add(name)
        body = rev.get("data") or {}
        params = ((body.get("params") or {}).get("params.yaml") or {}).get("data") or {}
        row = ExperimentRow(name, params, error=_error_text(rev.get("error")))
        for path, entry in (body.get("metrics") or {}).items():
            parts = path.split("/")
            if len(parts) == 3 and parts[0] == "metrics" and parts[2].endswith(".json") and entry.get("data"):
                row.metrics.setdefault(parts[2][:-5], {})[parts[1]] = entry["data"]
        rows.append(row)
    return sorted(rows, key=lambda r: r.name)


def experiment_runs(data: list) -> Iterator[tuple[str, dict]]:
    """(name, rev entry) of every experiment in `dvc exp show --json` (DVC 3.x), newest commit first."""
    if not isinstance(data, list):
        raise SnntextError("dvc exp show --json: expected a list of commits")
    for commit in data:
        for group in commit.get("experiments") or []:
            for rev in group.get("revs") or []:
                yield rev.get("name") or group.get("name") or "", rev


def named_revs(data: list, prefix: str, known: Iterable[str]) -> dict[str, str]:
    """Name -> commit of the newest successful experiment `<prefix>-<name>` for each name in `known`, from
    `dvc exp show --json`; experiments of other names or that failed are left out."""
    wanted, found = set(known), {}
    for full_name, rev in experiment_runs(data):
        name = full_name[len(prefix) + 1 :] if full_name.startswith(f"{prefix}-") else None
        if name in wanted and name not in found and not rev.get("error") and rev.get("rev"):
            found[name] = rev["rev"]
    return found


def _error_text(error: Any) -> str | None:
    if not error:
        return None
    if isinstance(error, dict):
        return str(error.get("msg") or error.get("type") or error)
    return str(error)


def _get(metrics: dict, stage: str, *keys: str) -> float | None:
    try:
        value = lookup(metrics[stage], keys)
    except KeyError:
        return None
    return value if isinstance(value, (int, float)) else None


def _pooled_rate(metrics: dict) -> float | None:
    """The fine-tuned SNN's pooled-layer firing rate: a headline key since the detail split, nested before."""
    rate = _get(metrics, "finetune", "pooled_firing_rate")
    return rate if rate is not None else _get(metrics, "finetune", "test", "firing_rates", "pooled")


def param_value(params: dict, param: str) -> Any:
    """`params` (params.yaml as a dict) at `param`, a dotted key for nested ones; None when absent."""
    try:
        return lookup(params, param)
    except KeyError:
        return None


def ablation_points(rows: list[ExperimentRow], param: str) -> list[dict]:
    """Per experiment and dataset, for curves along `param`: its value and the measured numbers."""
    points = []
    for row in rows:
        value = param_value(row.params, param)
        if row.error or value is None:
            continue
        for ds, metrics in row.metrics.items():
            if "finetune" not in metrics or ds not in row.params.get("datasets", [ds]):
                continue
            points.append(
                {
                    "experiment": row.name,
                    "dataset": ds,
                    "value": value,
                    "dnn_test_acc": _get(metrics, "train_dnn", "dnn_test_acc"),
                    "converted_test_acc": _get(metrics, "convert", "test_acc"),
                    "test_acc": _get(metrics, "finetune", "test_acc"),
                    "dev_acc": _get(metrics, "finetune", "dev_acc"),
                    "pooled_rate": _pooled_rate(metrics),
                    "energy_ratio": _get(metrics, "finetune", "energy_ratio_snn_to_dnn"),
                }
            )
    return points


def ablations_markdown(rows: list[ExperimentRow], prefix: str, figures: dict[str, str]) -> str:
    """reports/ablations.md: one table per swept param (the baseline appears in each), failures listed."""
    parts = [
        "# Ablations (DVC experiments)",
        "",
        f"Generated by `scripts/run_ablations.py` from `dvc exp show --json` (experiments `{prefix}-*`). "
        "Each experiment changes one param from the committed params.yaml; accuracy in percent. "
        "Pooled firing rate = share of neuron-steps with a spike in the fine-tuned SNN's pooled layer "
        "(our stand-in for the paper's share of active neurons).",
        "",
    ]
    for param in PARAMS:
        names = {r.name for r in rows if r.name == f"{prefix}-{BASELINE}" or r.name.startswith(f"{prefix}-{param}-")}
        points = sorted(
            ablation_points([r for r in rows if r.name in names], param), key=lambda p: (p["dataset"], p["value"])
        )
        if not points:
            continue
        parts += [f"## {param}", ""]
        if param in figures:
            parts += [f"![{param}]({figures[param]})", ""]
        table_rows = [
            [
                display(p["dataset"]),
                format_value(p["value"]),
                pct(p["dnn_test_acc"]),
                pct(p["converted_test_acc"]),
                pct(p["dev_acc"]),
                pct(p["test_acc"]),
                pct(p["pooled_rate"]),
                "–" if p["energy_ratio"] is None else f"{p['energy_ratio']:.2f}",
                f"`{p['experiment']}`",
            ]
            for p in points
        ]
        parts += [
            markdown_table(
                [
                    "Dataset",
                    param,
                    "Tailored DNN test acc",
                    "Converted test acc",
                    "Fine-tuned dev acc",
                    "Fine-tuned test acc",
                    "Pooled firing rate",
                    "SNN/DNN energy",
                    "Experiment",
                ],
                table_rows,
                "lrrrrrrrl",
            ),
            "",
        ]
    failed = [r for r in rows if r.error]
    if failed:
        parts += ["## Failed experiments", "", *[f"- `{r.name}`: {r.error}" for r in failed], ""]
    if not rows:
        parts += [f"No finished experiments named `{prefix}-*` in `dvc exp show`.", ""]
    return "\n".join(parts)
