"""dvc.yaml lists, for every stage, each snntext module its script imports (directly or not), so
that `dvc repro` re-runs a stage whenever code that shapes its results changes.

Start-up plumbing that every stage imports and that decides no number (argument parsing, errors,
params and paths lookup, the typed settings whose values come from params.yaml, which DVC tracks
key by key) is exempt; the stages that run torch must list the modules that pin its
CPU kernels and seed it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PLUMBING = {
    "src/snntext/core/stage_script.py",
    "src/snntext/core/errors.py",
    "src/snntext/core/params.py",
    "src/snntext/core/paths.py",
    "src/snntext/core/config.py",
    "src/snntext/core/registry.py",
    "src/snntext/core/cpu_kernels.py",
    "src/snntext/core/device.py",
}
TORCH_STAGES = {"train_dnn", "convert", "finetune", "attack", "sweep_timesteps"}
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def module_file(name: str) -> Path | None:
    base = SRC.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def imported_files(path: Path) -> set[Path]:
    """snntext modules `path` imports anywhere (function-level imports included), parents too."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    files = set()
    for name in names:
        if name.split(".")[0] == "snntext":
            parts = name.split(".")
            files |= {f for i in range(1, len(parts) + 1) if (f := module_file(".".join(parts[:i])))}
    return files


def closure(script: Path) -> set[str]:
    seen, todo = set(), [script]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(imported_files(path))
    return {str(p.relative_to(ROOT)) for p in seen}


def stage_body(name: str) -> dict:
    return STAGES[name].get("do", STAGES[name])


def covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_deps_list_every_module_its_script_imports(name):
    body = stage_body(name)
    script = re.search(r"stages/\S+\.py", body["cmd"]).group(0)
    deps = [dep if isinstance(dep, str) else next(iter(dep)) for dep in body.get("deps", [])]
    assert script in deps
    needed = {f for f in closure(ROOT / script) if not f.endswith("__init__.py") and f not in PLUMBING}
    missing = sorted(f for f in needed if not covered(f, deps))
    assert not missing, f"dvc.yaml stage {name}: add to deps {missing}"


@pytest.mark.parametrize("name", sorted(TORCH_STAGES))
def test_torch_stages_list_kernel_pinning_and_seeding(name):
    deps = stage_body(name)["deps"]
    assert "src/snntext/core/cpu_kernels.py" in deps and "src/snntext/core/device.py" in deps


def test_the_check_sees_function_level_imports():
    # rate_coded_dnn_accuracy imports snntext.evaluation inside the function
    assert "src/snntext/evaluation.py" in closure(SRC / "snntext" / "conversion.py")
