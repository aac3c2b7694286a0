"""The [tool.audit] section `audit init` writes, and how it is added to an existing file."""

from __future__ import annotations

import tomllib

import pytest

from auditor import init_section
from auditor.errors import ConfigError
from auditor.registry import gates
from tests.e2e.uncomment import uncommented

pytestmark = pytest.mark.unit

SECTION = init_section.render()


def test_the_section_sets_every_default_and_shows_the_rest_commented() -> None:
    # Every default is written as a comment; uncommented, each reads as the gate declares it.
    assert "gates" not in tomllib.loads(SECTION)["tool"]["audit"]
    audit = tomllib.loads(uncommented(SECTION))["tool"]["audit"]
    assert audit["gates"] == list(gates())
    for gate in gates().values():
        for spec in gate.conditions:
            assert audit[gate.id][spec.id] == spec.default
        for option in gate.options:
            if option.default is None:
                assert option.name not in audit[gate.id]
                assert f"# {option.name} = ...  # {option.help}" in SECTION
    assert "line_coverage = 80  # >= " in SECTION
    assert '# out = "audit-report"            # where reports go' in SECTION


@pytest.mark.parametrize(("existing", "separator"), [
    ("", ""),
    ('[project]\nname = "p"\n', "\n"),
    ('[project]\nname = "p"', "\n\n"),
    ('[project]\nname = "p"\n\n\n', ""),
    ("# only a comment mentioning [tool.audit]\n", "\n"),
    ("[tool]\nx = 1  # kept\n\n[tool.ruff]\ny = 2\n\n[other]\nz = 3\n", "\n"),
    ("[tool.ruff]\na = 1\n\n[project]\nname = 'p'\n\n[tool.mypy]\nb = 2", "\n\n"),
    ('[project]\r\nname = "p"  # CRLF\r\n', "\r\n"),
])
def test_the_section_follows_every_byte_of_the_file(existing: str, separator: str) -> None:
    newline = "\r\n" if "\r\n" in existing else "\n"
    result = init_section.add_to(existing.encode(), "pyproject.toml").decode()
    assert result == existing + separator + SECTION.replace("\n", newline)
    loaded = tomllib.loads(result)
    assert loaded["tool"].pop("audit") == tomllib.loads(SECTION)["tool"]["audit"]
    if not loaded["tool"]:
        del loaded["tool"]
    assert loaded == tomllib.loads(existing)


@pytest.mark.parametrize(("existing", "message"), [
    (b"[tool.audit]\n", "already has a [tool.audit] section"),
    (b"[tool.audit.coverage]\nline_coverage = 90\n", "already has a [tool.audit] section"),
    (b"[tool]\naudit.gates = []\n", "already has a [tool.audit] section"),
    (b"tool = { ruff = { line-length = 100 } }\n", "defines `tool` as something other"),
    (b"[[tool]]\nx = 1\n", "defines `tool` as something other"),
    (b"[project\n", "is not valid TOML"),
    (b"name = '\xff'\n", "is not UTF-8 text"),
])
def test_a_file_the_section_cannot_join_is_refused(existing: bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^pyproject\.toml ") as raised:
        init_section.add_to(existing, "pyproject.toml")
    assert message in str(raised.value)
