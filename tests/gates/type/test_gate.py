"""The type gate drives the real mypy on miniature projects; figures are checked against mypy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor import scorecard
from auditor.errors import GateError
from gates.type import mypy_run
from reports.html import HtmlRenderer
from tests import helpers
from tests.helpers import (
    condition,
    copy_project,
    gate,
    tool_command,
    tree_snapshot,
    write_project,
)
from tests.shared import once_per_run


def mypy_by_hand(root: Path, scratch: Path, *args: str) -> tuple[int, int, dict[str, int]]:
    """Run mypy directly: its summary's error count, its exit code and its any-exprs total."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--python-executable", sys.executable,
         "--cache-dir", str(scratch / "cache"), "--any-exprs-report", str(scratch / "report"),
         *args],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    summary = re.search(r"Found (\d+) errors? in", proc.stdout)
    errors = int(summary.group(1)) if summary else 0
    total_line = (scratch / "report" / "any-exprs.txt").read_text().splitlines()[-1].split()
    assert total_line[0] == "Total"
    total = {"any": int(total_line[1]), "total": int(total_line[2])}
    return errors, proc.returncode, total


def audit(root: Path, out: Path, *extra: str | Path) -> tuple[int, dict[str, Any]]:
    return helpers.audit(root, out, *extra, gates="type")


@pytest.fixture(scope="module")
def mixed_audit(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, int, dict[str, Any], dict[str, float]]:
    def build(base: Path) -> tuple[Path, Path, int, dict[str, Any], dict[str, float]]:
        root = copy_project("type_mixed", base)
        before = tree_snapshot(root)
        code, card = audit(root, base / "out")
        return base, root, code, card, before

    return once_per_run(tmp_path_factory, "type-mixed", build)


def test_type_errors_equal_mypy_count(mixed_audit: Any) -> None:
    base, root, code, card, _before = mixed_audit
    errors, _returncode, _total = mypy_by_hand(root, base / "by-hand", ".")
    assert errors >= 1
    assert code == 1
    assert condition(card, "type", "type_errors")["value"] == errors
    findings = [f for f in gate(card, "type")["findings"] if f["rule"] != "no-untyped-def"]
    assert len(findings) == errors
    assert {(f["path"], f["rule"]) for f in findings} == {("shop/prices.py", "assignment")}


def test_untyped_defs_equal_what_mypys_disallow_options_add(mixed_audit: Any) -> None:
    base, root, _code, card, _before = mixed_audit
    errors, _returncode, _total = mypy_by_hand(root, base / "by-hand-plain", ".")
    strict, _returncode, _total = mypy_by_hand(
        root, base / "by-hand-strict", "--disallow-untyped-defs", "--disallow-incomplete-defs", "."
    )
    untyped = condition(card, "type", "untyped_defs")
    assert untyped["value"] == strict - errors == 2
    assert untyped["status"] == "failed"
    found = [f for f in gate(card, "type")["findings"] if f["rule"] == "no-untyped-def"]
    assert sorted((f["path"], f["line"]) for f in found) == [
        ("shop/cart.py", 8), ("shop/prices.py", 5),
    ]


def test_type_coverage_equals_any_exprs_total(mixed_audit: Any) -> None:
    base, root, _code, card, _before = mixed_audit
    _errors, _returncode, total = mypy_by_hand(root, base / "by-hand-report", ".")
    details = gate(card, "type")["details"]
    assert details["total"]["any"] == total["any"]
    assert details["total"]["total"] == total["total"]
    assert total["any"] > 0, "the untyped functions' results are Any"
    expected = 100 * (total["total"] - total["any"]) / total["total"]
    assert condition(card, "type", "type_coverage")["value"] == pytest.approx(expected, abs=0.005)
    assert condition(card, "type", "type_coverage")["status"] == "failed"
    assert {m["module"] for m in details["modules"]} == {"shop.prices", "shop.cart"}
    assert details["config"] == "project configuration in pyproject.toml"
    assert details["interpreter"]


def test_mypy_errors_are_critical_in_the_scorecard_and_the_html(mixed_audit: Any) -> None:
    """mypy's `error` is what fails mypy and counts in the gate's conditions: its badge says
    critical, never warning; the figures are those of the errors, as before."""
    base, _root, _code, card, _before = mixed_audit
    findings = gate(card, "type")["findings"]
    assert findings
    assert {f["severity"] for f in findings} == {"critical"}
    untyped = sum(f["rule"] == "no-untyped-def" for f in findings)
    assert condition(card, "type", "type_errors")["value"] == len(findings) - untyped
    assert condition(card, "type", "untyped_defs")["value"] == untyped
    html = HtmlRenderer().render(scorecard.read(base / "out" / "scorecard.json"))
    assert html.count('<tr class="sev-critical">') == len(findings)
    assert html.count('<span class="sev">critical</span>') == len(findings)
    assert '<tr class="sev-warning">' not in html


def test_target_tree_is_unchanged(mixed_audit: Any) -> None:
    _base, root, _code, _card, before = mixed_audit
    assert tree_snapshot(root) == before
    assert not list(root.rglob(".mypy_cache"))
    assert not list(root.rglob("__pycache__"))


def test_configured_files_and_default_excludes(tmp_path: Path) -> None:
    bad = 'count: int = "many"\n'
    good = "def one() -> int:\n    return 1\n"
    with_files = write_project(tmp_path / "with_files", {
        "mypy.ini": "[mypy]\nfiles = app\n",
        "app/__init__.py": good,
        "scripts/tool.py": bad,
    })
    code, card = audit(with_files, tmp_path / "out1")
    errors, _rc, total = mypy_by_hand(with_files, tmp_path / "hand1")
    assert code == 0
    assert condition(card, "type", "type_errors")["value"] == errors == 0
    assert gate(card, "type")["details"]["total"]["total"] == total["total"]
    assert gate(card, "type")["details"]["checked"].startswith("files, modules or packages")

    whole_root = write_project(tmp_path / "whole_root", {
        "app.py": good,
        "build/lib/app_copy.py": bad,
        "myenv/pyvenv.cfg": "home = /usr/bin\n",
        "myenv/lib/site.py": bad,
    })
    code, card = audit(whole_root, tmp_path / "out2")
    errors, _rc, total = mypy_by_hand(whole_root, tmp_path / "hand2", "app.py")
    assert code == 0
    assert condition(card, "type", "type_errors")["value"] == errors == 0
    assert gate(card, "type")["details"]["total"]["total"] == total["total"]
    assert gate(card, "type")["details"]["config"].startswith("mypy defaults")


def test_syntax_error_stops_mypy_and_is_an_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"ok.py": "x: int = 1\n", "bad.py": "def f(:\n"})
    code, card = audit(root, tmp_path / "out")
    assert code == 3
    assert gate(card, "type")["status"] == "error"
    assert "bad.py:1" in gate(card, "type")["reason"]


FAKE_MYPY = """\
import sys

if sys.argv[1:] == ["--version"]:
    print("mypy 0.0.0 (compiled: no)")
    sys.exit(0)
{body}
"""

BEHAVIOURS = {
    "crash": 'print("mypy: error: INTERNAL ERROR while checking", file=sys.stderr)\nsys.exit(2)',
    "garbage": 'print("<<< this is not json >>>")\nsys.exit(0)',
    "no report": "sys.exit(0)",
    "silent exit 1": "sys.exit(1)",
}


@pytest.mark.parametrize("behaviour", ["missing", *BEHAVIOURS])
def test_fails_closed(tmp_path: Path, behaviour: str) -> None:
    root = write_project(tmp_path / "proj", {"ok.py": "x: int = 1\n"})
    script = None if behaviour == "missing" else FAKE_MYPY.format(body=BEHAVIOURS[behaviour])
    command = tool_command(tmp_path, "mypy", script)
    config = tmp_path / "audit.toml"
    config.write_text(f"[type]\nmypy_command = {json.dumps(command)}\n", encoding="utf-8")
    code, card = audit(root, tmp_path / "out", "--config", config)
    result = gate(card, "type")
    assert code == 3
    assert result["status"] == "error"
    expected = {
        "missing": "was not found",
        "crash": "INTERNAL ERROR while checking",
        "garbage": "not JSON",
        "no report": "did not write its any-exprs report",
        "silent exit 1": "its output cannot be trusted",
    }[behaviour]
    assert expected in result["reason"]
    if behaviour != "missing":
        # Every error after the tool ran keeps its command and output for the reader.
        assert "mypy_command" not in result["details"]["log_tail"]
        assert command[-1] in result["details"]["log_tail"]


def test_notes_only_is_measured(tmp_path: Path) -> None:
    """mypy's JSON mode exits 1 when it prints only a note; notes are not errors."""
    root = write_project(
        tmp_path / "proj", {"m.py": "def f():\n    x: int = 1\n    return x\n"}
    )
    _errors, returncode, _total = mypy_by_hand(root, tmp_path / "by-hand", "-O", "json", ".")
    assert returncode == 1  # the behaviour this test pins: exit 1 with a note and no error
    code, card = audit(root, tmp_path / "out")
    result = gate(card, "type")
    # mypy's errors were measured: none.
    assert condition(card, "type", "type_errors")["status"] == "passed", result["reason"]
    assert condition(card, "type", "type_errors")["value"] == 0
    assert any("untyped functions are not checked" in n for n in result["details"]["notes"])
    # But it typed no expression (the function is unannotated): its type coverage judged
    # nothing, which is an error, never a vacuous 100%.
    coverage = condition(card, "type", "type_coverage")
    assert coverage["status"] == "error"
    assert "judged over no expressions typed" in coverage["reason"]
    assert code == 3


def test_a_configuration_warning_of_mypy_reaches_the_reports(tmp_path: Path) -> None:
    # mypy warns about the invalid option and goes on with its default: the audit measures,
    # and the warning must not be lost.
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": '[tool.mypy]\npython_version = "banana"\n',
        "m.py": "def f(x: int) -> int:\n    return x\n",
    })
    code, card = audit(root, tmp_path / "out")
    assert code == 0
    warnings = gate(card, "type")["details"]["warnings"]
    assert any("python_version" in w and "banana" in w for w in warnings), warnings
    html = HtmlRenderer().render(scorecard.read(tmp_path / "out" / "scorecard.json"))
    assert "Invalid python version &#39;banana&#39;" in html


# mypy 2.4's --lineprecision-report for a module whose only function is unannotated: the module
# is listed although its any-exprs report row count is zero.
LINE_REPORT = """\
Name  Lines  Precise  Imprecise  Any  Empty  Unanalyzed
-------------------------------------------------------
m         3        1          0    2      0           0
pkg.sub  10        4          1    0      5           0
"""


@pytest.mark.unit
def test_the_line_precision_report_names_every_module_checked() -> None:
    assert mypy_run.parse_line_report(LINE_REPORT) == ["m", "pkg.sub"]
    header_only = "\n".join(LINE_REPORT.splitlines()[:2])
    assert mypy_run.parse_line_report(header_only) == []
    with pytest.raises(GateError, match="cannot read"):
        mypy_run.parse_line_report(LINE_REPORT + "garbage row\n")
    with pytest.raises(GateError, match="no header"):
        mypy_run.parse_line_report("")


def test_a_configuration_note_mypy_prints_as_text_does_not_stop_the_gate(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        "ok.py": "x: int = 1\n",
        # warn_unused_configs speaks only without incremental mode.
        "setup.cfg": "[mypy]\nwarn_unused_configs = True\nincremental = False\n\n"
                     "[mypy-tests.*]\nignore_errors = True\n",
    })
    code, card = audit(root, tmp_path / "out")
    result = gate(card, "type")
    assert code == 0, result.get("reason")
    assert condition(card, "type", "type_errors")["value"] == 0
    assert any("unused section" in note for note in result["details"]["notes"])
