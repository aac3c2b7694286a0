"""`new_line_coverage` against diff-cover on the same git repository and the same suite, and the
ratchet a baseline sets on `line_coverage`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from auditor.newcode import NewCode
from gates.coverage import new_lines
from gates.coverage.parse import FileCoverage
from tests import helpers
from tests.gitrepo import commit_all, git, init_repo
from tests.helpers import condition, run_cli

PYTHON = sys.executable
CALC = """\
def add(a, b):
    return a + b


def sub(a, b):
    return a - b
"""
TESTS = """\
from pkg.calc import add


def test_add():
    assert add(1, 2) == 3
"""
FEATURE = """\


def mul(a, b):
    if a == 0:
        return 0
    return a * b


def div(a, b):
    return a / b
"""
PYPROJECT = """\
[project]
name = "calc"

[tool.audit.coverage]
line_coverage = 95
"""


def _diff_cover(root: Path, work: Path) -> tuple[int, int, float]:
    """diff-cover's changed executable lines and its uncovered ones, from coverage XML of the
    same suite run by hand (data kept outside the repository), and coverage's own total."""
    env = {"COVERAGE_FILE": str(work / ".coverage"), "PATH": "/usr/bin:/bin",
           "PYTHONDONTWRITEBYTECODE": "1"}
    xml = work / "coverage.xml"
    for args in (
        ["run", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        ["xml", "-o", str(xml)],
        ["json", "-o", str(work / "coverage.json")],
    ):
        subprocess.run([PYTHON, "-m", "coverage", *args], cwd=root, env=env, check=True,
                       capture_output=True)
    total_percent = json.loads((work / "coverage.json").read_text())["totals"]["percent_covered"]
    report = work / "diff-cover.json"
    subprocess.run(
        [PYTHON, "-m", "diff_cover.diff_cover_tool", str(xml), "--compare-branch", "main",
         "--include-untracked", "--format", f"json:{report}"],
        cwd=root, check=True, capture_output=True,
    )
    data = json.loads(report.read_text())
    return int(data["total_num_lines"]), int(data["total_num_violations"]), total_percent


def test_new_line_coverage_equals_diff_cover_and_the_baseline_ratchets(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", {
        "pyproject.toml": PYPROJECT, "pkg/__init__.py": "", "pkg/calc.py": CALC,
        "tests/test_calc.py": TESTS,
    })
    # Day one: line coverage is under the configured 95; the baseline records it, and from then
    # on it may not fall below it.
    written = run_cli("baseline", root, "--gates", "coverage", "--python", PYTHON)
    assert written.code == 0, written.stderr
    figures = json.loads((root / "audit-baseline.json").read_text())["figures"]
    assert list(figures) == ["coverage.line_coverage"]
    day_one = figures["coverage.line_coverage"]
    assert day_one < 95
    commit_all(root, "baseline")

    git(root, "checkout", "-q", "-b", "feature")
    (root / "pkg" / "calc.py").write_text(CALC + FEATURE)
    commit_all(root, "feature")
    # Uncommitted and untracked changes count too.
    (root / "tests" / "test_calc.py").write_text(
        TESTS + "\n\ndef test_mul():\n    from pkg.calc import mul\n    assert mul(2, 3) == 6\n"
    )
    (root / "pkg" / "extra.py").write_text("def unused():\n    return 1\n")
    (root / "tests" / "test_extra.py").write_text("import pkg.extra\n\n\ndef test_x():\n    pass\n")

    work = tmp_path / "work"
    work.mkdir()
    total, missing, by_hand = _diff_cover(root, work)
    code, card = helpers.audit(root, tmp_path / "out", "--new-code", "main", gates="coverage",
                               python=PYTHON)
    new = condition(card, "coverage", "new_line_coverage")
    assert new["value"] == round(100 * (total - missing) / total, 2)
    gate = card["gates"][0]
    assert gate["details"]["new_code"]["executable_lines"] == total
    assert gate["details"]["new_code"]["uncovered"] == [
        {"path": "pkg/calc.py", "lines": "11, 16"}, {"path": "pkg/extra.py", "lines": "2"},
    ]
    line = condition(card, "coverage", "line_coverage")
    assert line["threshold"] == 95
    assert line["baseline"] == day_one
    assert line["ratchet"] == day_one
    # The change lowered the total below the baseline's figure, so the ratchet fails it.
    assert line["value"] == round(by_hand, 2) < day_one
    assert line["status"] == "failed"
    assert code == 1


def test_new_lines_skips_files_coverage_did_not_measure() -> None:
    change = NewCode("main", "0" * 40, {"a.py": frozenset({1, 2, 3}), "b.py": frozenset({1})})
    files = [FileCoverage("a.py", 3, 1, 66.67, "3", 3, executed=frozenset({1, 2}),
                          unexecuted=frozenset({3, 4}))]
    measured = new_lines.measure(files, change)
    assert (measured.covered, measured.total, measured.uncovered) == (2, 3, {"a.py": "3"})
    assert new_lines.measure([], change).percent is None
