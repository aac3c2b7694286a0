"""pytest's failures explained from what it printed: a crashing conftest.py is named as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_gate, write_project

SUITE = {
    "app.py": "def one():\n    return 1\n",
    "tests/test_app.py": "from app import one\n\n\ndef test_one():\n    assert one() == 1\n",
    "tests/sub/test_more.py": "def test_more():\n    assert True\n",
}


@pytest.mark.parametrize(
    ("conftest", "exit_code"),
    [
        ("conftest.py", 4),  # loaded before collection: pytest calls it a usage error
        ("tests/sub/conftest.py", 2),  # loaded while collecting
    ],
)
def test_crashing_conftest_is_named_with_its_exception(
    tmp_path: Path, conftest: str, exit_code: int
) -> None:
    root = write_project(
        tmp_path / "proj", {**SUITE, conftest: "raise RuntimeError('settings are missing')\n"}
    )
    result = run_gate("coverage", root, tmp_path / "out")
    assert result.status == "error"
    reason = result.reason or ""
    assert f"could not import the project's {conftest}" in reason
    assert f"exit code {exit_code}" in reason
    assert reason.endswith("RuntimeError: settings are missing")
    assert "pytest_args" not in reason
    assert conftest in (result.details.log_tail or "")


def test_usage_error_keeps_the_advice_on_pytest_args(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "proj",
        {**SUITE, "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--no-such-flag"\n'},
    )
    result = run_gate("coverage", root, tmp_path / "out")
    assert result.status == "error"
    reason = result.reason or ""
    assert "called wrongly (check `pytest_args` and the project's pytest addopts)" in reason
    assert "exit code 4" in reason
    assert "unrecognized arguments: --no-such-flag" in reason
