"""`audit init` into a project's existing pyproject.toml: the user's file is kept byte for byte."""

from __future__ import annotations

import tomllib
from pathlib import Path

from auditor import init_section
from auditor.registry import gates
from tests.e2e.uncomment import uncommented
from tests.helpers import run_cli

# Comments, odd spacing, a multi-line array, nested and out-of-order tool tables, and no final
# newline: everything a careless rewrite of the file would change.
ORIGINAL = """\
# The project's own notes.
[build-system]
requires = ["setuptools>=68"]   # aligned comment
build-backend = 'setuptools.build_meta'

[tool.ruff]
line-length   =   100

# between tables
[tool.ruff.lint]
select = ['E', "F"]

[project]
name = "p"
dependencies = [
    "requests",  # HTTP
]

[tool.mypy]
strict = true
# trailing comment, no final newline"""


def test_init_keeps_the_users_file_byte_for_byte_and_adds_the_defaults(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(ORIGINAL.encode())
    result = run_cli("init", tmp_path)
    assert result.code == 0, result.stderr
    section = run_cli("init", "--stdout").stdout
    assert section == init_section.render()
    written = pyproject.read_bytes().decode()
    assert written == ORIGINAL + "\n\n" + section
    loaded = tomllib.loads(written)
    before = tomllib.loads(ORIGINAL)
    assert loaded["tool"].pop("audit") == tomllib.loads(section)["tool"]["audit"]
    assert loaded == before
    # Every default is written as a comment; uncommented, each reads as the gate declares it.
    audit = tomllib.loads(uncommented(written))["tool"]["audit"]
    assert audit["gates"] == list(gates())
    for gate in gates().values():
        assert audit[gate.id]["timeout"] == gate.default_timeout
        for spec in gate.conditions:
            assert audit[gate.id][spec.id] == spec.default
    again = run_cli("init", tmp_path)
    assert again.code == 2
    assert "already has a [tool.audit] section" in again.stderr
    assert pyproject.read_bytes().decode() == written
