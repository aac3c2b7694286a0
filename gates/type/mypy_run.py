"""Driving mypy: its command line and reading its outputs.

The parsers are pure functions, so they are tested on output the real tool produced: `-O json`
lines decoded into a Struct, and the any-exprs and line-precision reports, text tables mypy
documents (https://mypy.readthedocs.io/en/stable/command_line.html#report-generation) with no
machine-readable equivalent, read into typed rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msgspec

from auditor.errors import GateError
from gates.paths import relative_to_root
from gates.type.mypy_config import MypyConfig

# https://mypy.readthedocs.io/en/stable/running_mypy.html: 0 no errors, 1 type errors found,
# 2 crash, bad configuration or blocking errors (e.g. a syntax error) that stopped the check.
MYPY_OK_CODES = (0, 1)
MYPY_BLOCKED_CODE = 2

# Directories that hold no source of the target's own, excluded when the whole root is checked
# (mypy already skips hidden directories, `site-packages`, `node_modules` and `__pycache__`).
DEFAULT_EXCLUDED_DIRS = ("venv", "env", "build", "dist")

ANY_REPORT_FILE = "any-exprs.txt"
ANY_COLUMNS = ("Name", "Anys", "Exprs", "Coverage")
UNTYPED_DEF_CODE = "no-untyped-def"
"""The code of mypy's errors for a function with missing annotations."""
NO_CODE = "misc"
"""The rule of a message mypy writes without a code (a blocking error): mypy's catch-all code."""
LINE_REPORT_FILE = "lineprecision.txt"
"""mypy's --lineprecision-report: a row for every module it checked, expressions or not."""
LINE_COLUMNS = ("Name", "Lines", "Precise", "Imprecise", "Any", "Empty", "Unanalyzed")


class MypyJsonMessage(msgspec.Struct, frozen=True):
    """One line of `mypy -O json` (mypy/error_formatter.py, `JSONFormatter`): every key is
    written on every line, `hint` and `code` null when there is none."""

    file: str
    line: int
    column: int
    message: str
    hint: str | None
    code: str | None
    severity: Literal["error", "note"]


@dataclass(frozen=True)
class MypyMessage:
    """One message of `mypy -O json`, its path relative to the root, with the notes that
    follow it on its line."""

    path: str
    line: int
    column: int
    code: str
    severity: Literal["error", "note"]
    message: str
    hint: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AnyCount:
    """A row of mypy's any-exprs report: expressions of type Any among all counted ones."""

    module: str
    any: int
    total: int

    @property
    def coverage(self) -> float | None:
        """Percent of counted expressions that are not Any; None when nothing was counted."""
        if self.total == 0:
            return None
        return 100.0 * (self.total - self.any) / self.total


@dataclass(frozen=True)
class LinePrecision:
    """A row of mypy's line-precision report: a module's lines by how precisely mypy typed
    them."""

    module: str
    lines: int
    precise: int
    imprecise: int
    any: int
    empty: int
    unanalyzed: int


def default_excludes(root: Path) -> list[str]:
    """`--exclude` patterns for directories that are not the target's source."""
    names = set(DEFAULT_EXCLUDED_DIRS)
    names.update(p.parent.name for p in root.glob("*/pyvenv.cfg"))
    alternatives = "|".join(re.escape(n) for n in sorted(names))
    return [f"(^|/)({alternatives})/"]


def check_command(
    mypy: Sequence[str],
    *,
    config: MypyConfig,
    python: Path,
    cache_dir: Path,
    report_dir: Path,
    targets: Sequence[str],
    excludes: Sequence[str],
) -> list[str]:
    """mypy with the target's config and interpreter, JSON errors, the any-exprs report and
    the line-precision report (which names every module checked)."""
    cmd = [
        *mypy,
        # An empty name turns off every configuration file, including the user's own.
        "--config-file", str(config.path) if config.path else "",
        "--python-executable", str(python),
        "--cache-dir", str(cache_dir),
        "--output", "json",
        "--any-exprs-report", str(report_dir),
        "--lineprecision-report", str(report_dir),
        # Functions mypy does not check, each an error of its own code: `untyped_defs`.
        "--disallow-untyped-defs", "--disallow-incomplete-defs",
    ]
    for pattern in excludes:
        cmd += ["--exclude", pattern]
    if targets:
        cmd += ["--", *targets]
    return cmd


_MESSAGE = msgspec.json.Decoder(MypyJsonMessage)


def _decode_message(raw: str) -> MypyJsonMessage:
    try:
        return _MESSAGE.decode(raw)
    except msgspec.ValidationError as exc:
        raise GateError(
            f"mypy printed a JSON line that is not one of its messages ({exc}): "
            f"{raw.strip()[:200]!r}"
        ) from None
    except msgspec.DecodeError:
        raise GateError(f"mypy printed a line that is not JSON: {raw.strip()[:200]!r}") from None


_PLAIN_NOTE = re.compile(r"^(?P<file>[^\s:][^:]*): note: (?P<message>.+)$")
"""A note mypy prints as text even with `-O json`: about its configuration
(`setup.cfg: note: unused section(s): [mypy-tests.*]`)."""


def _plain_note(raw: str, root: Path) -> MypyMessage | None:
    found = _PLAIN_NOTE.match(raw.strip())
    if found is None or raw.lstrip().startswith("{"):
        return None
    return MypyMessage(path=relative_to_root(found["file"], root), line=0, column=0,
                       code=NO_CODE, severity="note", message=found["message"])


def parse_messages(stdout: str, root: Path) -> list[MypyMessage]:
    """Read `mypy -O json`: one JSON object a line; notes are attached to the error they follow.
    A note about the configuration, which mypy prints as text, is kept as a note of its file."""
    messages: list[MypyMessage] = []
    for raw in stdout.splitlines():
        if not raw.strip():
            continue
        plain = _plain_note(raw, root)
        if plain is not None:
            messages.append(plain)
            continue
        item = _decode_message(raw)
        path = relative_to_root(item.file, root)
        last = messages[-1] if messages else None
        if item.severity == "note" and last is not None and (last.path, last.line) == (
            path,
            item.line,
        ):
            last.notes.append(item.message)
            continue
        messages.append(
            MypyMessage(
                path=path,
                line=item.line,
                column=item.column,
                code=item.code or NO_CODE,
                severity=item.severity,
                message=item.message,
                hint=item.hint or None,
            )
        )
    return messages


def _table(text: str, name: str, columns: tuple[str, ...]) -> list[str]:
    """The non-empty lines of one of mypy's text reports, once its header names COLUMNS and a
    rule of dashes follows it."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or tuple(lines[0].split()) != columns or set(lines[1].strip()) != {"-"}:
        raise GateError(f"mypy's {name} report has no header and rule")
    return lines


def _any_row(line: str) -> AnyCount:
    """A row of the any-exprs report: the module, its Any and all expressions, a percentage."""
    parts = line.split()
    if (
        len(parts) != len(ANY_COLUMNS)
        or not all(p.isdigit() for p in parts[1:3])
        or not parts[3].endswith("%")
    ):
        raise GateError(f"mypy's any-exprs report has a row of an unknown shape: {line.strip()!r}")
    return AnyCount(module=parts[0], any=int(parts[1]), total=int(parts[2]))


def parse_any_report(text: str) -> tuple[list[AnyCount], AnyCount]:
    """Read `any-exprs.txt`: a header, a rule, a row per module, a rule, the total row."""
    lines = _table(text, "any-exprs", ANY_COLUMNS)
    rules = [i for i, line in enumerate(lines) if set(line.strip()) == {"-"}]
    if len(rules) != 2 or rules[1] != len(lines) - 2:
        raise GateError("mypy's any-exprs report does not have the expected layout")
    modules = [_any_row(line) for line in lines[rules[0] + 1 : rules[1]]]
    total = _any_row(lines[-1])
    if total.module != "Total" or (
        total.any,
        total.total,
    ) != (sum(m.any for m in modules), sum(m.total for m in modules)):
        raise GateError("mypy's any-exprs report has a total that is not the sum of its rows")
    return modules, total


def config_warnings(stderr: str) -> list[str]:
    """What mypy wrote to stderr while it still checked: invalid or unsupported options in the
    project's configuration (`python_version: Invalid python version`), each line once.

    These do not stop the measurement (mypy went on with its default), so they are warnings the
    reader must see, not errors of the gate.
    """
    lines = (line.strip() for line in stderr.splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def _line_row(line: str) -> LinePrecision:
    """A row of the line-precision report: the module, its lines and their five counts."""
    parts = line.split()
    if len(parts) != len(LINE_COLUMNS) or not all(p.isdigit() for p in parts[1:]):
        raise GateError(f"mypy's line-precision report has a row it cannot read: {line!r:.200}")
    lines, precise, imprecise, anys, empty, unanalyzed = (int(p) for p in parts[1:])
    row = LinePrecision(parts[0], lines, precise, imprecise, anys, empty, unanalyzed)
    if row.lines != row.precise + row.imprecise + row.any + row.empty + row.unanalyzed:
        raise GateError(
            f"mypy's line-precision report has a row whose lines are not the sum of its "
            f"counts: {line.strip()!r:.200}"
        )
    return row


def parse_line_rows(text: str) -> list[LinePrecision]:
    """Read `lineprecision.txt`: a header, a rule, then a row per module checked (its name, its
    lines and their five counts)."""
    return [_line_row(line) for line in _table(text, "line-precision", LINE_COLUMNS)[2:]]


def parse_line_report(text: str) -> list[str]:
    """The modules mypy checked: the names of the line-precision report's rows."""
    return [row.module for row in parse_line_rows(text)]
