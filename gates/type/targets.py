"""What the type gate checks when neither the project's mypy configuration nor the `targets`
option says: the project's importable packages, not its tests, scripts or docs.

Checking the whole root judges test suites a project's own CI never type-checks (on one real
library, most of 1,854 errors were in its tests). The packages are found, in this order, from
the build backend's metadata in pyproject.toml, the `src/` layout, or the packages and modules
at the root; test code inside them is excluded with the globs bandit leaves out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.exclude import TEST_GLOBS, Exclusion
from gates.type.build_tables import BuildTables

# Python files at the root that are tooling, not an importable module of the project.
NOT_MODULES = frozenset({"setup.py", "noxfile.py", "fabfile.py", "tasks.py", "manage.py"})
# Directories at the root that hold no package of the project's own.
NOT_PACKAGES = frozenset({"build", "dist", "docs", "doc", "examples", "benchmarks", "scripts"})
TESTS = Exclusion(TEST_GLOBS)


@dataclass(frozen=True)
class DefaultTargets:
    """The paths mypy checks and why those."""

    paths: tuple[str, ...]
    """Relative to the root; empty: the whole root."""
    why: str


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").exists()


def _modules_in(directory: Path, root: Path, *, namespaces: bool) -> list[str]:
    """Packages (directories with `__init__.py`, or any Python inside with NAMESPACES) and
    modules directly in DIRECTORY, relative to ROOT, tests and tooling left out."""
    found: list[str] = []
    for entry in sorted(directory.iterdir()):
        name = entry.name
        if name.startswith(".") or name == "__pycache__" or TESTS.excludes(name):
            continue
        if entry.is_dir():
            if name in NOT_PACKAGES or name.endswith(".egg-info") or _is_venv(entry):
                continue
            is_package = (entry / "__init__.py").is_file() or (
                namespaces and any(entry.rglob("*.py"))
            )
            if is_package and name.isidentifier():
                found.append(entry.relative_to(root).as_posix())
        elif entry.suffix in (".py", ".pyi") and entry.stem.isidentifier() and (
            name not in NOT_MODULES
        ):
            found.append(entry.relative_to(root).as_posix())
    return found


def _metadata_packages(tables: BuildTables) -> Iterator[tuple[str, str]]:
    """(path relative to the root, the table that names it) for packages a build backend lists."""
    tool = tables.tool
    if tool is None:
        return
    if tool.setuptools is not None:
        base = tool.setuptools.root_dir()
        for name in tool.setuptools.listed():
            if "." not in name:
                yield f"{base}/{name}".strip("/"), "[tool.setuptools] packages"
    for path in tool.hatch_wheel_packages():
        yield path.strip("/"), "[tool.hatch.build.targets.wheel] packages"
    for item in tool.poetry.packages if tool.poetry else ():
        prefix = f"{item.source}/" if item.source is not None else ""
        yield f"{prefix}{item.include}".strip("/"), "[tool.poetry] packages"
    if tool.flit is not None and tool.flit.module is not None:
        yield tool.flit.module.name.replace(".", "/"), "[tool.flit.module] name"


def _build_tables(root: Path) -> BuildTables | None:
    """The build backends' tables of the root's pyproject.toml; None when there is no readable
    one. GateError when a table the backends read is not of their type."""
    path = root / "pyproject.toml"
    try:
        return msgspec.toml.decode(path.read_text(encoding="utf-8"), type=BuildTables)
    except msgspec.ValidationError as exc:
        raise GateError(
            f"pyproject.toml does not hold the build tables as their backends read them: {exc}"
        ) from None
    except (OSError, UnicodeDecodeError, msgspec.DecodeError):
        return None


def _from_metadata(root: Path) -> DefaultTargets | None:
    tables = _build_tables(root)
    if tables is None:
        return None
    found: dict[str, str] = {}
    for rel, table in _metadata_packages(tables):
        for candidate in (rel, f"{rel}.py"):
            if "*" not in candidate and (root / candidate).exists() and candidate not in found:
                found[candidate] = table
                break
    if not found:
        return None
    tables_named = ", ".join(dict.fromkeys(found.values()))
    return DefaultTargets(tuple(found), f"the packages pyproject.toml names in {tables_named}")


def default_targets(root: Path) -> DefaultTargets:
    """The project's importable packages, for a project whose mypy configuration names none."""
    metadata = _from_metadata(root)
    if metadata is not None:
        return metadata
    src = root / "src"
    if src.is_dir() and not (src / "__init__.py").exists():
        found = _modules_in(src, root, namespaces=True)
        if found:
            return DefaultTargets(tuple(found), "the packages of the src/ layout")
    found = _modules_in(root, root, namespaces=False)
    if found:
        return DefaultTargets(tuple(found), "the packages and modules at the root")
    return DefaultTargets((), "the whole root: no package or module was found at it")
