"""`[tool.audit] exclude`: globs of vendored or generated code that no gate judges.

A glob without `/` matches a file or directory name anywhere (`_vendor`, `*_pb2.py`); one with
`/` matches a path relative to the target root (`src/pkg/_generated/*`), as ruff's `exclude`
reads them. A file is excluded when its path, or the path of a directory above it, matches.
Each gate hands the globs to its tool in the tool's own terms (ruff `--extend-exclude`, a mypy
`--exclude` regex, bandit's file list, coverage's omitted files) and counts what was left out.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from auditor.errors import ConfigError
from auditor.model import ExcludedFiles

PYTHON_SUFFIXES = (".py", ".pyi")
TEST_GLOBS = ("tests", "test", "testing", "test_*.py", "*_test.py", "conftest.py")
"""Test code, which bandit and the type gate leave out by default."""
_NOT_SOURCE_DIRS = ("site-packages", "node_modules", "__pycache__")


def check_globs(globs: Sequence[str], where: str) -> tuple[str, ...]:
    """The globs, each relative to the target root and inside it; ConfigError otherwise."""
    for glob in globs:
        posix = PurePosixPath(glob.replace("\\", "/"))
        if not glob.strip():
            raise ConfigError(f"an empty glob in {where} matches nothing; remove it")
        if posix.is_absolute() or ".." in posix.parts or re.match(r"^[A-Za-z]:", glob):
            raise ConfigError(
                f"`{glob}` in {where} must be a glob relative to the target root, inside it "
                "(like `vendor` or `src/pkg/_generated/*`)"
            )
    return tuple(glob.replace("\\", "/").strip("/") for glob in globs)


def _glob_regex(glob: str, name_only: bool) -> str:
    """A regex for one glob: `*` and `?` stay within one path segment for a name glob and may
    cross `/` for a path glob, as `fnmatch` matches them."""
    star, one = ("[^/]*", "[^/]") if name_only else (".*", ".")
    out, i = "", 0
    while i < len(glob):
        char = glob[i]
        if char == "*":
            out += star
        elif char == "?":
            out += one
        elif char == "[" and (end := glob.find("]", i + 2)) != -1:
            body = glob[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out += "[" + body.replace("\\", "\\\\") + "]"
            i = end
        else:
            out += re.escape(char)
        i += 1
    return out


@dataclass(frozen=True)
class Exclusion:
    """The globs of `[tool.audit] exclude`, as each tool is told them."""

    globs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.globs)

    def _matches(self, rel: PurePosixPath) -> bool:
        for glob in self.globs:
            if "/" in glob:
                if fnmatch.fnmatchcase(rel.as_posix(), glob):
                    return True
            elif fnmatch.fnmatchcase(rel.name, glob):
                return True
        return False

    def excludes(self, path: str) -> bool:
        """Whether PATH (relative to the root, forward slashes) or a directory above it matches."""
        rel = PurePosixPath(path.removeprefix("./"))
        return any(self._matches(p) for p in (rel, *list(rel.parents)[:-1]))

    def ruff_args(self) -> list[str]:
        """ruff's `--extend-exclude`, added to the project's own excludes."""
        return [arg for glob in self.globs for arg in ("--extend-exclude", glob)]

    def mypy_regex(self) -> str:
        """One `--exclude` regex: mypy matches it against each path it discovers, relative to
        the working directory, with a `/` after directories."""
        parts = [
            ("^" if "/" in glob else "(^|/)") + _glob_regex(glob, "/" not in glob) + "/?$"
            for glob in self.globs
        ]
        return "|".join(f"(?:{part})" for part in parts)

    def python_files(self, root: Path, under: Sequence[str] = (".",)) -> list[str]:
        """The Python files the globs exclude in the directories (or files) UNDER the root, not
        counting hidden directories, virtual environments and installed packages."""
        found: set[str] = set()
        for start in under:
            top = root / start
            if top.is_file():
                found.update([start] if self.excludes(start) else [])
                continue
            for current, dirs, names in os.walk(top):
                base = Path(current).relative_to(root).as_posix()
                dirs[:] = [
                    d for d in dirs
                    if not d.startswith(".") and d not in _NOT_SOURCE_DIRS
                    and not (Path(current) / d / "pyvenv.cfg").exists()
                ]
                for name in names:
                    rel = name if base == "." else f"{base}/{name}"
                    if name.endswith(PYTHON_SUFFIXES) and self.excludes(rel):
                        found.add(rel)
        return sorted(found)

    def record(self, files: Iterable[str]) -> ExcludedFiles:
        """What a gate reports: the globs and how many files they left out."""
        return ExcludedFiles(globs=self.globs, files=len(list(files)))


def excluded_files(exclusion: Exclusion, files: Iterable[str]) -> ExcludedFiles | None:
    """The `exclusion` of a gate's details, or None when no glob is configured."""
    return exclusion.record(files) if exclusion else None


def without(paths: Sequence[str], exclusion: Exclusion) -> list[str]:
    """PATHS the exclusion leaves in."""
    return [p for p in paths if not exclusion.excludes(p)]


NOTHING = Exclusion()
"""No glob: every file is judged."""
