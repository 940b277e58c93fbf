"""The README stays a map: at most 200 lines, its project tree one line per package that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_at_most_200_lines():
    assert len(README.splitlines()) <= 200, "README.md is a map: move long sections to docs/"


def test_readme_tree_names_every_package_once():
    packages = sorted(p.name for p in (ROOT / "src" / "snntext").iterdir() if (p / "__init__.py").is_file())
    listed = re.findall(r"^  ([a-z_]+)/ ", README, flags=re.M)
    assert sorted(listed) == packages
