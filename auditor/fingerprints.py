"""Fingerprints: a finding's identity that survives line moves and re-indentation.

A fingerprint hashes the gate, the rule, the path, the whitespace-normalised text of the
finding's line, the qualified name of the enclosing function or class (from the AST, for Python
files) and an occurrence index among findings with the same key in the same file; never a line
number. A vulnerable dependency's fingerprint is its package and advisory id. A finding without
a line (a failing test) uses its message in place of the line's text.
"""

from __future__ import annotations

import ast
import hashlib
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from msgspec.structs import replace

from auditor.model import Finding

PACKAGE_KEY = "package"
"""`Finding.extra` key naming the distribution a dependency finding is about."""


@dataclass(frozen=True)
class SourceFile:
    """One file's lines and, for Python files that parse, the scope of every line."""

    lines: tuple[str, ...]
    scopes: tuple[str, ...]
    """Qualified name of the innermost function or class around each line (index 0 = line 1)."""

    def text(self, line: int | None) -> str:
        if line is None or not 1 <= line <= len(self.lines):
            return ""
        return " ".join(self.lines[line - 1].split())

    def scope(self, line: int | None) -> str:
        if line is None or not 1 <= line <= len(self.scopes):
            return ""
        return self.scopes[line - 1]


EMPTY = SourceFile((), ())
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
"""The fields of a node that hold statements (or the handlers and cases that hold them)."""


def _scopes(source: str, count: int) -> tuple[str, ...]:
    scopes = [""] * count
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return tuple(scopes)

    def visit(node: ast.AST, prefix: str) -> None:
        # Only statements can define a function or class: the blocks of statements are walked,
        # never an expression (most of a tree's nodes).
        for field in _BLOCKS:
            for child in getattr(node, field, ()):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    name = f"{prefix}.{child.name}" if prefix else child.name
                    first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    last = child.end_lineno or child.lineno
                    for index in range(first - 1, min(last, count)):
                        scopes[index] = name
                    visit(child, name)
                elif isinstance(child, ast.AST):
                    visit(child, prefix)

    visit(tree, "")
    return tuple(scopes)


class SourceIndex:
    """The target's files, each read and parsed at most once per audit; safe across threads."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._files: dict[str, SourceFile] = {}
        self._lock = threading.Lock()

    def get(self, rel: str) -> SourceFile:
        with self._lock:
            if rel not in self._files:
                self._files[rel] = self._read(rel)
            return self._files[rel]

    def _read(self, rel: str) -> SourceFile:
        if not rel:
            return EMPTY
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return EMPTY
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return EMPTY
        lines = tuple(source.splitlines())
        scopes = _scopes(source, len(lines)) if rel.endswith(".py") else ("",) * len(lines)
        return SourceFile(lines, scopes)


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def dependency(gate_id: str, package: str, advisory: str) -> str:
    """The fingerprint of a vulnerable dependency: its package and advisory id."""
    return _digest((gate_id, "dependency", package.lower(), advisory))


def assign(gate_id: str, findings: Sequence[Finding], index: SourceIndex) -> list[Finding]:
    """The findings with their fingerprints, in the same order."""
    keys: list[tuple[str, ...] | None] = []
    for finding in findings:
        package = finding.extra.get(PACKAGE_KEY)
        if isinstance(package, str) and package:
            keys.append(None)
            continue
        source = index.get(finding.path)
        text = source.text(finding.line) if finding.line is not None else finding.message
        keys.append((gate_id, finding.rule, finding.path, text, source.scope(finding.line)))
    # Occurrence index: among identical keys in a file, in line order.
    order = sorted(range(len(findings)), key=lambda i: (findings[i].line or 0, i))
    seen: dict[tuple[str, ...], int] = defaultdict(int)
    occurrence: dict[int, int] = {}
    for i in order:
        key = keys[i]
        if key is not None:
            occurrence[i] = seen[key]
            seen[key] += 1
    out: list[Finding] = []
    for i, finding in enumerate(findings):
        key = keys[i]
        if key is None:
            fingerprint = dependency(gate_id, str(finding.extra[PACKAGE_KEY]), finding.rule)
        else:
            fingerprint = _digest((*key, str(occurrence[i])))
        out.append(replace(finding, fingerprint=fingerprint))
    return out
