"""Bad input: one sentence naming the problem, exit code 2, no traceback, nothing run."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import config
from auditor.errors import ConfigError
from tests.helpers import run_cli, write_project


def _project(tmp_path: Path, audit_section: str) -> Path:
    return write_project(tmp_path / "proj", {
        "pyproject.toml": '[project]\nname = "proj"\nversion = "0"\n\n' + audit_section,
    })


def _assert_usage_error(result_code: int, stderr: str, *needles: str) -> None:
    assert result_code == 2, stderr
    assert "Traceback" not in stderr
    message = stderr.strip()
    assert message.startswith("audit: error:") or message.startswith("Usage:"), message
    for needle in needles:
        assert needle in message, message


@pytest.mark.parametrize(
    ("section", "needles"),
    [
        ("[tool.audit.coverage]\nline_coverag = 80\n",
         ["line_coverag", "did you mean `line_coverage`"]),
        ("[tool.audit.coverage]\nline_coverage = 120\n", ["line_coverage", "between 0 and 100"]),
        ("[tool.audit.coverage]\nline_coverage = -1\n", ["between 0 and 100"]),
        ("[tool.audit.coverage]\ntests_failed = -1\n", ["tests_failed", "cannot be negative"]),
        ('[tool.audit.coverage]\nline_coverage = "high"\n', ["must be a number", "a string"]),
        ("[tool.audit.coverage]\ncritical_paths = 3\n", ["critical_paths", "list of strings"]),
        ("[tool.audit.coverage]\ntimeout = 0\n", ["timeout", "above 0"]),
        ("[tool.audit.coverag]\n", ["coverag", "did you mean `coverage`"]),
        ('[tool.audit]\ngates = ["lnt"]\n', ["lnt", "did you mean `lint`"]),
        ("[tool.audit.coverage]\nline_coverage = { threshold = 80, blockin = false }\n",
         ["blockin", "did you mean `blocking`"]),
        ("[tool.audit.load]\np95_ms = 0\n", ["p95_ms", "above 0"]),
        ("[tool.audit]\njobs = 0\n", ["jobs"]),
    ],
)
def test_invalid_config(tmp_path: Path, section: str, needles: list[str]) -> None:
    root = _project(tmp_path, section)
    result = run_cli("run", root, "--out", tmp_path / "out")
    _assert_usage_error(result.code, result.stderr, *needles)
    assert not (tmp_path / "out").exists()


def test_unparsable_toml_names_the_line(tmp_path: Path) -> None:
    root = _project(tmp_path, "[tool.audit.coverage]\nline_coverage = = 3\n")
    result = run_cli("run", root)
    _assert_usage_error(result.code, result.stderr, "not valid TOML", "line 6")


def test_missing_path(tmp_path: Path) -> None:
    result = run_cli("run", tmp_path / "nope")
    _assert_usage_error(result.code, result.stderr, "does not exist")


def test_path_is_a_file(tmp_path: Path) -> None:
    file = tmp_path / "file.py"
    file.write_text("x = 1\n")
    result = run_cli("run", file)
    _assert_usage_error(result.code, result.stderr, "is not a directory")


def test_missing_config_file(tmp_path: Path) -> None:
    result = run_cli("run", tmp_path, "--config", tmp_path / "audit.toml")
    _assert_usage_error(result.code, result.stderr, "audit.toml", "does not exist")


def test_config_file_uses_top_level_keys(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text("[coverage]\nline_coverage = 101\n")
    result = run_cli("run", tmp_path, "--config", config)
    _assert_usage_error(result.code, result.stderr, "`line_coverage` in [coverage]", "0 and 100")


def test_unknown_gate_on_command_line(tmp_path: Path) -> None:
    result = run_cli("run", tmp_path, "--gates", "coverage,typo")
    _assert_usage_error(result.code, result.stderr, "typo", "--gates")


def test_unknown_format(tmp_path: Path) -> None:
    result = run_cli("run", tmp_path, "--format", "pdf")
    _assert_usage_error(result.code, result.stderr, "pdf", "--format")


def test_missing_interpreter(tmp_path: Path) -> None:
    result = run_cli("run", tmp_path, "--python", tmp_path / "no-python")
    _assert_usage_error(result.code, result.stderr, "no-python", "does not exist")


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("run", tmp_path, "--gatez", "lint")
    assert result.code == 2
    assert "Traceback" not in result.stderr


def test_report_of_missing_scorecard(tmp_path: Path) -> None:
    result = run_cli("report", tmp_path / "scorecard.json")
    _assert_usage_error(result.code, result.stderr, "does not exist")


def test_report_of_broken_scorecard(tmp_path: Path) -> None:
    card = tmp_path / "scorecard.json"
    card.write_text("{not json")
    result = run_cli("report", card)
    _assert_usage_error(result.code, result.stderr, "not a readable scorecard")


def test_empty_gate_list_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("run", tmp_path, "--gates", "", "--out", tmp_path / "out")
    _assert_usage_error(result.code, result.stderr, "--gates is empty")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_config_file_may_be_written_like_a_pyproject_section(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text("[tool.audit.coverage]\nline_coverage = 101\n")
    result = run_cli("run", tmp_path, "--config", config)
    _assert_usage_error(
        result.code, result.stderr, "`line_coverage` in [tool.audit.coverage]", "0 and 100"
    )


def test_config_file_mixing_both_forms_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text("[lint]\ncritical_errors = 0\n[tool.audit.coverage]\nline_coverage = 90\n")
    result = run_cli("run", tmp_path, "--config", config)
    _assert_usage_error(result.code, result.stderr, "`lint`", "[tool.audit]", "only one")


@pytest.mark.unit
def test_a_synonym_users_type_gets_the_option_it_stands_for() -> None:
    with pytest.raises(ConfigError) as typed:
        config.from_mapping({"load": {"rps": 50}}, "pyproject.toml", "tool.audit")
    assert "`rps` is not a key of [tool.audit.load]; did you mean `rate`?" in str(typed.value)
