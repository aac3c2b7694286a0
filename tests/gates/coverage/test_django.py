"""The coverage gate on a Django project tested with `manage.py test` only
(tests/projects/django_shop, with a few more outcomes): Django's own runner, its figures equal
to `coverage run manage.py test` and to Django's own summary line, run side by side here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PROJECTS, audit, condition, gate, tree_snapshot

MORE_TESTS = """\
import unittest

from django.test import SimpleTestCase


class MoreTests(SimpleTestCase):
    def test_fails(self) -> None:
        self.assertEqual(1 + 1, 3)

    def test_errors(self) -> None:
        raise RuntimeError("the price service is down")

    @unittest.expectedFailure
    def test_known_bug(self) -> None:
        self.assertEqual(round(2.675, 2), 2.68)
"""


def _shop(directory: Path) -> Path:
    root = directory / "shop"
    shutil.copytree(
        PROJECTS / "django_shop", root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3")
    )
    (root / "catalog" / "test_more.py").write_text(MORE_TESTS, encoding="utf-8")
    return root


def _oracle(directory: Path) -> tuple[float, dict[str, int]]:
    """`coverage run manage.py test` on a copy of its own: coverage's total and Django's summary
    (`Ran 8 tests`, `FAILED (failures=1, errors=1, skipped=1, expected failures=1)`)."""
    root = _shop(directory)
    env = {
        "COVERAGE_FILE": str(directory / ".coverage"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": str(Path(sys.executable).parent),
    }
    run = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "manage.py", "test"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    report = directory / "coverage.json"
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", "-o", str(report)],
        cwd=root,
        env=env,
        capture_output=True,
        check=True,
    )
    summary = {"ran": int(re.search(r"^Ran (\d+) tests?", run.stderr, re.M)[1])}  # type: ignore[index]
    counts = re.search(r"^FAILED \((.*)\)$", run.stderr, re.M)
    assert counts is not None, run.stderr
    for part in counts[1].split(", "):
        name, _, value = part.partition("=")
        summary[name] = int(value)
    return json.loads(report.read_text())["totals"]["percent_covered"], summary


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any], bool]:
    directory = tmp_path_factory.mktemp("django-coverage")
    root = _shop(directory)
    before = tree_snapshot(root)
    code, card = audit(root, directory / "out", gates="coverage", python=sys.executable)
    return root, code, card, tree_snapshot(root) == before


def test_the_figure_and_counts_equal_coverage_run_manage_py_test(
    tmp_path: Path,
    audited: tuple[Path, int, dict[str, Any], bool],
) -> None:
    _, code, card, unchanged = audited
    assert unchanged, "the audit wrote into the target"
    percent, summary = _oracle(tmp_path)
    assert code == 1
    assert condition(card, "coverage", "line_coverage")["value"] == round(percent, 2)
    tests = gate(card, "coverage")["details"]["tests"]
    assert tests["collected"] == summary["ran"]
    assert tests["failed"] == summary["failures"]
    assert tests["errors"] == summary["errors"]
    assert tests["skipped"] == summary["skipped"]
    assert tests["xfailed"] == summary["expected failures"]
    assert condition(card, "coverage", "tests_failed")["value"] == 2


def test_djangos_runner_and_its_settings_are_named_with_each_failing_test(
    audited: tuple[Path, int, dict[str, Any], bool],
) -> None:
    coverage = gate(audited[2], "coverage")
    assert coverage["details"]["runner"] == {
        "name": "django",
        "chosen_because": "manage.py at the root and no pytest-django configuration",
        "settings": "shop.settings",
        "settings_from": "manage.py",
        "exit_code": 1,
    }
    assert coverage["tool"]["name"] == "Django's test runner + coverage.py"
    failing = {(f["path"], f["rule"]) for f in coverage["findings"]}
    assert failing == {
        ("catalog/test_more.py", "test-failed"),
        ("catalog/test_more.py", "test-error"),
    }
    assert any("the price service is down" in f["message"] for f in coverage["findings"])
