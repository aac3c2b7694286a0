"""The versions of a tool a project pins: in its pre-commit configuration, requirements files,
lock files and pyproject dependency groups or extras.

When the tool that runs does not satisfy a pin, the audit's figures may differ from the
project's own (ruff's default rules and mypy's checks change between versions), so the report
says so with both versions. Every file is read with its real parser; an unreadable file pins
nothing (the audit is not the place to judge it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import msgspec
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor.toolinfo import Pin

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock")
REQUIREMENT_GLOBS = ("requirements*.txt", "requirements/*.txt")

# pre-commit hook repositories whose `rev` is the version of the tool they run.
PRE_COMMIT_REPOS = {
    "astral-sh/ruff-pre-commit": "ruff",
    "charliermarsh/ruff-pre-commit": "ruff",
    "pre-commit/mirrors-mypy": "mypy",
    "pycqa/bandit": "bandit",
}


_T = TypeVar("_T")


class _PreCommitRepo(msgspec.Struct, frozen=True):
    """A hook repository of a pre-commit configuration; `local` and `meta` ones have no `rev`
    (https://pre-commit.com/#pre-commit-configyaml---repos)."""

    repo: str
    rev: str | None = None


class _PreCommitConfig(msgspec.Struct, frozen=True):
    repos: tuple[_PreCommitRepo, ...]


class _LockedPackage(msgspec.Struct, frozen=True):
    """A `[[package]]` of uv.lock, poetry.lock or pdm.lock; uv writes no version for a package
    whose version is dynamic."""

    name: str
    version: str | None = None


class _LockFile(msgspec.Struct, frozen=True):
    package: tuple[_LockedPackage, ...] = ()


class _IncludeGroup(msgspec.Struct, frozen=True):
    """A dependency group's `{include-group = "..."}` entry (PEP 735)."""

    include_group: str = msgspec.field(name="include-group")


class _Project(msgspec.Struct, frozen=True):
    dependencies: tuple[str, ...] = ()
    optional_dependencies: dict[str, tuple[str, ...]] = msgspec.field(
        default_factory=dict, name="optional-dependencies"
    )


class _DevDependencies(msgspec.Struct, frozen=True):
    """`[tool.pdm]`: dev dependencies by group."""

    dev_dependencies: dict[str, tuple[str, ...]] = msgspec.field(
        default_factory=dict, name="dev-dependencies"
    )


class _UvTable(msgspec.Struct, frozen=True):
    dev_dependencies: tuple[str, ...] = msgspec.field(default=(), name="dev-dependencies")


class _Tools(msgspec.Struct, frozen=True):
    pdm: _DevDependencies | None = None
    uv: _UvTable | None = None


class _Pyproject(msgspec.Struct, frozen=True):
    """The dependency lists of a pyproject.toml (PEP 621, PEP 735, pdm's and uv's tables); a
    list or table left out lists nothing."""

    project: _Project | None = None
    dependency_groups: dict[str, tuple[str | _IncludeGroup, ...]] = msgspec.field(
        default_factory=dict, name="dependency-groups"
    )
    tool: _Tools | None = None


def _read_toml(path: Path, into: type[_T]) -> _T | None:
    """A TOML file read into INTO; None when it is missing, unreadable or not of that type."""
    try:
        return msgspec.toml.decode(path.read_text(encoding="utf-8"), type=into)
    except (OSError, UnicodeDecodeError, msgspec.DecodeError):
        return None


def _from_requirement(text: str, tool: str, where: str) -> Pin | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    if canonicalize_name(req.name) != tool or not str(req.specifier):
        return None
    return Pin(spec=str(req.specifier), where=where)


def _pre_commit(root: Path, tool: str) -> Iterator[Pin]:
    path = root / PRE_COMMIT_CONFIG
    try:
        config = msgspec.convert(
            yaml.safe_load(path.read_text(encoding="utf-8")), _PreCommitConfig
        )
    except (OSError, UnicodeDecodeError, yaml.YAMLError, msgspec.ValidationError):
        return
    for repo in config.repos:
        slug = "/".join(repo.repo.rstrip("/").removesuffix(".git").split("/")[-2:]).lower()
        if PRE_COMMIT_REPOS.get(slug) != tool or repo.rev is None:
            continue
        try:
            version = Version(repo.rev.removeprefix("v"))
        except InvalidVersion:
            continue
        yield Pin(spec=f"=={version}", where=f"{PRE_COMMIT_CONFIG} ({repo.repo} rev {repo.rev})")


def _logical_lines(text: str) -> Iterator[str]:
    """Requirement lines: continuations joined, comments and options (`-r`, `--hash`) cut."""
    pending = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if line and not line.startswith("-"):
            yield line.split(" --", 1)[0].split(" -", 1)[0].strip()


def _requirements(root: Path, tool: str) -> Iterator[Pin]:
    paths = sorted({p for pattern in REQUIREMENT_GLOBS for p in root.glob(pattern)})
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        where = path.relative_to(root).as_posix()
        for line in _logical_lines(text):
            pin = _from_requirement(line, tool, where)
            if pin is not None:
                yield pin


def _lock_files(root: Path, tool: str) -> Iterator[Pin]:
    for name in LOCK_FILES:
        lock = _read_toml(root / name, _LockFile)
        for package in lock.package if lock else ():
            if canonicalize_name(package.name) != tool or package.version is None:
                continue
            try:
                yield Pin(spec=f"=={Version(package.version)}", where=name)
            except InvalidVersion:
                continue


_Entries = Sequence[str | _IncludeGroup]


def _groups(title: str, table: Mapping[str, _Entries]) -> Iterator[tuple[str, _Entries]]:
    for group, items in table.items():
        yield f"{title} {group}", items


def _requirement_tables(pyproject: _Pyproject) -> Iterator[tuple[str, _Entries]]:
    """(table name, its entries) for each dependency list of a pyproject."""
    project, tool = pyproject.project, pyproject.tool
    if project is not None:
        yield "[project.dependencies]", project.dependencies
    yield from _groups("[dependency-groups]", pyproject.dependency_groups)
    if project is not None:
        yield from _groups("[project.optional-dependencies]", project.optional_dependencies)
    if tool is not None and tool.pdm is not None:
        yield from _groups("[tool.pdm.dev-dependencies]", tool.pdm.dev_dependencies)
    if tool is not None and tool.uv is not None:
        yield "[tool.uv] dev-dependencies", tool.uv.dev_dependencies


def _pyproject(root: Path, tool: str) -> Iterator[Pin]:
    pyproject = _read_toml(root / "pyproject.toml", _Pyproject)
    if pyproject is None:
        return
    for table, items in _requirement_tables(pyproject):
        for item in items:
            # A dependency group may include another group ({include-group = "..."}): skipped.
            if isinstance(item, str):
                pin = _from_requirement(item, tool, f"pyproject.toml {table}")
                if pin is not None:
                    yield pin


def project_pins(root: Path, tool: str) -> list[Pin]:
    """Every pin of the distribution TOOL (`ruff`, `mypy`, `bandit`) the project states."""
    name = canonicalize_name(tool)
    found: Iterable[Pin] = (
        *_pre_commit(root, name),
        *_requirements(root, name),
        *_lock_files(root, name),
        *_pyproject(root, name),
    )
    return list(dict.fromkeys(found))
