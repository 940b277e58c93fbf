"""A checked view of params.yaml: every key a stage reads is looked up here, so a
missing or mistyped key fails at once with its dotted name and the file."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from snntext import paths
from snntext.errors import SnntextError

_MISSING = object()


class Params:
    def __init__(self, data: dict, source: Path):
        self._data = data
        self.source = Path(source)

    def get(self, dotted: str, default: Any = _MISSING, type_: type | tuple | None = None) -> Any:
        """Value at a dotted key (e.g. "embed.oov"); raises SnntextError naming key and file."""
        node: Any = self._data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is not _MISSING:
                    return default
                raise SnntextError(f"{self.source}: missing key '{dotted}'")
            node = node[part]
        if type_ is not None:
            if type_ is float and isinstance(node, int) and not isinstance(node, bool):
                node = float(node)
            if not isinstance(node, type_) or (isinstance(node, bool) and type_ in (int, float)):
                want = type_.__name__ if isinstance(type_, type) else " or ".join(t.__name__ for t in type_)
                raise SnntextError(f"{self.source}: key '{dotted}' must be {want}, got {node!r}")
        return node

    def choice(self, dotted: str, allowed: list[str] | tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.get(dotted, default, type_=str)
        if value not in allowed:
            raise SnntextError(f"{self.source}: key '{dotted}' is {value!r}; allowed: {', '.join(allowed)}")
        return value

    def as_dict(self) -> dict:
        return self._data


def load_params(path: str | Path | None = None) -> Params:
    path = Path(path) if path else paths.PARAMS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnntextError(f"{path}: params file not found") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SnntextError(f"{path}{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(data, dict):
        raise SnntextError(f"{path}: expected a mapping of keys at the top level")
    return Params(data, path)
