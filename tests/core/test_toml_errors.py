"""A key or table defined twice in pyproject.toml: the error names the key and both lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import toml_errors
from tests.helpers import run_cli, write_project

TWICE = """\
[project]
name = "p"

[tool.audit.load]
start = "python app.py {port}"
# health = "/"  # a commented default, as `audit init` writes it
health = "/"
users = 2
"health" = "/ready"
"""


@pytest.mark.unit
def test_a_key_set_twice_is_named_with_its_table_and_both_lines() -> None:
    import tomllib  # noqa: PLC0415

    with pytest.raises(tomllib.TOMLDecodeError) as raised:
        tomllib.loads(TWICE)
    assert toml_errors.explain(TWICE, str(raised.value)) == (
        "`health` in [tool.audit.load] is set twice, at line 7 and at line 9; keep one of them"
    )


@pytest.mark.unit
def test_a_table_declared_twice_is_named_with_both_lines() -> None:
    text = "[tool.audit.load]\nusers = 1\n\n[tool.audit.api]\n\n[tool.audit.load]\nrate = 2\n"
    message = "Cannot declare ('tool', 'audit', 'load') twice (at line 6, column 17)"
    assert toml_errors.explain(text, message) == (
        "the table [tool.audit.load] is declared twice, at lines 1 and 6; merge them"
    )
    assert toml_errors.explain(text, "Invalid value (at line 2, column 9)") is None


def test_audit_run_says_which_key_is_twice_in_one_sentence(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"pyproject.toml": TWICE})
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out")
    assert result.code == 2
    assert result.stderr.strip().endswith(
        "`health` in [tool.audit.load] is set twice, at line 7 and at line 9; keep one of them"
    )
    assert "Traceback" not in result.stderr
