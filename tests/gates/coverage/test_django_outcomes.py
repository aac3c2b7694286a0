"""Django's test outcomes counted per test as the coverage gate counts pytest's, from the JSON
the auditor's test runner writes (saved outputs here; the real runner in test_django.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import ConfigError, GateError
from gates.coverage import django_outcomes
from gates.coverage.django_outcomes import decode_outcomes, suite_counts
from gates.coverage.django_route import choose
from tests.helpers import PROJECTS, write_project

pytestmark = pytest.mark.unit


def _entry(test_id: str, message: str = "", *, is_test: bool = True) -> dict[str, object]:
    return {"id": test_id, "is_test": is_test, "message": message}


def _outcomes(**lists: object) -> bytes:
    data: dict[str, object] = {
        "tests_run": 0,
        "failures": [],
        "errors": [],
        "skipped": [],
        "expected_failures": [],
        "unexpected_successes": [],
    }
    data.update(lists)
    return json.dumps(data).encode()


def test_each_outcome_is_counted_once_per_test() -> None:
    raw = _outcomes(
        tests_run=7,
        failures=[
            _entry("shop.tests.T.test_a", "AssertionError: 1 != 2"),
            _entry("shop.tests.T.test_a", "AssertionError: 3 != 4"),
        ],  # two subtests
        errors=[_entry("shop.tests.T.test_b", "ZeroDivisionError: division by zero")],
        skipped=[_entry("shop.tests.T.test_c", "not today")],
        expected_failures=[_entry("shop.tests.T.test_d")],
        unexpected_successes=[_entry("shop.tests.T.test_e")],
    )
    counts = suite_counts(decode_outcomes(raw))
    assert (
        counts.collected,
        counts.passed,
        counts.failed,
        counts.errors,
        counts.skipped,
        counts.xfailed,
        counts.xpassed,
    ) == (7, 2, 2, 1, 1, 1, 0)
    names = {(f.classname, f.name, f.kind) for f in counts.failures}
    assert names == {
        ("shop.tests.T", "test_a", "failure"),
        ("shop.tests.T", "test_b", "error"),
        ("shop.tests.T", "test_e", "failure"),
    }
    unexpected = next(f for f in counts.failures if f.name == "test_e")
    assert unexpected.message == django_outcomes.UNEXPECTED_SUCCESS


def test_a_failed_class_fixture_is_one_erroring_test_naming_its_class() -> None:
    raw = _outcomes(
        tests_run=2,
        errors=[
            _entry("setUpClass (shop.tests.Broken)", "RuntimeError: no database", is_test=False),
        ],
    )
    counts = suite_counts(decode_outcomes(raw))
    assert (counts.collected, counts.passed, counts.errors) == (3, 2, 1)
    assert (counts.failures[0].classname, counts.failures[0].name) == (
        "shop.tests.Broken",
        "setUpClass",
    )


def test_a_missing_or_mistyped_key_is_an_error_naming_it() -> None:
    with pytest.raises(GateError, match="skipped"):
        decode_outcomes(b'{"tests_run": 1, "failures": [], "errors": []}')
    with pytest.raises(GateError, match="tests_run"):
        decode_outcomes(_outcomes(tests_run=-1))


def test_the_runner_writes_to_the_variable_the_gate_names() -> None:
    source = Path(django_outcomes.__file__).with_name("django_outcomes_runner.py")
    assert f'ENV_VAR = "{django_outcomes.ENV_VAR}"' in source.read_text(encoding="utf-8")


def test_a_manage_py_without_pytest_django_runs_djangos_runner() -> None:
    choice = choose(PROJECTS / "django_shop", "auto", {})
    assert choice.name == "django"
    assert choice.settings is not None
    assert choice.settings.describe() == "shop.settings (from manage.py)"


def test_pytest_django_configured_runs_pytest_with_its_settings(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "manage.py": (PROJECTS / "django_shop" / "manage.py").read_text(encoding="utf-8"),
            "pyproject.toml": '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "shop.test"\n',
        },
    )
    choice = choose(root, "auto", {})
    assert (choice.name, choice.django) == ("pytest", True)
    assert choice.settings is not None
    assert choice.settings.module == "shop.test"
    assert choose(root, "django", {}).name == "django"


def test_a_project_without_django_runs_pytest_and_reports_no_runner(tmp_path: Path) -> None:
    choice = choose(write_project(tmp_path, {"app.py": ""}), "auto", {})
    assert (choice.name, choice.django, choice.settings) == ("pytest", False, None)


def test_an_unknown_runner_is_a_config_error_naming_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match='"auto", "pytest", "django"'):
        choose(tmp_path, "nose", {})
