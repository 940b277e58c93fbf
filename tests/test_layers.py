"""The package order of snntext/__init__.py holds: no module imports a package above its own, and no
two modules import each other, directly or round a longer loop (function-level imports included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_dvc_deps import PACKAGE, ROOT, imported_files

LAYERS = ("core", "coding", "data", "models", "evaluation", "training", "attack", "report", "cli")
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


def layer(path: Path) -> int:
    return LAYERS.index(path.relative_to(PACKAGE).parts[0])


def imports(path: Path) -> set[Path]:
    return {p for p in imported_files(path) if p.name != "__init__.py"}


def test_every_module_lives_in_a_layer_package():
    loose = [
        str(p.relative_to(ROOT))
        for p in MODULES
        if p.parent == PACKAGE or p.relative_to(PACKAGE).parts[0] not in LAYERS
    ]
    assert not loose, f"modules outside the packages {LAYERS}: {loose}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_runs_up_a_layer(module):
    upward = sorted(str(p.relative_to(PACKAGE)) for p in imports(module) if layer(p) > layer(module))
    assert not upward, f"{module.relative_to(PACKAGE)} ({LAYERS[layer(module)]}) imports higher layers: {upward}"


def find_cycle(graph: dict[Path, set[Path]]) -> list[Path] | None:
    state: dict[Path, int] = {}  # 1 on the stack, 2 done
    stack: list[Path] = []

    def visit(node: Path) -> list[Path] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle():
    cycle = find_cycle({m: imports(m) for m in MODULES})
    assert cycle is None, "import cycle: " + " -> ".join(str(p.relative_to(PACKAGE)) for p in cycle)


def test_the_cycle_finder_finds_a_cycle():
    a, b, c = Path("a"), Path("b"), Path("c")
    assert find_cycle({a: {b}, b: {c}, c: {a}}) == [a, b, c, a]
    assert find_cycle({a: {b}, b: {c}, c: set()}) is None
