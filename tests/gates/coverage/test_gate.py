"""The coverage gate: real pytest and coverage.py on miniature projects, the CLI as a subprocess.

Every figure the gate reports is checked against coverage.py run by hand on a copy of the same
project; the auditor's own environment has pytest and coverage, so it serves as the target's
interpreter (`--python sys.executable`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from coverage.results import display_covered
from coverage.results import format_lines as coverage_format_lines

from auditor.errors import GateError
from auditor.model import GateResult
from gates.coverage.parse import (
    display_percent,
    format_lines,
    parse_coverage_json,
    parse_junit,
    skipped_files,
)
from tests import helpers
from tests.helpers import (
    FIXTURES,
    condition,
    copy_project,
    gate,
    load_scorecard,
    run_cli,
    run_gate,
    tree_snapshot,
    write_project,
)

PYTHON = sys.executable
COV_FIXTURES = FIXTURES / "coverage"
LEFTOVERS = (".coverage", ".pytest_cache", "__pycache__", "junit.xml", "coverage.json")


def audit(root: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> tuple[
    int, dict[str, Any]
]:
    """Run `audit run ROOT --gates coverage` and return the exit code and validated scorecard."""
    return helpers.audit(root, out, *args, gates="coverage", python=PYTHON, env=env)


def by_hand(root: Path, data_dir: Path) -> tuple[float, dict[str, Any]]:
    """Run the project's tests under coverage without the auditor; the TOTAL and the JSON report."""
    env = {**os.environ, "COVERAGE_FILE": str(data_dir / "hand.data")}
    data_dir.mkdir(parents=True, exist_ok=True)

    def coverage(*args: str) -> str:
        proc = subprocess.run(
            [PYTHON, "-m", "coverage", *args], cwd=root, env=env,
            capture_output=True, text=True, check=False,
        )
        assert proc.returncode in (0, 1), proc.stderr
        return proc.stdout

    coverage("run", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    if list(data_dir.glob("hand.data.*")):
        coverage("combine")
    total = float(coverage("report", "--format=total", "--precision=2").strip())
    coverage("json", "-q", "-o", str(data_dir / "hand.json"))
    report: dict[str, Any] = json.loads((data_dir / "hand.json").read_text(encoding="utf-8"))
    return total, report


def leftovers(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*")
        if p.name in LEFTOVERS or p.name.startswith(".coverage")
    )


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# --- measured runs ---------------------------------------------------------------------------


def test_total_equals_coverage_report_and_target_is_unchanged(tmp_path: Path) -> None:
    root = copy_project("cov_half", tmp_path)
    before = tree_snapshot(root)
    # Bytecode writing is on for the audit, so a stray __pycache__ in the target would show.
    code, card = audit(root, tmp_path / "out", env={"PYTHONDONTWRITEBYTECODE": ""})
    assert tree_snapshot(root) == before
    assert leftovers(root) == []

    total, report = by_hand(copy_project("cov_half", tmp_path / "hand"), tmp_path / "data")
    line = condition(card, "coverage", "line_coverage")
    assert line["value"] == total == 50.0
    assert line["status"] == "failed"
    assert code == 1
    assert condition(card, "coverage", "tests_failed")["value"] == 0
    assert condition(card, "coverage", "critical_coverage")["status"] == "skipped"
    assert condition(card, "coverage", "branch_coverage")["status"] == "skipped"

    details = gate(card, "coverage")["details"]
    assert details["interpreter"] == PYTHON
    assert details["tests"] == {"collected": 1, "passed": 1, "failed": 0, "errors": 0,
                                "skipped": 0, "xfailed": 0, "xpassed": 0}
    assert details["branch"] is False
    assert details["measured_files"] == sorted(report["files"])
    ops = next(f for f in details["files"] if f["path"] == "calc/ops.py")
    hand = report["files"]["calc/ops.py"]
    assert ops["statements"] == hand["summary"]["num_statements"]
    assert ops["missing"] == hand["summary"]["missing_lines"]
    assert ops["percent"] == float(display_covered(hand["summary"]["percent_covered"], 2))
    assert ops["missing_lines"] == coverage_format_lines(
        hand["executed_lines"] + hand["missing_lines"], hand["missing_lines"]
    )
    assert ops["critical"] is False


def test_threshold_from_the_projects_config_passes(tmp_path: Path) -> None:
    root = copy_project("cov_half", tmp_path)
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[tool.audit.coverage]\nline_coverage = 40\n")
    code, card = audit(root, tmp_path / "out")
    assert code == 0
    assert gate(card, "coverage")["status"] == "passed"
    line = condition(card, "coverage", "line_coverage")
    assert (line["threshold"], line["status"]) == (40, "passed")


def test_failing_test_is_measured_not_an_error(tmp_path: Path) -> None:
    root = copy_project("cov_failing", tmp_path)
    code, card = audit(root, tmp_path / "out")
    assert code == 1
    failed = condition(card, "coverage", "tests_failed")
    assert (failed["value"], failed["status"]) == (1, "failed")
    result = gate(card, "coverage")
    assert result["details"]["tests"]["passed"] == 1
    assert result["details"]["pytest_exit_code"] == 1
    [finding] = result["findings"]
    assert finding["path"] == "tests/test_math.py"
    assert finding["rule"] == "test-failed"
    assert "test_wrong" in finding["message"]
    assert "arithmetic is broken" in finding["message"]


def test_critical_path_under_100_fails_and_branch_figures_match(tmp_path: Path) -> None:
    # cov_critical measures branches in parallel mode, so its data files are combined first.
    root = copy_project("cov_critical", tmp_path)
    code, card = audit(root, tmp_path / "out")
    total, report = by_hand(copy_project("cov_critical", tmp_path / "hand"), tmp_path / "data")
    assert code == 1
    result = gate(card, "coverage")
    assert result["status"] == "failed"
    details = result["details"]
    assert details["branch"] is True
    assert details["combined_data_files"] >= 1
    assert "statements and branches combined" in details["line_coverage_figure"]

    assert condition(card, "coverage", "line_coverage")["value"] == total
    billing = report["files"]["shop/billing.py"]["summary"]
    critical = condition(card, "coverage", "critical_coverage")
    assert critical["value"] == float(display_covered(billing["percent_covered"], 2))
    assert critical["status"] == "failed"
    branch = condition(card, "coverage", "branch_coverage")
    assert branch["value"] == float(
        display_covered(report["totals"]["percent_branches_covered"], 2)
    )
    assert branch["blocking"] is False

    files = {f["path"]: f for f in details["files"]}
    assert files["shop/billing.py"]["critical"] is True
    assert files["shop/util.py"]["critical"] is False
    assert files["shop/billing.py"]["branches"] == billing["num_branches"]
    [finding] = result["findings"]
    assert (finding["path"], finding["rule"]) == ("shop/billing.py", "critical-uncovered")


def test_unmeasured_critical_file_counts_as_zero(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": '[tool.audit.coverage]\ncritical_paths = ["pkg/*.py"]\n',
        "pkg/__init__.py": "",
        "pkg/used.py": "def one():\n    return 1\n",
        "pkg/never.py": "def two():\n    return 2\n",
        "tests/test_used.py": "from pkg.used import one\n\n\ndef test_one():\n"
                              "    assert one() == 1\n",
    })
    code, card = audit(root, tmp_path / "out")
    assert code == 1
    critical = condition(card, "coverage", "critical_coverage")
    assert (critical["value"], critical["status"]) == (0, "failed")
    details = gate(card, "coverage")["details"]
    assert details["critical_unmeasured"] == ["pkg/never.py"]
    assert "pkg/never.py" not in details["measured_files"]


def test_files_coverage_cannot_parse_are_skipped_and_named(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": '[tool.coverage.run]\nsource = ["app"]\n',
        "app/__init__.py": "def hello():\n    return 'hi'\n",
        "app/templates/__init__.py": "",
        "app/templates/page_tpl.py": "def {{ name }}():\n    return {{ value }}\n",
        "tests/test_app.py": "from app import hello\n\n\ndef test_hello():\n"
                             "    assert hello() == 'hi'\n",
    })
    code, card = audit(root, tmp_path / "out")
    assert code == 0
    details = gate(card, "coverage")["details"]
    assert details["skipped_files"] == ["app/templates/page_tpl.py"]
    assert "app/templates/page_tpl.py" not in details["measured_files"]


# --- could not measure: exit 3 ---------------------------------------------------------------


def test_no_tests_collected_is_an_error(tmp_path: Path) -> None:
    code, card = audit(copy_project("cov_empty", tmp_path), tmp_path / "out")
    assert code == 3
    result = gate(card, "coverage")
    assert result["status"] == "error"
    assert "collected no tests" in result["reason"]
    assert "code 5" in result["reason"]


def test_collection_error_is_an_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        "tests/test_ok.py": "def test_ok():\n    assert True\n",
        "tests/test_broken.py": "def test_broken(:\n    pass\n",
    })
    code, card = audit(root, tmp_path / "out")
    assert code == 3
    reason = gate(card, "coverage")["reason"]
    assert "collecting tests" in reason
    assert "code 2" in reason


def test_hanging_suite_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": "[tool.audit.coverage]\ntimeout = 15\n",
        "tests/test_hang.py": f"""\
            import os
            import subprocess
            import sys
            import time


            def test_hangs():
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
                with open({str(pids)!r}, "w") as handle:
                    handle.write(f"{{os.getpid()}} {{child.pid}}")
                time.sleep(600)
            """,
    })
    started = time.monotonic()
    code, card = audit(root, tmp_path / "out")
    elapsed = time.monotonic() - started
    assert code == 3
    reason = gate(card, "coverage")["reason"]
    assert "did not finish within" in reason
    assert "timeout" in reason
    # 15 s of gate timeout (the suite's start-up under a measured CI run takes several), up to
    # 3 s of grace before SIGKILL, and the CLI's own start-up.
    assert elapsed < 45
    test_pid, child_pid = map(int, pids.read_text(encoding="utf-8").split())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (alive(test_pid) or alive(child_pid)):
        time.sleep(0.1)
    assert not alive(test_pid)
    assert not alive(child_pid)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_the_suite_and_exits_130(tmp_path: Path, signum: int) -> None:
    pids = tmp_path / "pids"
    root = write_project(tmp_path / "proj", {
        "tests/test_hang.py": f"""\
            import os
            import time


            def test_hangs():
                with open({str(pids)!r}, "w") as handle:
                    handle.write(str(os.getpid()))
                time.sleep(600)
            """,
    })
    audit_proc = subprocess.Popen(
        [PYTHON, "-m", "auditor", "run", str(root), "--gates", "coverage", "--python", PYTHON,
         "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not pids.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pids.exists(), "the test suite never started"
        audit_proc.send_signal(signum)
        _, stderr = audit_proc.communicate(timeout=30)
    finally:
        if audit_proc.poll() is None:
            audit_proc.kill()
    assert audit_proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    test_pid = int(pids.read_text(encoding="utf-8"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and alive(test_pid):
        time.sleep(0.1)
    assert not alive(test_pid)


def test_interpreter_without_pytest_and_coverage_is_named(tmp_path: Path) -> None:
    venv = tmp_path / "bare"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    bare = venv / "bin" / "python"
    root = copy_project("cov_half", tmp_path)
    result = run_cli("run", root, "--gates", "coverage", "--python", bare,
                     "--out", tmp_path / "out", "--format", "json")
    assert result.code == 3
    reason = gate(load_scorecard(tmp_path / "out"), "coverage")["reason"]
    assert str(bare) in reason
    assert "pytest and coverage are not installed" in reason
    assert f"{bare} -m pip install pytest coverage" in reason


def test_missing_coverage_command_is_an_error(tmp_path: Path) -> None:
    root = copy_project("cov_half", tmp_path)
    config = tmp_path / "audit.toml"
    config.write_text(f'[coverage]\ncoverage_command = ["{tmp_path}/no-such-coverage"]\n',
                      encoding="utf-8")
    code, card = audit(root, tmp_path / "out", "--config", str(config))
    assert code == 3
    assert "no-such-coverage" in gate(card, "coverage")["reason"]


def test_coverage_command_printing_garbage_is_an_error(tmp_path: Path) -> None:
    # A real process that exits 0 and writes neither a JUnit report nor coverage data.
    fake = tmp_path / "fake_coverage.py"
    fake.write_text("print('all good, 100% covered')\n", encoding="utf-8")
    root = copy_project("cov_half", tmp_path)
    config = tmp_path / "audit.toml"
    config.write_text(f'[coverage]\ncoverage_command = ["{PYTHON}", "{fake}"]\n',
                      encoding="utf-8")
    code, card = audit(root, tmp_path / "out", "--config", str(config))
    assert code == 3
    assert "JUnit report" in gate(card, "coverage")["reason"]


def test_unreadable_coverage_json_is_an_error(tmp_path: Path) -> None:
    # Runs the real tests, leaves a data file, then writes a JSON report that is not JSON.
    fake = tmp_path / "broken_coverage.py"
    fake.write_text(
        "import os, subprocess, sys\n"
        "args = sys.argv[1:]\n"
        "if args[0] == 'run':\n"
        "    code = subprocess.call([sys.executable, *args[1:]])\n"
        "    open(os.environ['COVERAGE_FILE'], 'w').close()\n"
        "    sys.exit(code)\n"
        "if args[0] == 'json':\n"
        "    with open(args[args.index('-o') + 1], 'w') as out:\n"
        "        out.write('{\"totals\": ')\n",
        encoding="utf-8",
    )
    root = copy_project("cov_half", tmp_path)
    config = tmp_path / "audit.toml"
    config.write_text(f'[coverage]\ncoverage_command = ["{PYTHON}", "{fake}"]\n',
                      encoding="utf-8")
    code, card = audit(root, tmp_path / "out", "--config", str(config))
    assert code == 3
    assert "JSON report could not be read" in gate(card, "coverage")["reason"]


def test_critical_paths_matching_nothing_is_an_error(tmp_path: Path) -> None:
    root = copy_project("cov_half", tmp_path)
    config = tmp_path / "audit.toml"
    config.write_text('[coverage]\ncritical_paths = ["billing/*"]\n', encoding="utf-8")
    code, card = audit(root, tmp_path / "out", "--config", str(config))
    assert code == 3
    assert "match no file" in gate(card, "coverage")["reason"]


@pytest.mark.parametrize("pattern", ["../elsewhere/*.py", "/etc/*", ""])
def test_critical_paths_outside_the_root_are_config_errors(tmp_path: Path, pattern: str) -> None:
    config = tmp_path / "audit.toml"
    config.write_text(f'[coverage]\ncritical_paths = ["{pattern}"]\n', encoding="utf-8")
    result = run_cli("run", tmp_path, "--gates", "coverage", "--config", config,
                     "--out", tmp_path / "out")
    assert result.code == 2
    assert "critical_paths" in result.stderr + result.stdout


# --- parsers on saved real outputs ----------------------------------------------------------


@pytest.mark.unit
def test_junit_counts_each_case_once() -> None:
    counts = parse_junit(COV_FIXTURES / "junit_failing.xml")
    outcomes = (counts.collected, counts.passed, counts.failed, counts.errors, counts.skipped,
                counts.xfailed, counts.xpassed)
    assert outcomes == (2, 1, 1, 0, 0, 0, 0)
    [failure] = counts.failures
    assert (failure.classname, failure.name, failure.kind) == (
        "tests.test_math", "test_wrong", "failure")


@pytest.mark.unit
def test_coverage_json_with_branches(tmp_path: Path) -> None:
    data = json.loads((COV_FIXTURES / "critical_branch.json").read_text(encoding="utf-8"))
    totals = parse_coverage_json(data, tmp_path)
    raw = data["totals"]
    assert totals.branch is True
    assert totals.percent == float(display_covered(raw["percent_covered"], 2))
    assert totals.statement_percent == float(
        display_covered(raw["percent_statements_covered"], 2))
    assert totals.branch_percent == float(display_covered(raw["percent_branches_covered"], 2))
    billing = next(f for f in totals.files if f.path == "shop/billing.py")
    raw_file = data["files"]["shop/billing.py"]
    arcs: dict[int, list[int]] = {}
    for start, end in raw_file["missing_branches"]:
        arcs.setdefault(start, []).append(end)
    assert billing.missing_lines == coverage_format_lines(
        raw_file["executed_lines"] + raw_file["missing_lines"], raw_file["missing_lines"],
        arcs.items(),
    )


@pytest.mark.parametrize("value", [0.0, 0.001, 12.345, 50.0, 66.66666, 99.996, 99.9999, 100.0])
@pytest.mark.unit
def test_display_percent_rounds_like_coverage(value: float) -> None:
    assert f"{display_percent(value):.2f}" == display_covered(value, 2)


@pytest.mark.parametrize(("statements", "missing"), [
    ([1, 2, 3, 4, 5, 10, 11, 12, 13, 14], [1, 2, 5, 10, 11, 13, 14]),
    ([1, 3, 5, 7], [3, 5]),
    ([2, 4], []),
    ([1, 2, 3], [1, 2, 3]),
])
@pytest.mark.unit
def test_format_lines_like_coverage(statements: list[int], missing: list[int]) -> None:
    assert format_lines(statements, missing) == coverage_format_lines(statements, missing)


@pytest.mark.unit
def test_skipped_files_from_coverage_warnings(tmp_path: Path) -> None:
    stderr = (
        f"{tmp_path}/x.py:1: CoverageWarning: Couldn't parse Python file "
        f"'{tmp_path}/app/t.py' (couldnt-parse); see https://coverage.readthedocs.io\n"
        "unrelated line 'quoted'\n"
    )
    assert skipped_files(stderr, tmp_path) == ["app/t.py"]


@pytest.mark.unit
def test_missing_junit_report_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GateError, match="no JUnit report"):
        parse_junit(tmp_path / "absent.xml")
    (tmp_path / "cut.xml").write_text("<testsuites><testsuite>", encoding="utf-8")
    with pytest.raises(GateError, match="could not be read"):
        parse_junit(tmp_path / "cut.xml")


def _value(result: GateResult, condition_id: str) -> float | None:
    return next(c.value for c in result.conditions if c.id == condition_id)


def test_the_test_run_gets_the_configured_environment(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "app.py": "import os\n\n\ndef url() -> str:\n    return os.environ['DATABASE_URL']\n",
        "tests/test_app.py": "from app import url\n\n\ndef test_url():\n"
                             "    assert url() == 'sqlite:///t.db'\n",
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    })
    without = run_gate("coverage", root, tmp_path / "o1")
    assert _value(without, "tests_failed") == 1
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[tool.audit.coverage]\nenv = {DATABASE_URL = "sqlite:///t.db"}\n')
    configured = run_gate("coverage", root, tmp_path / "o2")
    assert _value(configured, "tests_failed") == 0
    assert configured.status == "passed"


def test_an_env_value_that_is_no_string_or_number_is_a_config_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "pyproject.toml": "[tool.audit.coverage]\nenv = {FLAG = true}\n",
    })
    result = run_cli("run", root, "--gates", "coverage", "--no-history")
    assert result.code == 2
    assert "`env.FLAG` in [tool.audit.coverage] must be a string or a number" in result.stderr
