"""The lint gate drives the real ruff on miniature projects; figures are checked against ruff."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gates.lint.ruff_run import (
    RuffFinding,
    Selection,
    check_command,
    is_critical,
    merge_critical,
)
from tests import helpers
from tests.helpers import (
    condition,
    copy_project,
    gate,
    run_cli,
    tool_command,
    tree_snapshot,
    write_project,
)
from tests.shared import once_per_run

CRITICAL = ["E9", "F63", "F7", "F82"]


def ruff_by_hand(root: Path, *extra: str) -> list[dict[str, Any]]:
    """`ruff check --output-format json` run directly, with the audit's critical rules added."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-fix", "--no-cache", "--output-format",
         "json", "--extend-select", ",".join(CRITICAL), *extra, "."],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    found: list[dict[str, Any]] = json.loads(proc.stdout)
    return found


def critical_by_hand(found: list[dict[str, Any]], rules: list[str]) -> int:
    return sum(
        1
        for item in found
        if item["code"] in (None, "invalid-syntax")
        or any(item["code"].startswith(rule) for rule in rules)
    )


def audit(root: Path, out: Path, *extra: str | Path) -> tuple[int, dict[str, Any]]:
    return helpers.audit(root, out, *extra, gates="lint")


@pytest.fixture(scope="module")
def findings_audit(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, int, dict[str, Any], dict[str, float], dict[str, bytes]]:
    def build(base: Path) -> tuple[Path, int, dict[str, Any], dict[str, float], dict[str, bytes]]:
        root = copy_project("lint_findings", base)
        before = tree_snapshot(root)
        contents = {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        code, card = audit(root, base / "out")
        return root, code, card, before, contents

    return once_per_run(tmp_path_factory, "lint-findings", build)


def test_critical_and_warnings_fail_the_gate(findings_audit: Any) -> None:
    _root, code, card, _before, _contents = findings_audit
    assert code == 1
    assert gate(card, "lint")["status"] == "failed"
    assert condition(card, "lint", "critical_errors")["value"] == 1
    assert condition(card, "lint", "max_warnings_per_file")["value"] == 6
    details = gate(card, "lint")["details"]
    assert details["selection"] == "project configuration in pyproject.toml"
    assert details["by_file"]["pkg/noisy.py"] == {"critical": 0, "warnings": 6}
    assert details["by_file"]["pkg/broken.py"] == {"critical": 1, "warnings": 0}
    critical = [f for f in gate(card, "lint")["findings"] if f["severity"] == "critical"]
    assert [(f["path"], f["line"], f["rule"]) for f in critical] == [("pkg/broken.py", 2, "F821")]


def test_counts_equal_ruff_run_by_hand(findings_audit: Any) -> None:
    root, _code, card, _before, _contents = findings_audit
    found = ruff_by_hand(root)
    details = gate(card, "lint")["details"]
    assert details["by_rule"] == dict(Counter(item["code"] for item in found))
    assert len(gate(card, "lint")["findings"]) == len(found)
    assert condition(card, "lint", "critical_errors")["value"] == critical_by_hand(found, CRITICAL)
    warnings_per_file = Counter(
        item["filename"] for item in found if critical_by_hand([item], CRITICAL) == 0
    )
    assert condition(card, "lint", "max_warnings_per_file")["value"] == max(
        warnings_per_file.values()
    )


def test_fix_true_project_is_left_unchanged(findings_audit: Any) -> None:
    root, _code, _card, before, contents = findings_audit
    assert tree_snapshot(root) == before
    assert {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()} == contents
    assert not list(root.rglob(".ruff_cache"))


def test_outer_configuration_is_not_used(tmp_path: Path) -> None:
    # A project checked out inside another one that selects every rule.
    write_project(tmp_path / "outer", {"pyproject.toml": '[tool.ruff.lint]\nselect = ["ALL"]\n'})
    root = copy_project("lint_clean", tmp_path / "outer")
    assert ruff_by_hand(root), "ruff itself applies the outer configuration"
    code, card = audit(root, tmp_path / "out")
    assert code == 0
    details = gate(card, "lint")["details"]
    assert details["selection"].startswith("ruff defaults: no ruff configuration")
    assert "outer/pyproject.toml lies outside the target" in details["selection"]
    isolated = ruff_by_hand(root, "--isolated")
    assert len(gate(card, "lint")["findings"]) == len(isolated)
    assert details["files_checked"] == 1


def test_requires_python_applies_without_a_ruff_section(tmp_path: Path) -> None:
    """A project with no [tool.ruff] is checked as `ruff check` checks it in its root: ruff
    still reads `requires-python`, which sets its target version (the syntax it accepts and the
    rules that apply), as it did for boltons."""
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": '[project]\nname = "old"\nversion = "1"\nrequires-python = ">=3.8"\n',
        "old.py": """\
            from typing import List, Optional


            def first(items: Optional[List[int]]) -> int:
                match items:
                    case [head, *_]:
                        return head
                return 0
            """,
    })
    found = ruff_by_hand(root)
    # On Python 3.8 `match` is a syntax error and the pyupgrade rules for newer versions are off:
    # ruff's defaults without the project's target version count other findings.
    isolated = ruff_by_hand(root, "--isolated")
    assert Counter(i["code"] for i in found) != Counter(i["code"] for i in isolated)
    assert critical_by_hand(found, CRITICAL) == 1 > critical_by_hand(isolated, CRITICAL)
    code, card = audit(root, tmp_path / "out")
    lint = gate(card, "lint")
    assert code == 1
    assert lint["details"]["by_rule"] == dict(Counter(i["code"] for i in found))
    assert sorted((f["path"], f["line"], f["rule"]) for f in lint["findings"]) == sorted(
        (i["filename"].removeprefix(f"{root}/"), i["location"]["row"], i["code"]) for i in found
    )
    assert condition(card, "lint", "critical_errors")["value"] == 1
    assert lint["details"]["selection"] == (
        "ruff defaults: no ruff configuration at the target root; target version from "
        "requires-python '>=3.8' in pyproject.toml"
    )
    assert not list(root.rglob(".ruff_cache"))


def test_ruff_config_option_names_a_configuration(tmp_path: Path) -> None:
    write_project(tmp_path / "outer", {"pyproject.toml": '[tool.ruff.lint]\nselect = ["ALL"]\n'})
    root = copy_project("lint_clean", tmp_path / "outer")
    config = write_project(tmp_path, {"audit.toml": '[lint]\nruff_config = "../pyproject.toml"\n'})
    code, card = audit(root, tmp_path / "out", "--config", config / "audit.toml")
    found = ruff_by_hand(root, "--config", str(tmp_path / "outer" / "pyproject.toml"))
    assert found
    assert code in (0, 1)
    assert gate(card, "lint")["details"]["by_rule"] == dict(Counter(i["code"] for i in found))
    assert gate(card, "lint")["details"]["selection"].endswith("(ruff_config)")


def test_syntax_errors_and_configured_critical_rules(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": """\
            [tool.ruff.lint]
            select = ["F401"]

            [tool.audit.lint]
            critical_rules = ["F401"]
            """,
        "bad.py": "def broken(:\n    pass\n",
        "imports.py": "import os\nimport sys\n",
    })
    code, card = audit(root, tmp_path / "out")
    found = ruff_by_hand(root, "--extend-select", "F401")
    assert code == 1
    assert any(item["code"] in (None, "invalid-syntax") for item in found)
    assert condition(card, "lint", "critical_errors")["value"] == critical_by_hand(found, ["F401"])
    assert condition(card, "lint", "max_warnings_per_file")["value"] == 0
    assert gate(card, "lint")["details"]["critical_rules"] == ["F401", "invalid-syntax"]


FAKE_RUFF = """\
import subprocess
import sys

args = sys.argv[1:]
if args == ["--version"]:
    print("ruff 0.0.0")
    sys.exit(0)
if "--show-files" in args:
    sys.exit(subprocess.run([sys.executable, "-m", "ruff", *args], check=False).returncode)
{body}
"""

BEHAVIOURS = {
    "crash": 'print("ruff failed: internal error while checking", file=sys.stderr)\nsys.exit(2)',
    "garbage": 'print("<<< this is not json >>>")\nsys.exit(0)',
    "inconsistent": 'print("[]")\nsys.exit(1)',
}


@pytest.mark.parametrize("behaviour", ["missing", *BEHAVIOURS])
def test_fails_closed(tmp_path: Path, behaviour: str) -> None:
    root = copy_project("lint_findings", tmp_path)
    script = None if behaviour == "missing" else FAKE_RUFF.format(body=BEHAVIOURS[behaviour])
    command = tool_command(tmp_path, "ruff", script)
    config = tmp_path / "audit.toml"
    config.write_text(f"[lint]\nruff_command = {json.dumps(command)}\n", encoding="utf-8")
    code, card = audit(root, tmp_path / "out", "--config", config)
    lint = gate(card, "lint")
    assert code == 3
    assert lint["status"] == "error"
    expected = {
        "missing": "was not found",
        "crash": "internal error while checking",
        "garbage": "not the JSON",
        "inconsistent": "cannot be trusted",
    }[behaviour]
    assert expected in lint["reason"]


def test_bad_critical_rule_is_a_config_error(tmp_path: Path) -> None:
    root = copy_project("lint_clean", tmp_path)
    config = tmp_path / "audit.toml"
    config.write_text('[lint]\ncritical_rules = ["f82"]\n', encoding="utf-8")
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out",
                     "--config", config)
    assert result.code == 2
    assert "critical_rules" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("rule", "selectors", "expected"),
    [
        ("F821", ["F82"], True),
        ("F811", ["F82"], False),
        ("E999", ["E9"], True),
        ("EM101", ["E"], False),
        ("E501", ["E"], True),
        ("PLE1142", ["PL"], True),
        ("PLE1142", ["PLE1"], True),
        ("PLW0602", ["PLE"], False),
        ("C901", ["C4"], False),
        ("UP006", ["ALL"], True),
        ("invalid-syntax", [], True),
    ],
)
@pytest.mark.unit
def test_critical_selectors_match_like_ruff(
    rule: str, selectors: list[str], expected: bool
) -> None:
    assert is_critical(rule, selectors) is expected



def test_the_projects_ignores_never_hide_a_critical_finding(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": (
            '[tool.ruff.lint]\nselect = ["F"]\nignore = ["F821"]\n'
            'per-file-ignores = { "pkg/*" = ["F"] }\n'
        ),
        "pkg/__init__.py": "import os\n\n\ndef f():\n    return undefined_name\n",
        "top.py": "def g():\n    return other_undefined\n",
    })
    # By hand, the project's configuration hides the undefined name in pkg/ (and the unused
    # import, which is not critical and stays hidden).
    by_hand = ruff_by_hand(root)
    assert [(Path(f["filename"]).name, f["code"]) for f in by_hand] == [("top.py", "F821")]
    code, card = audit(root, tmp_path / "out")
    assert code == 1
    assert condition(card, "lint", "critical_errors")["value"] == 2
    assert sorted((f["path"], f["rule"]) for f in gate(card, "lint")["findings"]) == [
        ("pkg/__init__.py", "F821"), ("top.py", "F821"),
    ]
    warnings = gate(card, "lint")["details"]["warnings"]
    assert any("1 critical finding(s) the project's ruff configuration ignores" in w
               and "pkg/__init__.py:5 F821" in w for w in warnings), warnings
    # Accepting one is a waiver, visible on the scorecard.
    expires = dt.date.today() + dt.timedelta(days=30)
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[[tool.audit.waivers]]\ngate = "lint"\nrule = "F821"\npath = "pkg/*"\n'
            f'reason = "generated names"\nowner = "core"\nexpires = {expires.isoformat()}\n'
        )
    code, card = audit(root, tmp_path / "out2")
    assert condition(card, "lint", "critical_errors")["value"] == 1
    states = {f["path"]: f["state"] for f in gate(card, "lint")["findings"]}
    assert states == {"pkg/__init__.py": "waived", "top.py": "new"}


@pytest.mark.unit
def test_critical_findings_come_from_the_critical_check() -> None:
    def found(path: str, line: int, rule: str) -> RuffFinding:
        return RuffFinding(path=path, line=line, column=1, rule=rule, name="", message="m")

    main = [found("a.py", 1, "F401"), found("a.py", 2, "F821")]
    critical = [found("a.py", 2, "F821"), found("pkg/b.py", 3, "F821")]
    merged, hidden = merge_critical(main, critical, ["F82"])
    assert merged == [found("a.py", 1, "F401"), *critical]
    assert hidden == [found("pkg/b.py", 3, "F821")]
    command = check_command(["ruff"], Selection(args=(), description="x"), ["E9", "F82"],
                            Path("/c"), critical_only=True)
    assert command[command.index("--select") + 1] == "E9,F82"
    assert "lint.per-file-ignores = {}" in command
    assert "lint.ignore = []" in command
    assert "--no-fix" in command
