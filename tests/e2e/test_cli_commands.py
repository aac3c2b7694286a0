"""`audit init`, `audit gates` and `audit --help`."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from coverage import CoverageData

from auditor import __version__, config
from auditor.registry import gates as registered_gates
from tests.e2e.uncomment import uncommented
from tests.helpers import run_cli, write_project


def test_init_writes_every_default_and_the_result_loads(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"pyproject.toml": '[project]\nname = "p"\n'})
    result = run_cli("init", root)
    assert result.code == 0, result.stderr
    text = (root / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "p"\n')
    # Every default is written as a comment; uncommented, each reads as the gate declares it.
    assert "gates" not in tomllib.loads(text)["tool"]["audit"]
    section = tomllib.loads(uncommented(text))["tool"]["audit"]
    for gate in registered_gates().values():
        for spec in gate.conditions:
            assert section[gate.id][spec.id] == spec.default
    loaded = config.load(root, None)
    assert loaded.selected == tuple(registered_gates())


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"pyproject.toml": "[tool.audit]\n"})
    result = run_cli("init", root)
    assert result.code == 2
    assert "already has a [tool.audit] section" in result.stderr
    assert (root / "pyproject.toml").read_text() == "[tool.audit]\n"


def test_gates_lists_every_condition_with_operator_and_precision() -> None:
    result = run_cli("gates")
    assert result.code == 0
    listing = " ".join(result.stdout.split())
    for gate in registered_gates().values():
        for spec in gate.conditions:
            assert spec.id in result.stdout
        # Every help text word for word: brackets in it are text, not markup.
        for option in gate.options:
            assert f"option {option.name}: {' '.join(option.help.split())}" in listing
    assert "shards are combined with the project's [paths]" in listing
    assert "2 decimal places" in listing


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.code == 0
    for command in ("run", "init", "gates", "report"):
        assert command in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.code == 0, result.stderr
    assert result.stdout == f"audit {__version__}\n"


def test_a_measured_run_of_the_command_keeps_its_coverage_data(tmp_path: Path) -> None:
    """The command exits without the interpreter's teardown, except when traced: coverage.py
    running it (`coverage run -m auditor`) still writes what it measured."""
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-m", "coverage", "run", f"--data-file={data}", "--source=auditor",
         "-m", "auditor", "--version"],
        capture_output=True, text=True, check=False, timeout=120, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"audit {__version__}\n"
    measured = CoverageData(basename=str(data))
    measured.read()
    assert any(name.endswith("auditor/cli.py") for name in measured.measured_files())
