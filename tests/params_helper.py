"""The project's params.yaml with a few keys changed: what stage tests run with (every key is checked)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

PARAMS_FILE = Path(__file__).resolve().parents[1] / "params.yaml"


def project_params(changes: dict | None = None) -> dict:
    """params.yaml as a dict, with `changes` ({"dotted.key": value}; value None removes the key) applied."""
    data = copy.deepcopy(yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8")))
    for dotted, value in (changes or {}).items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def write_params(path: Path, changes: dict | None = None) -> Path:
    Path(path).write_text(yaml.safe_dump(project_params(changes), sort_keys=False), encoding="utf-8")
    return Path(path)
