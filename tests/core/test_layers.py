"""The code's shape, held by the suite: layers that hold, no import cycle, a core that names no
gate, and no function longer than a screen."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grimp
import pytest

from auditor.history.settings import STORE_TABLE
from auditor.registry import gates as registered_gates

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("auditor", "gates", "reports")
CODE = (*PACKAGES, "tests", "benchmarks", "scripts", "examples")
MAX_FUNCTION_LINES = 60
SKIPPED_PARTS = {"projects", "fixtures", ".toolenv", "__pycache__", "build"}


def _python_files(folders: tuple[str, ...]) -> Iterator[Path]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            # Hidden folders hold what tools and the benchmark download (benchmarks/.cache).
            if not SKIPPED_PARTS & set(parts) and not any(p.startswith(".") for p in parts):
                yield path


def test_the_import_contracts_hold() -> None:
    """pyproject.toml's [tool.importlinter] contracts: the layers and what may import what."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = stack[stack.index(module):]
            del stack[stack.index(module):]
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return found


@pytest.mark.unit
def test_there_is_no_import_cycle_function_level_imports_included() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert "auditor.history.recorder" in graph.find_modules_directly_imported_by(
        "gates.history.gate"
    ), "a function-level import must count as an import"
    assert _cycles(graph) == []


@pytest.mark.unit
def test_the_core_names_no_gate() -> None:
    """No gate id (other than `history`, which is also the run store's name) and no gate module
    is written in `auditor/`: the core finds gates through their entry points only."""
    ids = set(registered_gates()) - {STORE_TABLE}
    named = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
        for path in _python_files(("auditor",))
        for node in _strings(ast.parse(path.read_text(encoding="utf-8")))
        if node.value in ids or node.value.startswith("gates.")
    ]
    assert named == []


@dataclass(frozen=True)
class _Text:
    lineno: int
    value: str


def _strings(tree: ast.AST) -> Iterator[_Text]:
    """The string constants of TREE, but the keys of dict displays (a JSON Schema's `type`)."""
    keys = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in keys:
            yield _Text(node.lineno, node.value)


def _function_lengths(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            last = node.end_lineno or node.lineno
            yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", last - first + 1


@pytest.mark.unit
def test_no_function_is_longer_than_sixty_lines() -> None:
    long = [
        f"{where} has {lines} lines"
        for path in _python_files(CODE)
        for where, lines in _function_lengths(path)
        if lines > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_no_function_has_too_many_statements_or_branches() -> None:
    """ruff's mccabe complexity (C901, at most 10) and statement count (PLR0915, at most 50)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "C901,PLR0915",
         *CODE],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
