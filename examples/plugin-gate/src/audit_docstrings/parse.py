"""Pure readers of ruff's machine-readable output: its JSON findings and its file listing."""

from __future__ import annotations

from pathlib import Path

import msgspec


class Location(msgspec.Struct, frozen=True):
    row: int
    column: int


class RuffFinding(msgspec.Struct, frozen=True):
    """The fields of one entry of `ruff check --output-format json` the gate reads."""

    code: str
    message: str
    filename: str
    location: Location


def findings(json_text: str) -> list[RuffFinding]:
    """ruff's JSON report; raises msgspec.DecodeError or ValidationError when it is not one."""
    return msgspec.json.decode(json_text, type=list[RuffFinding])


PYTHON_SUFFIXES = (".py", ".pyi")


def checked_files(show_files_output: str) -> list[str]:
    """The Python files `ruff check --show-files` lists (one absolute path per line; it also
    lists pyproject.toml, which holds no docstrings)."""
    lines = (line.strip() for line in show_files_output.splitlines())
    return [line for line in lines if line.endswith(PYTHON_SUFFIXES)]


def relative(path: str, root: Path) -> str:
    """PATH relative to ROOT with forward slashes (as the scorecard writes paths)."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()
