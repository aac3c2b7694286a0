"""The target's own pinned ruff and mypy (and a mypy plugin installed in its environment) are
what the audit runs; the bundled tool with another pin is reported with both versions.

These use the pinned-tools environment tests/.toolenv (see helpers.pinned_python).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    condition,
    gate,
    pinned_python,
    pinned_versions,
    run_cli,
    write_project,
)

CRITICAL = "E9,F63,F7,F82"

# Findings that the default rules of ruff 0.15 and of the bundled ruff count differently.
LINT_CODE = """\
import os, sys
from typing import List


def f(x: List[int]) -> List[int]:
    l = 1
    if x == None:
        return []
    return x


print(f"hi")
"""


def ruff_by_hand(python: Path | str, root: Path) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [python, "-m", "ruff", "check", "--no-fix", "--no-cache", "--output-format", "json",
         "--extend-select", CRITICAL, "--isolated", "--", "."],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    found: list[dict[str, Any]] = json.loads(proc.stdout)
    return found


def most_per_file(found: list[dict[str, Any]]) -> int:
    counts: dict[str, int] = {}
    for item in found:
        counts[item["filename"]] = counts.get(item["filename"], 0) + 1
    return max(counts.values(), default=0)


def audit(
    root: Path, out: Path, gates: str, python: Path, *extra: str
) -> tuple[int, dict[str, Any], str]:
    result = run_cli("run", root, "--gates", gates, "--python", python, "--out", out,
                     "--format", "json,markdown", *extra)
    card: dict[str, Any] = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    return result.code, card, result.stdout


def lint_project(root: Path, source: str) -> Path:
    ruff = pinned_versions()["ruff"]
    return write_project(root, {
        "pyproject.toml": f"""\
            [project]
            name = "pinned"
            version = "1"

            [dependency-groups]
            lint = ["ruff=={ruff}"]

            [tool.audit.lint]
            tool_source = "{source}"
            max_warnings_per_file = 100
            """,
        "mod.py": LINT_CODE,
    })


def test_lint_runs_the_targets_pinned_ruff(tmp_path: Path) -> None:
    python = pinned_python()
    root = lint_project(tmp_path / "proj", "auto")
    code, card, stdout = audit(root, tmp_path / "out", "lint", python)
    assert code == 0, stdout
    by_hand = ruff_by_hand(python, root)
    bundled = ruff_by_hand(sys.executable, root)
    assert {f["code"] for f in by_hand} != {f["code"] for f in bundled}, (
        "the test needs a figure that differs between the pinned and the bundled ruff"
    )
    assert condition(card, "lint", "max_warnings_per_file")["value"] == most_per_file(by_hand)
    assert sorted(f["rule"] for f in gate(card, "lint")["findings"]) == sorted(
        f["code"] for f in by_hand
    )
    details = gate(card, "lint")["details"]
    version = pinned_versions()["ruff"]
    assert details["tools"][0]["source"] == "target"
    assert details["tools"][0]["version"] == version
    assert details["tools"][0]["pins"] == [
        {"spec": f"=={version}", "where": "pyproject.toml [dependency-groups] lint"}
    ]
    assert "warnings" not in details, "the pinned version ran: nothing to warn about"
    named = f"ruff {version} (the target's environment)"
    assert named in (tmp_path / "out" / "scorecard.md").read_text(encoding="utf-8")
    assert f"tools: lint: {named}" in stdout


def test_bundled_ruff_with_another_pin_is_reported_with_both_versions(tmp_path: Path) -> None:
    pinned_python()
    root = lint_project(tmp_path / "proj", "bundled")
    _code, card, stdout = audit(root, tmp_path / "out", "lint", Path(sys.executable))
    details = gate(card, "lint")["details"]
    tool = details["tools"][0]
    pinned = pinned_versions()["ruff"]
    assert tool["source"] == "bundled"
    assert tool["version"] != pinned
    [warning] = details["warnings"]
    assert f"ruff {tool['version']} (bundled with the auditor) ran" in warning
    assert f"ruff=={pinned} in pyproject.toml [dependency-groups] lint" in warning
    markdown = (tmp_path / "out" / "scorecard.md").read_text(encoding="utf-8")
    assert "(bundled with the auditor) ran, but the project pins" in markdown
    assert f"warning: lint: ruff {tool['version']} (bundled" in stdout
    # The figures are the bundled ruff's own.
    assert condition(card, "lint", "max_warnings_per_file")["value"] == most_per_file(
        ruff_by_hand(sys.executable, root)
    )


# With pydantic's plugin, model constructors take Any unless init_typed is set: the call below
# is an error for mypy without the plugin and none with it.
PLUGIN_CODE = """\
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: int


def make() -> Item:
    return Item(name="tea", price="3")


count: int = "many"
"""


def mypy_errors_by_hand(python: Path, root: Path, scratch: Path) -> int:
    proc = subprocess.run(
        [python, "-m", "mypy", "--python-executable", python, "--cache-dir", scratch, "pkg"],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    summary = re.search(r"Found (\d+) errors? in", proc.stdout)
    return int(summary.group(1)) if summary else 0


def test_type_runs_the_targets_mypy_with_its_plugin(tmp_path: Path) -> None:
    python = pinned_python()
    version = pinned_versions()["mypy"]
    root = write_project(tmp_path / "proj", {
        "requirements-dev.txt": f"pydantic\nmypy=={version} \\\n    --hash=sha256:00\n",
        "pyproject.toml": """\
            [tool.mypy]
            plugins = ["pydantic.mypy"]
            """,
        "pkg/__init__.py": "",
        "pkg/models.py": PLUGIN_CODE,
    })
    code, card, stdout = audit(root, tmp_path / "out", "type", python)
    assert code == 1, stdout
    errors = mypy_errors_by_hand(python, root, tmp_path / "cache")
    assert errors == 1, "only the plain assignment: the plugin made the constructor untyped"
    assert condition(card, "type", "type_errors")["value"] == errors
    details = gate(card, "type")["details"]
    assert details["tools"][0]["source"] == "target"
    assert details["tools"][0]["version"] == version
    pins = [{"spec": f"=={version}", "where": "requirements-dev.txt"}]
    assert details["tools"][0]["pins"] == pins
    assert "pkg: the packages and modules at the root" in details["checked"]
    assert f"mypy {version} (the target's environment)" in stdout


def test_tool_source_target_without_the_tool_is_an_error(tmp_path: Path) -> None:
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    root = lint_project(tmp_path / "proj", "target")
    code, card, _stdout = audit(root, tmp_path / "out", "lint", venv / "bin" / "python")
    assert code == 3
    assert "ruff is not installed in the target's interpreter" in gate(card, "lint")["reason"]


@pytest.mark.parametrize("value", ["everywhere", 3])
def test_tool_source_must_be_a_choice(tmp_path: Path, value: object) -> None:
    root = write_project(tmp_path / "proj", {"mod.py": "x = 1\n"})
    config = tmp_path / "audit.toml"
    config.write_text(f"[type]\ntool_source = {json.dumps(value)}\n", encoding="utf-8")
    result = run_cli("run", root, "--gates", "type", "--config", config, "--out", tmp_path / "o")
    assert result.code == 2
    assert "tool_source" in result.stderr
