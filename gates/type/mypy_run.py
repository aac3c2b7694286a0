"""Driving mypy: which configuration and targets apply, the command line, and its outputs.

The parsers are pure functions, so they are tested on output the real tool produced.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import GateError
from gates.paths import relative_to_root

# https://mypy.readthedocs.io/en/stable/running_mypy.html: 0 no errors, 1 type errors found,
# 2 crash, bad configuration or blocking errors (e.g. a syntax error) that stopped the check.
MYPY_OK_CODES = (0, 1)
MYPY_BLOCKED_CODE = 2

# mypy looks for these in this order in each directory, then in parent directories.
CONFIG_NAMES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")

# Options that tell mypy what to check when no path is given on its command line.
TARGET_KEYS = ("files", "modules", "packages")

# Directories that hold no source of the target's own, excluded when the whole root is checked
# (mypy already skips hidden directories, `site-packages`, `node_modules` and `__pycache__`).
DEFAULT_EXCLUDED_DIRS = ("venv", "env", "build", "dist")

ANY_REPORT_FILE = "any-exprs.txt"
UNTYPED_DEF_CODE = "no-untyped-def"
"""The code of mypy's errors for a function with missing annotations."""
LINE_REPORT_FILE = "lineprecision.txt"
"""mypy's --lineprecision-report: a row for every module it checked, expressions or not."""



@dataclass(frozen=True)
class MypyConfig:
    """The mypy configuration an audit applies."""

    path: Path | None
    """The file, or None to run mypy with its defaults."""
    sets_targets: bool
    """Whether it names what to check (`files`, `modules` or `packages`)."""
    description: str


@dataclass(frozen=True)
class MypyMessage:
    """One JSON line of `mypy -O json`."""

    path: str
    line: int | None
    column: int | None
    code: str
    severity: str
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


def _mypy_section(path: Path) -> dict[str, object] | None:
    """The mypy options of a config file, or None when it does not configure mypy."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    if path.name == "pyproject.toml":
        try:
            tool = tomllib.loads(text).get("tool")
        except tomllib.TOMLDecodeError:
            return {}  # mypy reports it
        section = tool.get("mypy") if isinstance(tool, dict) else None
        return dict(section) if isinstance(section, dict) else None
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error:
        return {}  # mypy reports it
    if parser.has_section("mypy"):
        return dict(parser.items("mypy"))
    # mypy.ini counts even without a [mypy] section; setup.cfg only with one.
    return {} if path.name != "setup.cfg" else None


def config_in(directory: Path) -> tuple[Path, dict[str, object]] | None:
    """The mypy configuration of one directory, as mypy would pick it."""
    for name in CONFIG_NAMES:
        path = directory / name
        if path.is_file():
            section = _mypy_section(path)
            if section is not None:
                return path, section
    return None


def _outer_config(root: Path) -> Path | None:
    """The configuration mypy would find above the root (it stops at a .git or .hg)."""
    current = root.resolve()
    while not any((current / vcs).exists() for vcs in (".git", ".hg")):
        if current.parent == current:
            return None
        current = current.parent
        found = config_in(current)
        if found is not None:
            return found[0]
    return None


def find_config(root: Path) -> MypyConfig:
    """The target's own mypy configuration; configuration above the root is never used."""
    own = config_in(root)
    if own is not None:
        path, section = own
        sets_targets = any(section.get(key) for key in TARGET_KEYS)
        return MypyConfig(path, sets_targets, f"project configuration in {path.name}")
    description = "mypy defaults: no mypy configuration at the target root"
    outer = _outer_config(root)
    if outer is not None:
        description += f" ({outer} lies outside the target and was not used)"
    return MypyConfig(None, sets_targets=False, description=description)


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




def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_messages(stdout: str, root: Path) -> list[MypyMessage]:
    """Read `mypy -O json`: one JSON object a line; notes are attached to the error they follow."""
    messages: list[MypyMessage] = []
    for raw in stdout.splitlines():
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError:
            raise GateError(
                f"mypy printed a line that is not JSON: {raw.strip()[:200]!r}"
            ) from None
        if not (
            isinstance(item, dict)
            and isinstance(item.get("file"), str)
            and isinstance(item.get("severity"), str)
            and isinstance(item.get("message"), str)
        ):
            raise GateError(f"mypy printed a JSON line of an unknown shape: {raw.strip()[:200]!r}")
        path = relative_to_root(item["file"], root)
        line = _int_or_none(item.get("line"))
        if item["severity"] == "note" and messages and (messages[-1].path, messages[-1].line) == (
            path,
            line,
        ):
            messages[-1].notes.append(item["message"])
            continue
        code = item.get("code")
        hint = item.get("hint")
        messages.append(
            MypyMessage(
                path=path,
                line=line,
                column=_int_or_none(item.get("column")),
                code=code if isinstance(code, str) and code else "misc",
                severity=item["severity"],
                message=item["message"],
                hint=hint if isinstance(hint, str) and hint else None,
            )
        )
    return messages


def _row(line: str) -> AnyCount:
    parts = line.split()
    if len(parts) != 4 or not parts[3].endswith("%"):
        raise GateError(f"mypy's any-exprs report has a row of an unknown shape: {line.strip()!r}")
    try:
        return AnyCount(module=parts[0], any=int(parts[1]), total=int(parts[2]))
    except ValueError:
        raise GateError(f"mypy's any-exprs report has a row without counts: {line!r}") from None


def parse_any_report(text: str) -> tuple[list[AnyCount], AnyCount]:
    """Read `any-exprs.txt`: a header, a rule, a row per module, a rule, the total row."""
    lines = [line for line in text.splitlines() if line.strip()]
    rules = [i for i, line in enumerate(lines) if set(line.strip()) == {"-"}]
    if len(rules) != 2 or rules[0] != 1 or rules[1] != len(lines) - 2:
        raise GateError("mypy's any-exprs report does not have the expected layout")
    modules = [_row(line) for line in lines[rules[0] + 1 : rules[1]]]
    total = _row(lines[-1])
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


def parse_line_report(text: str) -> list[str]:
    """Read `lineprecision.txt`: a header, a rule, then a row per module checked (its name and
    six counts); the modules' names."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or set(lines[1].strip()) != {"-"}:
        raise GateError("mypy's line-precision report has no header and rule")
    modules = []
    for line in lines[2:]:
        parts = line.split()
        if len(parts) != 7 or not all(p.isdigit() for p in parts[1:]):
            raise GateError(f"mypy's line-precision report has a row it cannot read: {line!r:.200}")
        modules.append(parts[0])
    return modules
