"""Reusing coverage data and JUnit results: the figures equal coverage.py's own on the same data,
shards from other checkouts are combined with the project's [paths], and every doubtful input
fails closed. The tests' own interpreter (which has pytest and coverage) runs the suites."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests import helpers
from tests.helpers import (
    condition,
    gate,
    load_scorecard,
    run_cli,
    tree_snapshot,
    write_project,
)

PYTHON = sys.executable

PROJECT = {
    "pyproject.toml": """\
        [project]
        name = "shop"
        version = "0.1.0"

        [tool.coverage.run]
        source = ["shop"]

        [tool.coverage.paths]
        source = ["shop/", "*/shop/"]
    """,
    "shop/__init__.py": "",
    "shop/prices.py": """\
        def net(gross: float) -> float:
            return gross / 1.2


        def gross(net: float) -> float:
            return net * 1.2


        def never(x: int) -> int:
            return abs(x)
    """,
    "shop/stock.py": """\
        def take(stock: int, n: int) -> int:
            if n > stock:
                raise ValueError("not enough")
            return stock - n
    """,
    "tests/__init__.py": "",
    "tests/test_prices.py": """\
        from shop.prices import gross, net


        def test_net():
            assert round(net(12.0), 2) == 10.0


        def test_gross():
            assert round(gross(10.0), 2) == 12.0
    """,
    "tests/test_stock.py": """\
        from shop.stock import take


        def test_take():
            assert take(3, 1) == 2
    """,
}


def make(root: Path) -> Path:
    return write_project(root, PROJECT)


def coverage_cmd(cwd: Path, *args: str, data: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    if data is not None:
        env["COVERAGE_FILE"] = str(data)
    proc = subprocess.run(
        [PYTHON, "-m", "coverage", *args], cwd=cwd, env=env, capture_output=True, text=True,
        check=True,
    )
    return proc.stdout


def run_tests(cwd: Path, junit: Path, *tests: str, parallel: bool = False,
              data: Path | None = None) -> None:
    """`coverage run [-p] -m pytest TESTS --junitxml JUNIT` in CWD, as a CI job does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    if data is not None:
        env["COVERAGE_FILE"] = str(data)
    subprocess.run(
        [PYTHON, "-m", "coverage", "run", *(["-p"] if parallel else []), "-m", "pytest",
         "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *tests],
        cwd=cwd, env=env, capture_output=True, check=False,
    )


def total(cwd: Path, data: Path) -> float:
    """What `coverage report` prints as the TOTAL, at two decimal places."""
    return float(coverage_cmd(cwd, "report", "--format=total", "--precision=2", data=data))


def audit(root: Path, out: Path, *args: str, config: str = "") -> tuple[int, dict[str, Any]]:
    extra: tuple[str, ...] = ()
    if config:
        path = out.parent / f"{out.name}.toml"
        path.write_text(config, encoding="utf-8")
        extra = ("--config", str(path))
    return helpers.audit(root, out, *extra, *args, gates="coverage", python=PYTHON)


def test_one_data_file_gives_coverage_reports_figures(tmp_path: Path) -> None:
    root = make(tmp_path / "shop")
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    before = tree_snapshot(root)
    code, card = audit(
        root, tmp_path / "out", "--coverage-data", str(tmp_path / "run.coverage"),
        "--junit", str(tmp_path / "junit.xml"),
    )
    assert code == 0, gate(card, "coverage")["reason"]
    line = condition(card, "coverage", "line_coverage")
    assert line["value"] == total(root, tmp_path / "run.coverage")
    assert condition(card, "coverage", "tests_failed")["value"] == 0
    details = gate(card, "coverage")["details"]
    assert details["tests"]["collected"] == 3
    assert details["reused"]["coverage_data"] == [str(tmp_path / "run.coverage")]
    assert tree_snapshot(root) == before
    assert (tmp_path / "run.coverage").is_file()


def test_shards_from_other_checkouts_are_combined_with_paths(tmp_path: Path) -> None:
    root = make(tmp_path / "shop")
    shards = root / "shards"
    shards.mkdir()
    # Two CI jobs, each in its own checkout, each running a slice of the suite.
    for index, tests in enumerate(["tests/test_prices.py", "tests/test_stock.py"]):
        job = shutil.copytree(root, tmp_path / f"job{index}" / "shop",
                              ignore=shutil.ignore_patterns("shards"))
        run_tests(job, shards / f"junit-{index}.xml", tests, parallel=True)
        for data in job.glob(".coverage.*"):
            shutil.move(data, shards / data.name)
    names = sorted(p.name for p in shards.iterdir())
    assert len([n for n in names if n.startswith(".coverage.")]) == 2
    # The final job runs in the checkout: the patterns are relative to the working directory.
    result = run_cli("run", ".", "--gates", "coverage", "--python", PYTHON, "--out",
                     tmp_path / "out", "--format", "json", "--coverage-data",
                     "shards/.coverage.*", "--junit", "shards/*.xml", cwd=root)
    card = load_scorecard(tmp_path / "out")
    # coverage's own combine and report, on a copy of the same shards in the same checkout.
    by_hand = tmp_path / "by-hand"
    by_hand.mkdir()
    for name in names:
        shutil.copy(shards / name, by_hand / name)
    coverage_cmd(root, "combine", *[str(by_hand / n) for n in names if n.startswith(".cov")],
                 data=by_hand / "combined")
    assert condition(card, "coverage", "line_coverage")["value"] == total(
        root, by_hand / "combined"
    )
    assert result.code == 0, result.stderr
    details = gate(card, "coverage")["details"]
    assert details["tests"]["collected"] == 3
    assert details["combined_data_files"] == 2
    assert {f["path"] for f in details["files"]} == {
        "shop/__init__.py", "shop/prices.py", "shop/stock.py"
    }
    assert sorted(p.name for p in shards.iterdir()) == names


def test_data_that_measured_none_of_the_project_is_an_error(tmp_path: Path) -> None:
    other = make(tmp_path / "elsewhere" / "shop")
    (other / "pyproject.toml").write_text(
        '[tool.coverage.run]\nsource = ["shop"]\n', encoding="utf-8"
    )
    run_tests(other, tmp_path / "junit.xml", data=tmp_path / "other.coverage")
    root = make(tmp_path / "shop")
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n", encoding="utf-8")
    code, card = audit(
        root, tmp_path / "out", "--coverage-data", str(tmp_path / "other.coverage"),
        "--junit", str(tmp_path / "junit.xml"),
    )
    assert code == 3
    assert "measured none of the project's files" in gate(card, "coverage")["reason"]


def test_data_older_than_a_measured_file_is_stale(tmp_path: Path) -> None:
    root = make(tmp_path / "shop")
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    later = time.time() + 5
    os.utime(root / "shop" / "stock.py", (later, later))
    code, card = audit(
        root, tmp_path / "out", "--coverage-data", str(tmp_path / "run.coverage"),
        "--junit", str(tmp_path / "junit.xml"),
    )
    assert code == 3
    reason = gate(card, "coverage")["reason"]
    assert "stale" in reason
    assert "shop/stock.py" in reason


def test_a_pattern_matching_nothing_or_an_unreadable_file_is_a_usage_error(
    tmp_path: Path,
) -> None:
    root = make(tmp_path / "shop")
    result = run_cli("run", root, "--gates", "coverage", "--python", PYTHON, "--out",
                     tmp_path / "out", "--coverage-data", str(tmp_path / "nothing.*"))
    assert result.code == 2
    assert "nothing.*" in result.stderr
    assert not (tmp_path / "out").exists()

    garbage = tmp_path / ".coverage.garbage"
    garbage.write_text("not a database, just text\n" * 20, encoding="utf-8")
    result = run_cli("run", root, "--gates", "coverage", "--python", PYTHON, "--out",
                     tmp_path / "out", "--coverage-data", str(garbage))
    assert result.code == 2
    assert str(garbage) in result.stderr

    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    bad_xml = tmp_path / "bad.xml"
    bad_xml.write_text("<testsuite><testcase", encoding="utf-8")
    result = run_cli("run", root, "--gates", "coverage", "--python", PYTHON, "--out",
                     tmp_path / "out", "--coverage-data", str(tmp_path / "run.coverage"),
                     "--junit", str(bad_xml))
    assert result.code == 2
    assert str(bad_xml) in result.stderr


def test_junit_with_failures_fails_the_gate(tmp_path: Path) -> None:
    root = make(tmp_path / "shop")
    (root / "tests" / "test_broken.py").write_text(
        "def test_broken():\n    assert 1 == 2\n", encoding="utf-8"
    )
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    code, card = audit(
        root, tmp_path / "out", "--coverage-data", str(tmp_path / "run.coverage"),
        "--junit", str(tmp_path / "junit.xml"),
    )
    assert code == 1
    assert condition(card, "coverage", "tests_failed")["value"] == 1
    rules = {f["rule"] for f in gate(card, "coverage")["findings"]}
    assert rules == {"test-failed"}


def test_coverage_without_junit_proves_no_test_passed(tmp_path: Path) -> None:
    root = make(tmp_path / "shop")
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    data = ("--coverage-data", str(tmp_path / "run.coverage"))
    code, card = audit(root, tmp_path / "out", *data)
    assert code == 3
    failed = condition(card, "coverage", "tests_failed")
    assert failed["status"] == "error"
    assert "JUnit" in failed["reason"]
    assert condition(card, "coverage", "line_coverage")["status"] == "passed"

    code, card = audit(root, tmp_path / "out2", *data,
                       config="[coverage]\ntests_failed = { blocking = false }\n")
    assert code == 0, gate(card, "coverage")["reason"]
    assert condition(card, "coverage", "tests_failed")["status"] == "skipped"


def test_configured_data_and_junit_are_relative_to_the_root(tmp_path: Path) -> None:
    root = make(tmp_path / "shop")
    (root / "ci").mkdir()
    run_tests(root, root / "ci" / "junit.xml", data=root / "ci" / "run.coverage")
    code, card = audit(
        root, tmp_path / "out",
        config='[coverage]\ndata = ["ci/*.coverage"]\njunit = ["ci/junit.xml"]\n',
    )
    assert code == 0, gate(card, "coverage")["reason"]
    assert gate(card, "coverage")["details"]["reused"]["junit"] == [
        str((root / "ci" / "junit.xml").resolve())
    ]
