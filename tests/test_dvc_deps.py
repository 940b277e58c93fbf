"""dvc.yaml lists, for every stage, exactly the snntext modules its script imports (directly or not,
function-level imports included): a module it imports and does not list would not re-run the stage when
it changes; a module it lists and does not import would re-run it for nothing. Package __init__.py files
hold only a docstring (checked here), so they are left out of both sides."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "snntext"
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
TORCH_STAGES = {
    "train_dnn",
    "convert",
    "finetune",
    "energy",
    "attack",
    "sweep_timesteps",
    "train_direct",
    "random_embeddings",
}


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
    """Every project file `script` imports, transitively, as paths relative to the project root."""
    seen, todo = set(), [script]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(imported_files(path))
    return {str(p.relative_to(ROOT)) for p in seen}


def imported_modules(script: str) -> set[str]:
    """The snntext modules (no __init__.py) a stage script imports, transitively."""
    return {f for f in closure(ROOT / script) if f.startswith("src/") and not f.endswith("__init__.py")}


def stage_body(name: str) -> dict:
    return STAGES[name].get("do", STAGES[name])


def listed_modules(deps: list[str]) -> set[str]:
    """The .py files of src/ a deps list names, a folder standing for every module in it."""
    out = set()
    for dep in deps:
        path = ROOT / dep
        if dep.startswith("src/") and path.is_dir():
            out |= {str(p.relative_to(ROOT)) for p in path.rglob("*.py") if p.name != "__init__.py"}
        elif dep.startswith("src/") and dep.endswith(".py"):
            out.add(dep)
    return out


def deps_of(name: str) -> list[str]:
    return [dep if isinstance(dep, str) else next(iter(dep)) for dep in stage_body(name).get("deps", [])]


def script_of(name: str) -> str:
    return re.search(r"stages/\S+\.py", stage_body(name)["cmd"]).group(0)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_deps_are_exactly_the_modules_its_script_imports(name):
    deps = deps_of(name)
    assert script_of(name) in deps
    needed, listed = imported_modules(script_of(name)), listed_modules(deps)
    missing, extra = sorted(needed - listed), sorted(listed - needed)
    assert not missing and not extra, f"dvc.yaml stage {name}: add to deps {missing}; remove {extra}"


@pytest.mark.parametrize("name", sorted(TORCH_STAGES))
def test_torch_stages_list_kernel_pinning_and_seeding(name):
    deps = deps_of(name)
    assert "src/snntext/core/cpu_kernels.py" in deps and "src/snntext/core/device.py" in deps


@pytest.mark.parametrize("init", sorted(str(p.relative_to(ROOT)) for p in PACKAGE.rglob("__init__.py")))
def test_package_init_files_hold_only_a_docstring(init):
    body = ast.parse((ROOT / init).read_text(encoding="utf-8")).body
    assert len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant), (
        f"{init}: a package's __init__.py holds its docstring only (stages' deps leave it out)"
    )


def test_the_check_sees_function_level_imports():
    # the attack stage imports snntext.attack.run inside main()
    assert "src/snntext/attack/run.py" in closure(ROOT / "stages" / "attack.py")
    assert "src/snntext/attack/session.py" in closure(ROOT / "stages" / "attack.py")


def test_the_check_catches_a_module_listed_but_not_imported():
    assert "src/snntext/attack/run.py" not in imported_modules("stages/check_params.py")
