"""The shared kit reads typed: pin files into Structs (a file not of its format pins nothing, an
entry without a version pins nothing), options through GateConfig with their declared default,
never one restated in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ConfigError
from auditor.plugin import GateConfig
from auditor.procs import ProcResult
from gates.pins import project_pins
from gates.tools import check_tool_source, required_option, tool_failed
from tests.helpers import write_project

pytestmark = pytest.mark.unit


def test_entries_without_a_version_pin_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        ".pre-commit-config.yaml": """\
            repos:
              - repo: local
                hooks: [{id: ruff, name: ruff, entry: ruff, language: system}]
              - repo: https://github.com/astral-sh/ruff-pre-commit
                rev: v0.15.6
                hooks: [{id: ruff}]
            """,
        "uv.lock": (
            '[[package]]\nname = "ruff"\nsource = { editable = "." }\n\n'
            '[[package]]\nname = "ruff"\nversion = "0.15.4"\n'
        ),
    })
    assert [p.spec for p in project_pins(root, "ruff")] == ["==0.15.6", "==0.15.4"]


@pytest.mark.parametrize(
    "files",
    [
        {".pre-commit-config.yaml": "repos:\n  - rev: v0.15.6\n"},  # a repo without `repo`
        {".pre-commit-config.yaml": "- repo: x\n"},  # not a mapping
        {"uv.lock": '[[package]]\nname = 3\nversion = "0.15.4"\n'},
        {"pyproject.toml": '[project]\nname = "p"\ndependencies = "ruff==0.15.3"\n'},
        {"pyproject.toml": '[tool.uv]\ndev-dependencies = [["ruff==0.15.3"]]\n'},
    ],
)
def test_a_file_not_of_its_format_pins_nothing(tmp_path: Path, files: dict[str, str]) -> None:
    assert project_pins(write_project(tmp_path, files), "ruff") == []


def config(**options: object) -> GateConfig:
    return GateConfig(thresholds={}, blocking={}, options=dict(options), timeout=60.0)


def test_tool_source_is_one_of_its_choices() -> None:
    check_tool_source(config(tool_source="target"), "lint")
    for value in ("", "everywhere", None):
        with pytest.raises(ConfigError, match=r"`tool_source` in \[tool.audit.lint\]"):
            check_tool_source(config(tool_source=value), "lint")


def test_an_option_without_a_value_of_its_kind_is_a_config_error() -> None:
    assert required_option(config(x=False).option_bool("x"), "security", "x") is False
    with pytest.raises(ConfigError, match=r"`x` in \[tool.audit.security\]"):
        required_option(config(x="yes").option_bool("x"), "security", "x")


def test_a_failure_tells_why_the_output_could_not_be_read() -> None:
    result = ProcResult(
        cmd=("tool",), returncode=0, stdout="[1, 2, 3]\n", stderr="", duration_s=0.1
    )
    error = tool_failed("tool wrote no JSON report", result, detail="Expected `object`")
    assert str(error) == "tool wrote no JSON report (exit code 0): [1, 2, 3] (Expected `object`)"
    assert error.log_tail
