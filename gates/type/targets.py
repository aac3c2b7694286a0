"""What the type gate checks when neither the project's mypy configuration nor the `targets`
option says: the project's importable packages, not its tests, scripts or docs.

Checking the whole root judges test suites a project's own CI never type-checks (on one real
library, most of 1,854 errors were in its tests). The packages are found, in this order, from
the build backend's metadata in pyproject.toml, the `src/` layout, or the packages and modules
at the root; test code inside them is excluded with the globs bandit leaves out.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from auditor.exclude import TEST_GLOBS, Exclusion

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


def _table(data: object, *keys: str) -> object:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _metadata_packages(pyproject: dict[str, object]) -> Iterator[tuple[str, str]]:
    """(path relative to the root, the table that names it) for packages a build backend lists."""
    setuptools = _table(pyproject, "tool", "setuptools")
    packages = _table(setuptools, "packages")
    package_dir = _table(setuptools, "package-dir")
    base = package_dir.get("", "") if isinstance(package_dir, dict) else ""
    if isinstance(packages, list):
        for name in packages:
            if isinstance(name, str) and "." not in name:
                yield f"{base}/{name}".strip("/"), "[tool.setuptools] packages"
    hatch = _table(pyproject, "tool", "hatch", "build", "targets", "wheel", "packages")
    for path in hatch if isinstance(hatch, list) else []:
        if isinstance(path, str):
            yield path.strip("/"), "[tool.hatch.build.targets.wheel] packages"
    poetry = _table(pyproject, "tool", "poetry", "packages")
    for item in poetry if isinstance(poetry, list) else []:
        if isinstance(item, dict) and isinstance(item.get("include"), str):
            source = item.get("from")
            prefix = f"{source}/" if isinstance(source, str) else ""
            yield f"{prefix}{item['include']}".strip("/"), "[tool.poetry] packages"
    flit = _table(pyproject, "tool", "flit", "module", "name")
    if isinstance(flit, str):
        yield flit.replace(".", "/"), "[tool.flit.module] name"


def _from_metadata(root: Path) -> DefaultTargets | None:
    try:
        pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    found: dict[str, str] = {}
    for rel, table in _metadata_packages(pyproject):
        for candidate in (rel, f"{rel}.py"):
            if "*" not in candidate and (root / candidate).exists() and candidate not in found:
                found[candidate] = table
                break
    if not found:
        return None
    tables = ", ".join(dict.fromkeys(found.values()))
    return DefaultTargets(tuple(found), f"the packages pyproject.toml names in {tables}")


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
