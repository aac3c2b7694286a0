"""ruff's JSON output decoded into typed violations: real output read, damaged output refused
naming the field (never a finding without a file, never a 0)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import GateError
from gates.lint.ruff_run import SYNTAX_RULE, has_ruff_section, parse_findings

pytestmark = pytest.mark.unit

ROOT = Path("/tmp/proj")

# `ruff check --output-format json` of ruff 0.17.6 (a finding and a syntax error, fix trimmed).
RUFF_017 = """\
[
  {
    "cell": null,
    "code": "F821",
    "end_location": {"column": 14, "row": 2},
    "filename": "/tmp/proj/pkg/a.py",
    "fix": null,
    "location": {"column": 5, "row": 2},
    "message": "Undefined name `undefined`",
    "name": "undefined-name",
    "noqa_row": 2,
    "severity": "error",
    "url": "https://docs.astral.sh/ruff/rules/undefined-name"
  },
  {
    "cell": null,
    "code": "invalid-syntax",
    "end_location": {"column": 8, "row": 2},
    "filename": "/tmp/proj/bad.py",
    "fix": null,
    "location": {"column": 7, "row": 2},
    "message": "Expected a parameter or the end of the parameter list",
    "name": "invalid-syntax",
    "noqa_row": null,
    "severity": "error",
    "url": null
  }
]
"""

# ruff 0.15.6 writes no `name`; an older ruff writes a syntax error with a null code, and in
# preview mode a diagnostic without a range has a null location.
RUFF_015 = """\
[
  {
    "cell": null,
    "code": "F401",
    "end_location": {"column": 11, "row": 1},
    "filename": "/tmp/proj/a.py",
    "fix": null,
    "location": {"column": 8, "row": 1},
    "message": "`sys` imported but unused",
    "noqa_row": 1,
    "url": "https://docs.astral.sh/ruff/rules/unused-import"
  },
  {
    "cell": null,
    "code": null,
    "end_location": null,
    "filename": "/tmp/proj/b.py",
    "fix": null,
    "location": null,
    "message": "SyntaxError: Expected an expression",
    "noqa_row": null,
    "url": null
  }
]
"""


def test_real_output_is_read() -> None:
    found = parse_findings(RUFF_017, ROOT)
    assert [(f.path, f.line, f.column, f.rule, f.name) for f in found] == [
        ("pkg/a.py", 2, 5, "F821", "undefined-name"),
        ("bad.py", 2, 7, SYNTAX_RULE, "invalid-syntax"),
    ]
    older = parse_findings(RUFF_015, ROOT)
    assert [(f.path, f.line, f.column, f.rule, f.name) for f in older] == [
        ("a.py", 1, 8, "F401", None),
        ("b.py", None, None, SYNTAX_RULE, None),
    ]
    assert parse_findings("[]", ROOT) == []


def damaged(change: Any) -> str:
    entries = json.loads(RUFF_017)
    change(entries[0])
    return json.dumps(entries)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda e: e.pop("filename"), "missing required field `filename` - at `$[0]`"),
        (lambda e: e.update(filename=None), "got `null` - at `$[0].filename`"),
        (lambda e: e.pop("message"), "missing required field `message`"),
        (lambda e: e.pop("code"), "missing required field `code`"),
        (lambda e: e["location"].pop("row"), "`row` - at `$[0].location`"),
        (lambda e: e["location"].update(row="2"), "got `str` - at `$[0].location.row`"),
    ],
)
def test_a_damaged_violation_is_an_error_naming_the_field(change: Any, named: str) -> None:
    with pytest.raises(GateError, match="ruff's JSON output is not its list of violations") as err:
        parse_findings(damaged(change), ROOT)
    assert named in str(err.value)


def test_output_that_is_not_json_is_an_error() -> None:
    with pytest.raises(GateError, match="not the JSON it was asked for"):
        parse_findings("<<< not json >>>", ROOT)
    with pytest.raises(GateError, match=r"Expected `array`, got `object`"):
        parse_findings('{"violations": []}', ROOT)


@pytest.mark.parametrize(
    ("text", "configures"),
    [
        ('[tool.ruff.lint]\nselect = ["E"]\n', True),
        ('[project]\nname = "p"\n[tool.black]\nline-length = 80\n', False),
        ("[tool]\nruff = 3\n", True),  # not a table: ruff reports it
        ("[tool.ruff\n", True),  # unreadable: ruff reports it
    ],
)
def test_a_pyproject_configures_ruff_with_a_tool_ruff_table(
    tmp_path: Path, text: str, configures: bool
) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    assert has_ruff_section(tmp_path / "pyproject.toml") is configures
