"""The paper's own accuracies (paper.yaml, with their source), shown beside ours in the accuracy table.

Kept apart from the metrics: these numbers are quoted, not measured, so they are checked for shape only.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from snntext.core.errors import SnntextError

PAPER_FILE = Path(__file__).resolve().parent / "paper.yaml"


def load_paper(path: Path = PAPER_FILE) -> dict:
    """paper.yaml, checked: rows textcnn and snn, each with a label and percent values per dataset."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise SnntextError(f"{path}: unreadable ({err})") from None
    try:
        rows = {key: data["rows"][key] for key in ("textcnn", "snn")}
        for key, row in rows.items():
            if not isinstance(row["label"], str) or not all(
                isinstance(v, (int, float)) for v in row["values"].values()
            ):
                raise TypeError(key)
        source = str(data["source"])
    except (KeyError, TypeError, AttributeError):
        raise SnntextError(f"{path}: needs 'source' and rows textcnn/snn with 'label' and numeric 'values'") from None
    return {"source": source, "rows": rows}


def paper_value(paper: dict, row: str, dataset: str) -> float | None:
    value = paper["rows"][row]["values"].get(dataset)
    return None if value is None else value / 100.0
