"""Driving ruff: which configuration applies, the command line, and reading its JSON output.

Everything here but `find_config` is a pure function of its arguments, so parsing is tested
on output the real tool produced.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.exclude import NOTHING, Exclusion
from gates.paths import relative_to_root

# https://docs.astral.sh/ruff/linter/#exit-codes: 0 no violations, 1 violations found,
# 2 abnormal termination (invalid configuration or CLI options, internal error).
RUFF_OK_CODES = (0, 1)

# ruff >= 0.15 reports syntax errors with this code; older versions with no code at all.
SYNTAX_RULE = "invalid-syntax"

# Config file names in the order ruff prefers them within one directory.
CONFIG_NAMES = (".ruff.toml", "ruff.toml", "pyproject.toml")

_SELECTOR = re.compile(r"^(?P<alpha>[A-Z]+)(?P<digits>[0-9]*)$")


@dataclass(frozen=True)
class Selection:
    """The ruff configuration an audit applies, and how to say so."""

    args: tuple[str, ...]
    """Command-line arguments that apply it (`--config FILE`, `--isolated` or none: the
    target's own configuration, which ruff finds by itself)."""
    description: str
    """What the report says about which rules were selected."""


@dataclass(frozen=True)
class RuffFinding:
    """One entry of ruff's JSON output, reduced to what the gate reports."""

    path: str
    """Relative to the target root, with forward slashes."""
    line: int | None
    column: int | None
    rule: str
    name: str | None
    """The rule's name (`undefined-name`); None from a ruff that does not write it."""
    message: str


class _Table(msgspec.Struct, frozen=True):
    """A TOML table whose keys are not read here."""


class _Tools(msgspec.Struct, frozen=True):
    ruff: _Table | None = None


class _Pyproject(msgspec.Struct, frozen=True):
    """What ruff's configuration search reads of a pyproject.toml: whether it has `[tool.ruff]`."""

    tool: _Tools | None = None


class _Project(msgspec.Struct, frozen=True):
    requires_python: str | None = msgspec.field(default=None, name="requires-python")


class _ProjectTable(msgspec.Struct, frozen=True):
    """What ruff reads of a pyproject.toml without `[tool.ruff]`: `requires-python`, whose lower
    bound is its target version."""

    project: _Project | None = None


def has_ruff_section(pyproject: Path) -> bool:
    """Whether a pyproject.toml configures ruff; an unreadable one counts, so ruff reports it
    (as does a `tool` or `tool.ruff` that is not a table)."""
    try:
        data = msgspec.toml.decode(pyproject.read_text(encoding="utf-8"), type=_Pyproject)
    except (OSError, UnicodeDecodeError, msgspec.DecodeError):
        return True
    return data.tool is not None and data.tool.ruff is not None


def config_in(directory: Path) -> Path | None:
    """The ruff configuration file of one directory, as ruff would pick it."""
    for name in CONFIG_NAMES:
        path = directory / name
        if not path.is_file():
            continue
        if name != "pyproject.toml" or has_ruff_section(path):
            return path
    return None


def requires_python(pyproject: Path) -> str | None:
    """`requires-python` of a pyproject.toml's `[project]`; None when unset or unreadable."""
    try:
        data = msgspec.toml.decode(pyproject.read_text(encoding="utf-8"), type=_ProjectTable)
    except (OSError, UnicodeDecodeError, msgspec.DecodeError):
        return None
    return data.project.requires_python if data.project else None


def find_config(root: Path, configured: str | None) -> Selection:
    """Which configuration applies to the target.

    ruff itself would also use a configuration found in any parent directory (or the user's
    own); a target checked out inside another project's tree would then be judged by the outer
    project's rules. Only the target's own configuration (or one named with the `ruff_config`
    option) is used. Without one, ruff's defaults apply as `ruff check` in the root applies
    them: a root pyproject.toml without `[tool.ruff]` is still read for `requires-python`,
    which sets the target version (the syntax accepted, the rules that apply).
    """
    if configured:
        path = (root / configured).resolve()
        if not path.is_file():
            raise GateError(f"the ruff configuration {path} named by `ruff_config` does not exist")
        return Selection(("--config", str(path)), f"configuration in {configured} (ruff_config)")
    own = config_in(root)
    if own is not None:
        # ruff finds it from the working directory by itself, which keeps the configurations of
        # subdirectories in effect for their files.
        return Selection((), f"project configuration in {own.name}")
    description = "ruff defaults: no ruff configuration at the target root"
    for parent in root.resolve().parents:
        outer = config_in(parent)
        if outer is not None:
            description += f" ({outer} lies outside the target and was not used)"
            break
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Selection(("--isolated",), description)
    # A readable pyproject.toml without [tool.ruff] (config_in found none): named as the
    # configuration, ruff applies its defaults with the target version it infers from it, and
    # reads no other configuration file.
    requires = requires_python(pyproject)
    if requires:
        description += f"; target version from requires-python {requires!r} in pyproject.toml"
    return Selection(("--config", str(pyproject.resolve())), description)


CRITICAL_OVERRIDES = (
    "lint.ignore = []", "lint.per-file-ignores = {}", "lint.extend-per-file-ignores = {}",
)
"""What the critical check sets aside of the target's configuration: its ignores. `--select`
on the command line already outranks its `select`, `extend-select` and `extend-ignore`."""


def check_command(
    ruff: Sequence[str],
    selection: Selection,
    critical: Sequence[str],
    cache_dir: Path,
    exclusion: Exclusion = NOTHING,
    *,
    critical_only: bool = False,
) -> list[str]:
    """`ruff check` that never edits files, with its cache in CACHE_DIR (never in the target),
    the critical rules added and `[tool.audit] exclude` added to the project's excludes.

    CRITICAL_ONLY: the critical rules alone, whatever the target's `ignore` and
    `per-file-ignores` say (its excludes, target version and `# noqa` comments still apply).
    """
    cmd = [*ruff, "check", "--no-fix", "--cache-dir", str(cache_dir), "--output-format", "json"]
    if critical_only:
        overrides = [arg for value in CRITICAL_OVERRIDES for arg in ("--config", value)]
        cmd += ["--select", ",".join(critical), *overrides]
    elif critical:
        cmd += ["--extend-select", ",".join(critical)]
    return [*cmd, *exclusion.ruff_args(), *selection.args, "--", "."]


def merge_critical(
    found: Sequence[RuffFinding], critical_found: Sequence[RuffFinding], critical: Sequence[str]
) -> tuple[list[RuffFinding], list[RuffFinding]]:
    """The check's findings with its critical ones replaced by those of the critical check,
    and the critical findings the target's own configuration had hidden."""
    kept = [f for f in found if not is_critical(f.rule, critical)]
    shown = {_place(f) for f in found if is_critical(f.rule, critical)}
    hidden = [f for f in critical_found if _place(f) not in shown]
    return [*kept, *critical_found], hidden


def _place(finding: RuffFinding) -> tuple[str, int | None, int | None, str]:
    return finding.path, finding.line, finding.column, finding.rule


def files_command(
    ruff: Sequence[str], selection: Selection, exclusion: Exclusion = NOTHING
) -> list[str]:
    """`ruff check --show-files`: the files the check covers, one absolute path a line."""
    return [
        *ruff, "check", "--no-cache", "--show-files", *exclusion.ruff_args(), *selection.args,
        "--", ".",
    ]


def valid_selector(selector: str) -> bool:
    """Whether a rule selector has the shape of a ruff code prefix (`E9`, `F82`, `PLE`, `ALL`)."""
    return _SELECTOR.match(selector) is not None


def _split(code: str) -> tuple[str, str]:
    match = _SELECTOR.match(code)
    if match is None:
        return code, ""
    return match["alpha"], match["digits"]


def is_critical(rule: str, critical: Sequence[str]) -> bool:
    """Whether a finding's rule is one of the critical selectors (syntax errors always are).

    A selector matches the way ruff selects: its letters name the linter exactly (`E` is not
    `EM`), its digits are a prefix of the rule's digits; `PL` also covers pylint's `PLC`,
    `PLE`, `PLR` and `PLW`, and `ALL` covers everything.
    """
    if rule == SYNTAX_RULE:
        return True
    alpha, digits = _split(rule)
    for selector in critical:
        if selector == "ALL":
            return True
        sel_alpha, sel_digits = _split(selector)
        same_linter = alpha == sel_alpha or (
            sel_alpha == "PL" and not sel_digits and len(alpha) == 3 and alpha.startswith("PL")
        )
        if same_linter and digits.startswith(sel_digits):
            return True
    return False


class RuffLocation(msgspec.Struct, frozen=True):
    """Where a violation starts: 1-based row and column."""

    row: int
    column: int


class RuffViolation(msgspec.Struct, frozen=True):
    """One entry of `ruff check --output-format json`, the fields the gate reads.

    ruff writes every key of an entry (its JSON renderer, crates/ruff_db/src/diagnostic/render/
    json.rs): `code` is null for a syntax error before ruff 0.15, `location` is null in preview
    mode for a diagnostic without a range. `name` is written by newer versions only (not 0.15).
    """

    filename: str
    code: str | None
    location: RuffLocation | None
    message: str
    name: str | None = None


_VIOLATIONS = msgspec.json.Decoder(list[RuffViolation])


def parse_findings(stdout: str, root: Path) -> list[RuffFinding]:
    """Read `ruff check --output-format json`: a JSON array of violations."""
    try:
        violations = _VIOLATIONS.decode(stdout)
    except msgspec.ValidationError as exc:
        raise GateError(f"ruff's JSON output is not its list of violations: {exc}") from None
    except msgspec.DecodeError as exc:
        raise GateError(
            f"ruff's output is not the JSON it was asked for ({exc}): {stdout.strip()[:200]!r}"
        ) from None
    return [
        RuffFinding(
            path=relative_to_root(item.filename, root),
            line=item.location.row if item.location else None,
            column=item.location.column if item.location else None,
            rule=item.code or SYNTAX_RULE,
            name=item.name,
            message=item.message,
        )
        for item in violations
    ]


def parse_files(stdout: str) -> list[str]:
    """Read `ruff check --show-files`: one path a line."""
    return [line.strip() for line in stdout.splitlines() if line.strip()]


def parse_warnings(stderr: str) -> list[str]:
    """ruff's `warning:` messages (deprecated settings, selections without effect), one line
    each with their indented continuation lines joined on, once each, in order.

    None of them means the check could not run: ruff exits 2 when its configuration is
    unusable, and its JSON then never parses. So they are shown, never turned into an error.
    """
    warnings: list[str] = []
    for line in stderr.splitlines():
        if line.startswith("warning: "):
            warnings.append(line.removeprefix("warning: ").strip())
        elif warnings and line[:1].isspace() and line.strip():
            warnings[-1] += " " + line.strip().removeprefix("- ")
    return list(dict.fromkeys(warnings))
