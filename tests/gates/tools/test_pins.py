"""Reading the versions a project pins, from each kind of file, with their real parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.toolinfo import Pin, ResolvedTool, Source
from gates.pins import project_pins
from tests.helpers import write_project

pytestmark = pytest.mark.unit


def test_pins_from_every_kind_of_file(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        ".pre-commit-config.yaml": """\
            repos:
              - repo: https://github.com/astral-sh/ruff-pre-commit
                rev: v0.15.6
                hooks: [{id: ruff}]
              - repo: https://github.com/pre-commit/mirrors-mypy
                rev: v1.19.1
                hooks: [{id: mypy}]
              - repo: https://github.com/PyCQA/bandit.git
                rev: "1.7.5"
                hooks: [{id: bandit}]
            """,
        "requirements-dev.txt": """\
            # tools
            -r requirements.txt
            ruff==0.15.5 \\
                --hash=sha256:0000
            mypy>=1.10,<2  # a range
            """,
        "requirements/lint.txt": "Ruff ~= 0.15.0\n",
        "uv.lock": '[[package]]\nname = "ruff"\nversion = "0.15.4"\n',
        "poetry.lock": '[[package]]\nname = "mypy"\nversion = "1.18.2"\n',
        "pyproject.toml": """\
            [project]
            name = "p"
            optional-dependencies = { dev = ["mypy==1.17.0", "ruff"] }

            [dependency-groups]
            lint = ["ruff==0.15.3", { include-group = "dev" }]
            """,
    })
    assert project_pins(root, "ruff") == [
        Pin("==0.15.6", ".pre-commit-config.yaml "
            "(https://github.com/astral-sh/ruff-pre-commit rev v0.15.6)"),
        Pin("~=0.15.0", "requirements/lint.txt"),
        Pin("==0.15.5", "requirements-dev.txt"),
        Pin("==0.15.4", "uv.lock"),
        Pin("==0.15.3", "pyproject.toml [dependency-groups] lint"),
    ]
    assert [p.spec for p in project_pins(root, "mypy")] == [
        "==1.19.1", "<2,>=1.10", "==1.18.2", "==1.17.0",
    ]
    assert [p.spec for p in project_pins(root, "bandit")] == ["==1.7.5"]


def test_unreadable_files_pin_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        ".pre-commit-config.yaml": "repos: [: not yaml",
        "uv.lock": "[[package\n",
        "pyproject.toml": "[dependency-groups]\nlint = 3\n",
        "requirements.txt": "ruff=== not a requirement\n",
    })
    assert project_pins(root, "ruff") == []


def ruff(
    source: Source, version: str, pins: tuple[Pin, ...], command: str = "ruff"
) -> ResolvedTool:
    """A resolved ruff, built with keywords as every ResolvedTool is."""
    return ResolvedTool(
        name="ruff", version=version, source=source, command=(command,), pins=pins
    )


def test_warning_only_for_an_unmet_pin() -> None:
    met = ruff("target", "0.15.6", (Pin(">=0.15,<0.16", "uv.lock"),))
    assert met.pin_warnings() == []
    unmet = ruff("bundled", "0.17.6", (Pin("==0.15.6", "uv.lock"),))
    [warning] = unmet.pin_warnings()
    assert "ruff 0.17.6 (bundled with the auditor) ran" in warning
    assert "ruff==0.15.6 in uv.lock" in warning
    configured = ruff("configured", "0.17.6", (Pin("==0.15.6", "uv.lock"),), command="x")
    assert configured.pin_warnings() == []


def test_one_exact_pin_met_is_enough_but_every_range_must_hold() -> None:
    pins = (Pin("==0.15.6", ".pre-commit-config.yaml"), Pin("==0.15.5", "uv.lock"))
    assert ruff("target", "0.15.6", pins, command="r").pin_warnings() == []
    [warning] = ruff("target", "0.15.4", pins, command="r").pin_warnings()
    assert "ruff==0.15.6 in .pre-commit-config.yaml; ruff==0.15.5 in uv.lock" in warning
    ranged = (*pins, Pin("<0.15.6", "requirements.txt"))
    [warning] = ruff("target", "0.15.6", ranged, command="r").pin_warnings()
    assert "ruff<0.15.6 in requirements.txt" in warning
    assert "uv.lock" not in warning
