"""The versions of a tool a project pins: in its pre-commit configuration, requirements files,
lock files and pyproject dependency groups or extras.

When the tool that runs does not satisfy a pin, the audit's figures may differ from the
project's own (ruff's default rules and mypy's checks change between versions), so the report
says so with both versions. Every file is read with its real parser; an unreadable file pins
nothing (the audit is not the place to judge it).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path

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


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


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
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return
    repos = data.get("repos") if isinstance(data, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        if not isinstance(repo, dict):
            continue
        url, rev = str(repo.get("repo", "")), str(repo.get("rev", ""))
        slug = "/".join(url.rstrip("/").removesuffix(".git").split("/")[-2:]).lower()
        if PRE_COMMIT_REPOS.get(slug) != tool:
            continue
        try:
            version = Version(rev.removeprefix("v"))
        except InvalidVersion:
            continue
        yield Pin(spec=f"=={version}", where=f"{PRE_COMMIT_CONFIG} ({url} rev {rev})")


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
        packages = _read_toml(root / name).get("package")
        for package in packages if isinstance(packages, list) else []:
            if not isinstance(package, dict):
                continue
            if canonicalize_name(str(package.get("name", ""))) != tool:
                continue
            try:
                yield Pin(spec=f"=={Version(str(package.get('version', '')))}", where=name)
            except InvalidVersion:
                continue


def _requirement_tables(pyproject: dict[str, object]) -> Iterator[tuple[str, object]]:
    """(table name, list of requirement strings) for each dependency list of a pyproject."""
    project = pyproject.get("project")
    tool = pyproject.get("tool")
    tables: list[tuple[str, object]] = [
        ("[dependency-groups]", pyproject.get("dependency-groups")),
        ("[project.optional-dependencies]",
         project.get("optional-dependencies") if isinstance(project, dict) else None),
        ("[tool.pdm.dev-dependencies]",
         tool.get("pdm", {}).get("dev-dependencies") if isinstance(tool, dict)
         and isinstance(tool.get("pdm"), dict) else None),
    ]
    if isinstance(project, dict):
        yield "[project.dependencies]", project.get("dependencies")
    for title, table in tables:
        if isinstance(table, dict):
            for group, items in table.items():
                yield f"{title} {group}", items
    if isinstance(tool, dict) and isinstance(tool.get("uv"), dict):
        yield "[tool.uv] dev-dependencies", tool["uv"].get("dev-dependencies")


def _pyproject(root: Path, tool: str) -> Iterator[Pin]:
    for table, items in _requirement_tables(_read_toml(root / "pyproject.toml")):
        for item in items if isinstance(items, list) else []:
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
