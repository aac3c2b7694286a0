"""mypy's outputs read typed: `-O json` lines decoded into a Struct, its text reports into
rows whose counts are checked, its configuration and the build tables into Structs. Damaged
input is an error naming the field, never a 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import GateError
from gates.type import mypy_run
from gates.type.mypy_config import find_config, targets_of
from gates.type.targets import default_targets
from tests.helpers import write_project

pytestmark = pytest.mark.unit

ROOT = Path("/tmp/proj")

# `mypy -O json` of mypy 2.4.1: an error with a hint, a note on another line, a note that
# follows an error on its line, and a blocking syntax error.
MYPY_JSON = """\
{"file": "h.py", "line": 1, "column": 0, "end_line": 1, "end_column": 1, "message": "Cannot find implementation or library stub for module named \\"nonexistent_mod\\"", "hint": "See https://mypy.readthedocs.io/en/stable/running_mypy.html#missing-imports", "code": "import-not-found", "severity": "error"}
{"file": "m.py", "line": 2, "column": 2, "end_line": 2, "end_column": 12, "message": "By default the bodies of untyped functions are not checked, consider using --check-untyped-defs", "hint": null, "code": "annotation-unchecked", "severity": "note"}
{"file": "m.py", "line": 4, "column": 9, "end_line": 4, "end_column": 12, "message": "Incompatible types in assignment", "hint": null, "code": "assignment", "severity": "error"}
{"file": "m.py", "line": 4, "column": 12, "end_line": 4, "end_column": 13, "message": "Revealed type is \\"int\\"", "hint": null, "code": "misc", "severity": "note"}
{"file": "/tmp/proj/syn/bad.py", "line": 1, "column": 7, "end_line": 1, "end_column": 8, "message": "Expected a parameter", "hint": null, "code": null, "severity": "error"}
"""  # noqa: E501 - mypy's lines as it prints them

# mypy 1.19 writes no end_line and end_column.
MYPY_119 = """\
{"file": "a.py", "line": 2, "column": 4, "message": "Name \\"undefined\\" is not defined", "hint": null, "code": "name-defined", "severity": "error"}
"""  # noqa: E501

ANY_REPORT = """\
 Name   Anys   Exprs   Coverage
-------------------------------
    m      0       1    100.00%
   pk      3       4     25.00%
-------------------------------
Total      3       5     40.00%
"""

LINE_REPORT = """\
Name  Lines  Precise  Imprecise  Any  Empty  Unanalyzed
-------------------------------------------------------
m         4        2          0    2      0           0
pk       10        2          0    4      4           0
"""


def test_real_messages_are_read() -> None:
    messages = mypy_run.parse_messages(MYPY_JSON, ROOT)
    assert [(m.path, m.line, m.column, m.code, m.severity) for m in messages] == [
        ("h.py", 1, 0, "import-not-found", "error"),
        ("m.py", 2, 2, "annotation-unchecked", "note"),
        ("m.py", 4, 9, "assignment", "error"),
        ("syn/bad.py", 1, 7, mypy_run.NO_CODE, "error"),
    ]
    assert messages[0].hint == "See https://mypy.readthedocs.io/en/stable/running_mypy.html#missing-imports"
    assert messages[1].hint is None
    assert messages[2].notes == ['Revealed type is "int"']
    [older] = mypy_run.parse_messages(MYPY_119, ROOT)
    assert (older.path, older.line, older.code) == ("a.py", 2, "name-defined")


def damaged(change: Any) -> str:
    line = json.loads(MYPY_119)
    change(line)
    return json.dumps(line)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda m: m.pop("severity"), "missing required field `severity`"),
        (lambda m: m.update(severity="fatal"), "Invalid enum value 'fatal' - at `$.severity`"),
        (lambda m: m.update(line="2"), "Expected `int`, got `str` - at `$.line`"),
        (lambda m: m.pop("file"), "missing required field `file`"),
        (lambda m: m.pop("code"), "missing required field `code`"),
    ],
)
def test_a_damaged_message_is_an_error_naming_the_field(change: Any, named: str) -> None:
    with pytest.raises(GateError, match="not one of its messages") as err:
        mypy_run.parse_messages(damaged(change), ROOT)
    assert named in str(err.value)


def test_the_text_reports_are_read_into_typed_rows() -> None:
    modules, total = mypy_run.parse_any_report(ANY_REPORT)
    assert [(m.module, m.any, m.total) for m in modules] == [("m", 0, 1), ("pk", 3, 4)]
    assert (total.module, total.any, total.total) == ("Total", 3, 5)
    rows = mypy_run.parse_line_rows(LINE_REPORT)
    assert [(r.module, r.lines, r.precise, r.any, r.empty) for r in rows] == [
        ("m", 4, 2, 2, 0), ("pk", 10, 2, 4, 4),
    ]


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (ANY_REPORT.replace("Anys", "Any"), "no header and rule"),
        (ANY_REPORT.replace("      3       4", "      x       4"), "row of an unknown shape"),
        (ANY_REPORT.replace("Total      3", "Total      4"), "not the sum of its rows"),
    ],
)
def test_a_damaged_any_exprs_report_is_an_error(report: str, message: str) -> None:
    with pytest.raises(GateError, match=message):
        mypy_run.parse_any_report(report)


def test_a_line_precision_row_must_add_up() -> None:
    with pytest.raises(GateError, match="not the sum of its counts"):
        mypy_run.parse_line_rows(LINE_REPORT.replace("pk       10", "pk       11"))
    with pytest.raises(GateError, match="no header"):
        mypy_run.parse_line_rows(LINE_REPORT.replace("Unanalyzed", "Dead"))


@pytest.mark.parametrize(
    ("files", "sets_targets"),
    [
        ({"pyproject.toml": '[tool.mypy]\nfiles = ["app"]\n'}, True),
        ({"pyproject.toml": '[tool.mypy]\npackages = "app"\n'}, True),
        ({"pyproject.toml": "[tool.mypy]\nstrict = true\nfiles = []\n"}, False),
        ({"mypy.ini": "[mypy]\nfiles = app, lib\n"}, True),
        ({"setup.cfg": "[mypy]\nstrict = True\n"}, False),
        ({"mypy.ini": "[mypy\n"}, False),  # unreadable: mypy reports it
    ],
)
def test_what_the_configuration_names_to_check(
    tmp_path: Path, files: dict[str, str], sets_targets: bool
) -> None:
    config = find_config(write_project(tmp_path, files))
    assert config.path is not None
    assert config.sets_targets is sets_targets


def test_a_mypy_option_of_the_wrong_type_is_an_error_naming_it(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"pyproject.toml": "[tool.mypy]\nfiles = 3\n"})
    with pytest.raises(GateError, match=r"got `int` - at `\$\.tool\.mypy\.files`"):
        targets_of(root / "pyproject.toml")


@pytest.mark.parametrize(
    ("pyproject", "field"),
    [
        ('[tool.hatch.build.targets.wheel]\npackages = "src/app"\n',
         "$.tool.hatch.build.targets.wheel.packages"),
        ('[tool.poetry]\npackages = [{from = "src"}]\n',
         "`include` - at `$.tool.poetry.packages[0]`"),
        ('[tool.setuptools]\npackage-dir = {"" = 1}\n', "$.tool.setuptools.package-dir"),
    ],
)
def test_a_build_table_of_the_wrong_type_is_an_error_naming_it(
    tmp_path: Path, pyproject: str, field: str
) -> None:
    root = write_project(tmp_path, {"pyproject.toml": pyproject, "src/app/__init__.py": ""})
    with pytest.raises(GateError, match="build tables") as err:
        default_targets(root)
    assert field in str(err.value)


def test_a_configuration_note_mypy_prints_as_text_is_a_note_not_an_error() -> None:
    stdout = "setup.cfg: note: unused section(s): [mypy-tests.*]\n" + MYPY_119
    note, error = mypy_run.parse_messages(stdout, ROOT)
    assert (note.path, note.line, note.severity) == ("setup.cfg", 0, "note")
    assert note.message == "unused section(s): [mypy-tests.*]"
    assert error.severity == "error"
    with pytest.raises(GateError, match="not JSON"):
        mypy_run.parse_messages("Traceback (most recent call last):\n", ROOT)
