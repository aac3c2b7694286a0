"""Pure parsers of what the deploy gate's tools print, tested on saved outputs.

`build --report` writes JSON; check-wheel-contents and `twine check` print text only (neither
has a machine-readable format), read here line by line; the import and migration probes the
gate runs in the target's interpreter print one JSON object a line.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal, TypeVar

import msgspec

from auditor.errors import GateError
from gates.tools import NotAReportError

_T = TypeVar("_T")


class ReportArtifact(msgspec.Struct, frozen=True):
    name: str
    path: str
    kind: Literal["sdist", "wheel"]
    size: int


class BuildReport(msgspec.Struct, frozen=True):
    """`python -m build --report PATH`: the distributions it made."""

    artifacts: tuple[ReportArtifact, ...]


def build_report(data: bytes) -> BuildReport:
    try:
        return msgspec.json.decode(data, type=BuildReport)
    except msgspec.DecodeError as exc:
        raise NotAReportError(f"`build --report` wrote no readable report: {exc}") from None


@dataclass(frozen=True)
class WheelProblem:
    """A problem check-wheel-contents or twine found in one distribution."""

    tool: Literal["check-wheel-contents", "twine"]
    distribution: str
    """The file name of the distribution."""
    code: str
    """check-wheel-contents' check (`W005`), or twine's level (`ERROR`, `WARNING`)."""
    message: str
    files: tuple[str, ...] = ()


_CWC_LINE = re.compile(r"^(?P<dist>\S.*?): (?P<code>[EW]\d{3}): (?P<message>.*)$")
_CWC_OK = re.compile(r"^\S.*?: OK$")


def check_wheel_contents(stdout: str) -> list[WheelProblem]:
    """check-wheel-contents' report: `DIST: W005: message:` then the files, indented; `DIST: OK`
    when it found nothing. A line of neither shape is not its report."""
    problems: list[WheelProblem] = []
    for line in stdout.splitlines():
        if not line.strip() or _CWC_OK.match(line):
            continue
        if line.startswith(" ") and problems:
            last = problems[-1]
            problems[-1] = WheelProblem(
                last.tool, last.distribution, last.code, last.message, (*last.files, line.strip())
            )
            continue
        match = _CWC_LINE.match(line)
        if match is None:
            raise NotAReportError(f"check-wheel-contents printed an unexpected line: {line!r:.200}")
        problems.append(
            WheelProblem(
                "check-wheel-contents",
                PurePosixPath(match["dist"]).name,
                match["code"],
                match["message"].rstrip(":"),
            )
        )
    return problems


_TWINE_CHECKING = re.compile(r"^Checking (?P<dist>.+?): (?P<verdict>PASSED|FAILED)(?P<rest>.*)$")
_TWINE_LEVEL = re.compile(r"^(?P<level>ERROR|WARNING) +(?P<message>.*)$")


def twine_check(stdout: str) -> tuple[list[WheelProblem], list[str]]:
    """`twine --no-color check --strict`'s report: each distribution's verdict line, then its
    problems (`ERROR    text`, continued on lines indented by nine spaces). The problems, and
    the distributions it passed or failed."""
    problems: list[WheelProblem] = []
    checked: list[str] = []
    dist = ""
    for raw in stdout.splitlines():
        line = raw.rstrip()
        if not line:
            continue
        checking = _TWINE_CHECKING.match(line)
        if checking:
            dist = PurePosixPath(checking["dist"]).name
            checked.append(dist)
            continue
        level = _TWINE_LEVEL.match(line)
        if level and dist:
            problems.append(WheelProblem("twine", dist, level["level"], level["message"]))
        elif line.startswith(" ") and problems:
            last = problems[-1]
            problems[-1] = WheelProblem(
                last.tool, last.distribution, last.code, f"{last.message}\n{line.strip()}"
            )
        else:
            raise NotAReportError(f"`twine check` printed an unexpected line: {line!r:.200}")
    return problems, checked


@dataclass(frozen=True)
class WheelContents:
    """What a wheel installs as importable code."""

    top_level: tuple[str, ...]
    """Its top-level packages and modules."""
    modules: frozenset[str]
    """Every module it holds, dotted (`pkg.sub.mod`; a package as `pkg.sub`)."""
    scripts: tuple[str, ...]
    """Its console scripts, from the entry points."""


_EXTENSION = re.compile(r"^(?P<stem>[A-Za-z_]\w*)(\.[\w-]+)?\.(so|pyd)$")


def _module_of(name: str) -> str | None:
    """The dotted module a wheel member holds, or None (data, metadata)."""
    parts = PurePosixPath(name).parts
    if not parts or parts[0].endswith((".dist-info", ".data")):
        return None
    last = parts[-1]
    if last.endswith(".py"):
        stem = last[:-3]
    else:
        match = _EXTENSION.match(last)
        if match is None:
            return None
        stem = match["stem"]
    dotted = [*parts[:-1], stem] if stem != "__init__" else list(parts[:-1])
    if not dotted or not all(p.isidentifier() for p in dotted):
        return None
    return ".".join(dotted)


def wheel_contents(names: Iterable[str], entry_points: str) -> WheelContents:
    """The modules among a wheel's member NAMES, and the console scripts its ENTRY_POINTS
    (`*.dist-info/entry_points.txt`, empty when it has none) declare."""
    modules = {m for m in map(_module_of, names) if m}
    top = sorted({m.split(".")[0] for m in modules})
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(entry_points)
    except configparser.Error as exc:
        raise GateError(f"the wheel's entry_points.txt cannot be read: {exc}") from None
    scripts = sorted(parser["console_scripts"]) if parser.has_section("console_scripts") else []
    # Every parent of a module is a package of the wheel (a namespace package has no file).
    packages = {".".join(m.split(".")[:i]) for m in modules for i in range(1, m.count(".") + 1)}
    return WheelContents(tuple(top), frozenset(modules | packages), tuple(scripts))


class ImportResult(msgspec.Struct, frozen=True):
    """One line of the import probe: a module and whether it imported."""

    module: str
    ok: bool
    error: str = ""


def import_results(stdout: str) -> list[ImportResult]:
    """The import probe's lines, in the order it imported the modules."""
    return [
        _line(line, ImportResult, "the import probe")
        for line in stdout.splitlines()
        if line.strip()
    ]


class ProbeEvent(msgspec.Struct, frozen=True, tag_field="event"):
    """A line of the migration probe."""


class Revisions(ProbeEvent, frozen=True, tag="revisions"):
    revisions: tuple[str, ...]
    """Base first."""
    heads: tuple[str, ...]
    files: dict[str, str]
    """Each revision's file, absolute."""


class Step(ProbeEvent, frozen=True, tag="step"):
    phase: Literal["upgrade", "downgrade", "upgrade again"]
    revision: str
    ok: bool
    error: str = ""


class DriftItem(msgspec.Struct, frozen=True):
    kind: str
    table: str
    column: str = ""


class Check(ProbeEvent, frozen=True, tag="check"):
    tables: int
    drift: tuple[DriftItem, ...]


class Failed(ProbeEvent, frozen=True, tag="failed"):
    """The probe could not go on (alembic's configuration or environment broke)."""

    error: str


MigrationEvent = Revisions | Step | Check | Failed


def migration_events(stdout: str) -> list[MigrationEvent]:
    """The migration probe's lines, in order."""
    return [
        _line(line, MigrationEvent, "the migration probe")  # type: ignore[arg-type]
        for line in stdout.splitlines()
        if line.strip()
    ]


def _line(line: str, kind: type[_T], what: str) -> _T:
    try:
        return msgspec.json.decode(line, type=kind)
    except msgspec.DecodeError:
        raise NotAReportError(f"{what} printed an unexpected line: {line!r:.200}") from None


_PLAN_LINE = re.compile(r"^\[[ X]\]  (?P<migration>\w+\.\w+)$")


def django_plan(stdout: str) -> list[str]:
    """`manage.py showmigrations --plan`: every migration (`app.0001_initial`), in the order
    `migrate` applies them."""
    plan: list[str] = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        match = _PLAN_LINE.match(line.strip())
        if match is None:
            raise NotAReportError(
                f"`showmigrations --plan` printed an unexpected line: {line!r:.200}"
            )
        plan.append(match["migration"])
    return plan


def django_apps(plan: Iterable[str]) -> list[str]:
    """The apps of a plan, each where its first migration is: the order they are built in."""
    return list(dict.fromkeys(migration.split(".", 1)[0] for migration in plan))


@dataclass(frozen=True)
class DjangoProgress:
    """A migration `migrate` started: `Applying app.0002_name...`, `OK` once it is done."""

    migration: str
    backwards: bool
    done: bool


_PROGRESS = re.compile(
    r"^\s*(?P<verb>Applying|Unapplying) (?P<migration>\w+\.\w+)\.\.\.(?P<ok> OK)?"
)


def django_progress(stdout: str) -> list[DjangoProgress]:
    """The migrations `manage.py migrate` (verbosity 1) started, in order; the one it was
    applying when it failed is the last, not done."""
    found: list[DjangoProgress] = []
    for line in stdout.splitlines():
        match = _PROGRESS.match(line)
        if match:
            found.append(
                DjangoProgress(match["migration"], match["verb"] == "Unapplying", bool(match["ok"]))
            )
    return found


_CONFLICT = re.compile(
    r"Conflicting migrations detected; multiple leaf nodes in the migration graph: "
    r"\((?P<leaves>.*)\)\."
)


def django_conflicts(stderr: str) -> dict[str, tuple[str, ...]]:
    """Django's `Conflicting migrations detected` error: each app with more than one leaf
    migration, and those leaves (`(0003_a, 0003_b in store; ...)`)."""
    match = _CONFLICT.search(stderr)
    if match is None:
        return {}
    conflicts: dict[str, tuple[str, ...]] = {}
    for part in match["leaves"].split("; "):
        names, _, app = part.rpartition(" in ")
        conflicts[app] = tuple(names.split(", "))
    return conflicts


@dataclass(frozen=True)
class DjangoChange:
    """A change `makemigrations` would write a migration for."""

    app: str
    description: str
    """As Django describes the operation: `Add field price to product`."""
    kind: str
    """The operation, snake-cased: `add_field`, `create_model`, `alter_field`, ..."""
    model: str
    """The model, lower-cased as Django labels it; empty when the description names none."""
    field: str = ""


_OPERATIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("add_field", r"^Add field (?P<field>\w+) to (?P<model>\w+)$"),
        ("remove_field", r"^Remove field (?P<field>\w+) from (?P<model>\w+)$"),
        ("alter_field", r"^Alter field (?P<field>\w+) on (?P<model>\w+)$"),
        ("rename_field", r"^Rename field (?P<field>\w+) on (?P<model>\w+) to \w+$"),
        ("create_model", r"^Create (?:proxy )?model (?P<model>\w+)$"),
        ("delete_model", r"^Delete model (?P<model>\w+)$"),
        ("rename_model", r"^Rename model (?P<model>\w+) to \w+$"),
        ("add_index", r"^Create index \w+ on .* (?:on|of) model (?P<model>\w+)$"),
        ("remove_index", r"^Remove index \w+ from (?P<model>\w+)$"),
        ("add_constraint", r"^Create constraint \w+ on model (?P<model>\w+)$"),
        ("remove_constraint", r"^Remove constraint \w+ from model (?P<model>\w+)$"),
    )
)
_HEADING = re.compile(r"^Migrations for '(?P<app>\w+)':$")
# Django 5.1+ prefixes each operation with its category (+ - ~ p s ?), earlier ones with "-".
_OPERATION = re.compile(r"^    (?:[-+~ps?] )?(?P<description>\S.*)$")


def _django_change(app: str, description: str) -> DjangoChange:
    for kind, pattern in _OPERATIONS:
        match = pattern.match(description)
        if match:
            field = match["field"] if "field" in pattern.groupindex else ""
            return DjangoChange(app, description, kind, match["model"].lower(), field)
    words = description.lower().split()
    return DjangoChange(app, description, "_".join(words[:2]), "")


def django_changes(stdout: str) -> list[DjangoChange]:
    """`manage.py makemigrations --check --dry-run --verbosity 1`: each operation of each
    migration it would write (`Migrations for 'app':`, the file, then `    + Add field ...`)."""
    changes: list[DjangoChange] = []
    app = ""
    for line in stdout.splitlines():
        heading = _HEADING.match(line)
        if heading:
            app = heading["app"]
            continue
        operation = _OPERATION.match(line)
        if operation and app:
            changes.append(_django_change(app, operation["description"].strip()))
        elif line.strip() and not (app and line.startswith("  ") and line.endswith(".py")):
            raise NotAReportError(
                f"`makemigrations --check` printed an unexpected line: {line!r:.200}"
            )
    return changes


class DjangoProject(msgspec.Struct, frozen=True):
    """What the Django probe prints: the models the settings install, and each app's
    migrations folder (absolute; apps without one left out)."""

    models: int
    folders: dict[str, str]


def django_project(stdout: str) -> DjangoProject:
    lines = stdout.strip().splitlines()
    return _line(lines[-1] if lines else "", DjangoProject, "the Django probe")


_UNMET = re.compile(r"ERROR Unmet dependencies[^\n]*\n(?P<body>(?:[ \t]+[^\n]*\n?)+)")


def unmet_build_requirements(output: str) -> tuple[str, ...]:
    """The requirements `python -m build --no-isolation` found missing from the environment
    (its "Unmet dependencies" report: each requirement, then `wanted:` and `found:` lines), each
    as `setuptools>=68 (found 65.5.0)`; empty when the build failed for another reason."""
    match = _UNMET.search(output)
    if match is None:
        return ()
    unmet: list[str] = []
    for raw in match.group("body").splitlines():
        line = raw.strip()
        if not line or line.startswith("wanted:"):
            continue
        if line.startswith("found:") and unmet:
            unmet[-1] += f" (found {line.removeprefix('found:').strip()})"
        elif not line.startswith("found:"):
            unmet.append(line)
    return tuple(unmet)
