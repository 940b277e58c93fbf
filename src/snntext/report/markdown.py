"""How the report shows things: Markdown tables, numbers, dataset names, layer order, figure paths.

Shared by every document (and the figures and ablations), so a dataset or a percentage reads the
same everywhere. Accuracies are percentages with 2 decimals; a value measured over several seeds
is shown as mean ± std.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from snntext.core import paths
from snntext.core.errors import SnntextError
from snntext.report.metrics import Measured

LAYER_ORDER = ("input", "conv3", "conv4", "conv5", "pool3", "pool4", "pool5", "pooled", "fc", "out")
# relative to reports/: written by snntext.report.write_figures, linked from the documents
FIGURES = {
    "timesteps": "figures/accuracy_vs_timesteps.png",
    "finetune": "figures/finetune_epochs.png",
    "dnn": "figures/dnn_training.png",
    "rates": "figures/firing_rates.png",
    "frontier": "figures/energy_frontier.png",
}
MISSING = "–"


def display(dataset: str) -> str:
    """A dataset's name in reports: its registry entry's display_name (sources.yaml or the user's
    datasets.yaml), else its key."""
    return _display_names(str(paths.SOURCES_FILE), str(paths.USER_DATASETS_FILE)).get(dataset, dataset)


@functools.lru_cache(maxsize=4)
def _display_names(sources: str, user: str) -> dict[str, str]:
    from snntext.core.registry import load_registry

    try:
        registry = load_registry(sources, user)
    except SnntextError:  # the stages report a broken registry; a report still names datasets by key
        return {}
    return {name: spec.title for name, spec in registry.datasets.items()}


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
