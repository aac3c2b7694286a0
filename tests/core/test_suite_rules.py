"""Rules the test suite holds itself to, checked on its own source."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {"projects", "fixtures", ".toolenv", "__pycache__"}
CHECKING_CALLS = {"raises", "fail", "warns", "approx"}
"""`pytest.raises(...)`, `pytest.fail(...)`, `pytest.warns(...)` check by themselves."""


def _sources() -> Iterator[Path]:
    for path in sorted(TESTS.rglob("*.py")):
        if not SKIPPED_DIRS.intersection(path.relative_to(TESTS).parts):
            yield path


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _checks_directly(node: ast.AST) -> bool:
    """An `assert`, or a call of pytest's own checks, anywhere in NODE."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Assert):
            return True
        if isinstance(inner, ast.Call) and _called_name(inner) in CHECKING_CALLS:
            return True
    return False


def _calls(node: ast.AST) -> set[str]:
    return {name for inner in ast.walk(node) if isinstance(inner, ast.Call)
            if (name := _called_name(inner)) is not None}


def _functions() -> dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]:
    found: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.setdefault(node.name, []).append(node)
    return found


def checking_helpers(functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]
                     ) -> set[str]:
    """Names of the suite's functions that assert, directly or through another such helper."""
    checking = {name for name, defs in functions.items() if any(map(_checks_directly, defs))}
    while True:
        more = {name for name, defs in functions.items() if name not in checking
                and any(_calls(d) & checking for d in defs)}
        if not more:
            return checking
        checking |= more


def unchecked_tests() -> list[str]:
    """Test functions that assert nothing: no `assert`, no `pytest.raises`/`fail`, no call of
    a helper of the suite that asserts."""
    functions = _functions()
    checking = checking_helpers(functions)
    found = []
    for path in _sources():
        if not path.name.startswith("test_"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                    and node.name.startswith("test_")
                    and not _checks_directly(node) and not _calls(node) & checking):
                found.append(f"{path.relative_to(TESTS)}:{node.lineno} {node.name}")
    return found


def test_every_test_asserts_something() -> None:
    assert unchecked_tests() == []


def test_a_test_without_an_assertion_is_found() -> None:
    source = '''
def _helper(x):
    assert x

def _indirect(x):
    _helper(x)

def test_direct():
    assert 1

def test_raises():
    with pytest.raises(ValueError):
        int("x")

def test_through_helpers():
    _indirect(1)

def test_nothing():
    print("no check")
'''
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            functions.setdefault(node.name, []).append(node)
    checking = checking_helpers(functions)
    expected = {"_helper", "_indirect", "test_direct", "test_raises", "test_through_helpers"}
    assert expected <= checking
    assert "test_nothing" not in checking
