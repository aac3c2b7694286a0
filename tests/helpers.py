"""Helpers for tests: run the CLI as a subprocess, make miniature projects, check scorecards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor import config, runner
from auditor.model import GateResult
from auditor.scorecard import dumps, schema

PROJECTS = Path(__file__).parent / "projects"
FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path | None = None, timeout: float = 300,
            env: dict[str, str] | None = None) -> CliResult:
    """Run `audit ARGS` in a subprocess with the test's interpreter."""
    # Wide enough that no line the tests look for is wrapped, whatever the terminal (or a
    # parallel worker) set.
    full_env = {**os.environ, "COLUMNS": "200"}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def audit(
    root: Path,
    out: Path,
    *extra: str | Path,
    gates: str,
    python: str | Path | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Run `audit run ROOT --gates GATES --out OUT --format json EXTRA` as a user would, in a
    subprocess; the exit code and the scorecard, validated against the shipped schema."""
    interpreter = ("--python", str(python)) if python is not None else ()
    result = run_cli(
        "run", root, "--gates", gates, *interpreter, "--out", out, "--format", "json", *extra,
        env=env,
    )
    assert (out / "scorecard.json").is_file(), result.stderr
    return result.code, load_scorecard(out)


def run_gate(
    gate_id: str, root: Path, out: Path, *, python: Path | None = None
) -> GateResult:
    """Run one gate on ROOT in this process (the tools still run as child processes), with the
    project's own configuration: the scored result, as it would appear in the scorecard."""
    cfg = config.load(root, None)
    plan = runner.Plan(
        root=root,
        python=python or Path(sys.executable),
        python_source="the test's interpreter",
        out_dir=out,
        gates=cfg.gates,
        selected=(gate_id,),
        enabled=cfg.enabled,
        jobs=1,
        exclude=cfg.exclude,
    )
    card = runner.run_audit(plan)
    validate_scorecard(json.loads(dumps(card)))
    return card.gates[0]


def copy_project(name: str, dest: Path) -> Path:
    """Copy the miniature project tests/projects/NAME into DEST and return its root."""
    root = dest / name
    shutil.copytree(PROJECTS / name, root)
    return root


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Create a project from a mapping of relative paths to (dedented) file contents."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def tool_command(tmp_path: Path, name: str, script: str | None) -> list[str]:
    """A `<tool>_command` for fail-closed tests: a missing executable when SCRIPT is None, else a
    real Python program with that source (one that crashes, prints garbage, ...)."""
    if script is None:
        return [str(tmp_path / f"no-such-{name}")]
    path = tmp_path / f"fake_{name}.py"
    path.write_text(script, encoding="utf-8")
    return [sys.executable, str(path)]


@cache
def _scorecard_validator() -> jsonschema.Draft202012Validator:
    """The shipped schema, checked and compiled once per process (it is large)."""
    shipped = schema()
    jsonschema.Draft202012Validator.check_schema(shipped)
    return jsonschema.Draft202012Validator(shipped)


def validate_scorecard(data: object) -> None:
    """Raise jsonschema.ValidationError unless DATA follows the shipped scorecard schema."""
    _scorecard_validator().validate(data)


def load_scorecard(out_dir: Path) -> dict[str, Any]:
    """Read OUT_DIR/scorecard.json and validate it against the shipped JSON Schema."""
    data: dict[str, Any] = json.loads((out_dir / "scorecard.json").read_text(encoding="utf-8"))
    validate_scorecard(data)
    return data


def gate(card: dict[str, Any], gate_id: str) -> dict[str, Any]:
    """The gate of that id in a scorecard."""
    found: dict[str, Any] = next(g for g in card["gates"] if g["id"] == gate_id)
    return found


def condition(card: dict[str, Any], gate_id: str, condition_id: str) -> dict[str, Any]:
    """The condition of that id in a scorecard's gate."""
    found: dict[str, Any] = next(
        c for c in gate(card, gate_id)["conditions"] if c["id"] == condition_id
    )
    return found


def tree_snapshot(root: Path) -> dict[str, float]:
    """Every file under ROOT with its modification time, to prove an audit changed nothing."""
    return {str(p.relative_to(root)): p.stat().st_mtime for p in sorted(root.rglob("*"))}


PINNED_VENV = Path(__file__).parent / ".toolenv"
"""A target environment with the older tools of tests/fixtures/pinned-tools.txt (scripts/test.sh
prepares it once; it is git-ignored)."""
PINNED_TOOLS = FIXTURES / "pinned-tools.txt"


def pinned_versions() -> dict[str, str]:
    """The tools and versions tests/fixtures/pinned-tools.txt pins, by name."""
    lines = PINNED_TOOLS.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("==") for line in lines if "==" in line and not line.startswith("#"))
    return {name.strip(): version.strip() for name, version in pairs}


def pinned_python() -> Path:
    """The interpreter of the pinned-tools environment; skips the test when it is not ready."""
    python = PINNED_VENV / "bin" / "python"
    versions = pinned_versions()
    probe = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    found: dict[str, str] = {}
    if python.is_file():
        proc = subprocess.run([python, "-c", probe, *versions], capture_output=True, text=True,
                              check=False)
        found = json.loads(proc.stdout) if proc.returncode == 0 else {}
    if found != versions:
        pytest.skip(
            f"the pinned-tools environment {PINNED_VENV} is missing or incomplete; run "
            f"scripts/test.sh, or: python3 -m venv {PINNED_VENV} && "
            f"{PINNED_VENV}/bin/pip install -r {PINNED_TOOLS}"
        )
    return python
