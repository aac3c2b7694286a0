"""A TOML file's duplicate key or table in words: which key, in which table, on which two lines.

tomllib says only `Cannot overwrite a value (at line 150, column 25)` for a key set twice (and
`Cannot declare ('tool', 'audit', 'load') twice (at line 9, column 19)` for a table): the second
line, never the key nor the first. The key is read from that line, the table from the header
above it, and the first definition found by reading the same table's lines before it.
"""

from __future__ import annotations

import ast
import re

_AT = re.compile(r"\(at line (?P<line>\d+), column \d+\)$")
_DECLARED = re.compile(r"^Cannot declare (?P<table>\(.*\)) twice")
_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.\-\"' ]+?)\s*=")


def _name(raw: str) -> str:
    """A header's or key's dotted name without quotes or blanks around the dots."""
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


def _table_at(lines: list[str], index: int) -> tuple[str, int]:
    """The table the line at INDEX belongs to and the index of its header (-1: the root)."""
    for at in range(index, -1, -1):
        header = _HEADER.match(lines[at])
        if header is not None:
            return _name(header.group("name")), at
    return "", -1


def _duplicate_key(lines: list[str], index: int) -> str | None:
    match = _KEY.match(lines[index])
    if match is None:
        return None
    key = _name(match.group("key"))
    table, header = _table_at(lines, index)
    first = next(
        (
            at
            for at in range(header + 1, index)
            if (found := _KEY.match(lines[at])) is not None and _name(found.group("key")) == key
        ),
        None,
    )
    where = f"`{key}` in [{table}]" if table else f"`{key}`"
    lines_said = (
        f"at line {first + 1} and at line {index + 1}"
        if first is not None
        else f"again at line {index + 1}"
    )
    return f"{where} is set twice, {lines_said}; keep one of them"


def _duplicate_table(lines: list[str], table: str) -> str:
    try:
        name = ".".join(str(part) for part in ast.literal_eval(table))
    except (ValueError, SyntaxError, TypeError):
        name = table
    found = [
        at + 1
        for at, line in enumerate(lines)
        if (header := _HEADER.match(line)) is not None and _name(header.group("name")) == name
    ]
    said = " and ".join(str(n) for n in found[:2])
    return f"the table [{name}] is declared twice{f', at lines {said}' if said else ''}; merge them"


def explain(text: str, message: str) -> str | None:
    """The duplicate tomllib's MESSAGE reports in TEXT, in words; None for other errors."""
    at = _AT.search(message)
    if at is None:
        return None
    lines = text.splitlines()
    index = int(at.group("line")) - 1
    declared = _DECLARED.match(message)
    if declared is not None:
        return _duplicate_table(lines, declared.group("table"))
    if message.startswith("Cannot overwrite a value") and 0 <= index < len(lines):
        return _duplicate_key(lines, index)
    return None
