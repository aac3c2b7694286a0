"""Baselines on real git repositories: fingerprints that survive moves, multiset matching, fixed
entries and `--prune`, waivers with expiry, and `--new-code` against a merge base."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from tests.gitrepo import commit_all, git, init_repo, status
from tests.helpers import audit, run_cli

PYPROJECT = """\
[project]
name = "demo"

[tool.ruff.lint]
select = ["F"]
"""
APP = """\
import os


def handler(x):
    unused = 1
    return missing_name + x
"""
BAD_LINE = "    return missing_name + x\n"


def _repo(tmp_path: Path, pyproject: str = PYPROJECT) -> Path:
    return init_repo(tmp_path / "repo", {"pyproject.toml": pyproject, "app.py": APP})


def _findings(card: dict[str, Any]) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = card["gates"][0]["findings"]
    return findings


def _states(card: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["state"]) for f in _findings(card))


def _baseline(root: Path) -> str:
    result = run_cli("baseline", root, "--gates", "lint")
    assert result.code == 0, result.stderr
    assert f"Wrote {root / 'audit-baseline.json'}" in result.stdout
    return (root / "audit-baseline.json").read_text(encoding="utf-8")


def test_baseline_file_has_one_sorted_entry_per_line(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    text = _baseline(root)
    entries = [json.loads(line.strip().rstrip(",")) for line in text.splitlines()
               if line.strip().startswith('{"fingerprint"')]
    assert sorted((e["rule"], e["path"]) for e in entries) == [
        ("F401", "app.py"), ("F821", "app.py"), ("F841", "app.py"),
    ]
    assert [(e["gate"], e["path"], e["rule"]) for e in entries] == sorted(
        (e["gate"], e["path"], e["rule"]) for e in entries
    )
    assert all(set(e) == {"fingerprint", "gate", "rule", "path", "message"} for e in entries)
    assert json.loads(text)["findings"] == entries


def test_baselined_findings_survive_moving_down_and_reindenting(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    _baseline(root)
    code, card = audit(root, tmp_path / "out1", gates="lint")
    assert code == 0
    assert _states(card) == [("F401", "baselined"), ("F821", "baselined"), ("F841", "baselined")]
    before = {f["rule"]: f["fingerprint"] for f in _findings(card)}

    moved = APP.replace(
        "def handler(x):\n    unused = 1\n    return missing_name + x\n",
        "\n" * 20 + "def handler(x):\n    if x:\n        unused = 1\n"
        "        return missing_name + x\n    return 0\n",
    )
    (root / "app.py").write_text(moved, encoding="utf-8")
    code, card = audit(root, tmp_path / "out2", gates="lint")
    assert code == 0
    lines = {f["rule"]: f["line"] for f in _findings(card)}
    assert lines["F821"] == 27  # 20 lines further down, one level deeper
    assert {f["rule"]: f["fingerprint"] for f in _findings(card)} == before
    assert _states(card) == [("F401", "baselined"), ("F821", "baselined"), ("F841", "baselined")]


def test_a_copied_bad_line_is_exactly_one_new_finding(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    _baseline(root)
    (root / "app.py").write_text(APP.replace(BAD_LINE, BAD_LINE + BAD_LINE), encoding="utf-8")
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out", "--format", "json")
    card = json.loads((tmp_path / "out" / "scorecard.json").read_text())
    assert result.code == 1
    new = [f for f in _findings(card) if f["state"] == "new"]
    assert [(f["rule"], f["line"]) for f in new] == [("F821", 7)]
    critical = next(c for c in card["gates"][0]["conditions"] if c["id"] == "critical_errors")
    assert critical["value"] == 1
    assert "1 new finding count, 3 baselined" in result.stdout


def test_a_fixed_finding_is_reported_and_prune_removes_only_it(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    original = _baseline(root)
    commit_all(root, "baseline")
    # Fix the unused import, and add a new warning that prune must not adopt.
    (root / "app.py").write_text(
        APP.replace("import os\n", "") + "\n\ndef extra():\n    spare = 2\n", encoding="utf-8"
    )
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out", "--format",
                     "json,markdown,html")
    assert result.code == 0, result.stdout
    card = json.loads((tmp_path / "out" / "scorecard.json").read_text())
    fixed = card["counting"]["baseline"]["fixed"]
    assert [(e["rule"], e["path"]) for e in fixed] == [("F401", "app.py")]
    assert "1 baselined finding is fixed: `audit baseline --prune` locks that in" in result.stdout
    assert "Fixed since the baseline" in (tmp_path / "out" / "scorecard.md").read_text()
    html = (tmp_path / "out" / "scorecard.html").read_text()
    assert "What counts" in html
    assert "Fixed since the baseline" in html
    assert status(root) == " M app.py\n"  # the run wrote nothing into the target

    stale = root / "stale.toml"
    stale.write_text('stale_baseline = "fail"\n[lint]\n', encoding="utf-8")
    failing = run_cli("run", root, "--gates", "lint", "--config", stale, "--out",
                      tmp_path / "out2", "--format", "json")
    assert failing.code == 1
    stale.unlink()

    pruned = run_cli("baseline", root, "--gates", "lint", "--prune")
    assert pruned.code == 0, pruned.stderr
    assert "removed 1 fixed entry" in pruned.stdout
    kept = [line for line in original.splitlines() if '"F401"' not in line]
    assert (root / "audit-baseline.json").read_text().splitlines() == kept


def test_prune_without_a_baseline_is_a_usage_error(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    result = run_cli("baseline", root, "--gates", "lint", "--prune")
    assert result.code == 2
    assert "write one with `audit baseline`" in result.stderr
    assert not (root / "audit-baseline.json").exists()


def _waivers(*tables: str) -> str:
    return PYPROJECT.replace("[tool.ruff.lint]", "\n".join(tables) + "\n[tool.ruff.lint]")


def _waiver(rule: str, expires: dt.date, reason: str = "legacy handler, rewritten in Q3") -> str:
    return (
        f'[[tool.audit.waivers]]\ngate = "lint"\nrule = "{rule}"\npath = "app*.py"\n'
        f'reason = "{reason}"\nowner = "payments-team"\nexpires = {expires.isoformat()}\n'
    )


def test_waivers_waive_until_they_expire_and_unused_ones_are_reported(tmp_path: Path) -> None:
    today = dt.date.today()
    root = _repo(tmp_path, _waivers(
        _waiver("F821", today + dt.timedelta(days=30)),
        _waiver("F841", today - dt.timedelta(days=1)),
        _waiver("E999", today + dt.timedelta(days=5)),
    ))
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out", "--format",
                     "json,sarif")
    card = json.loads((tmp_path / "out" / "scorecard.json").read_text())
    assert _states(card) == [("F401", "new"), ("F821", "waived"), ("F841", "new")]
    assert result.code == 0  # the critical F821 is waived; two warnings stay under 5
    waived = next(f for f in _findings(card) if f["state"] == "waived")
    assert "legacy handler" in waived["justification"]
    rows = {w["rule"]: (w["status"], w["matched"]) for w in card["counting"]["waivers"]}
    assert rows == {"F821": ("active", 1), "F841": ("expired", 1), "E999": ("unused", 0)}
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert f"Waiver lint F841 in app*.py expired on {yesterday}, owner payments-team" \
        in " ".join(result.stdout.split())
    assert "Waiver lint E999 in app*.py is unused" in " ".join(result.stdout.split())

    sarif = json.loads((tmp_path / "out" / "scorecard.sarif").read_text())
    results = sarif["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["F821"]
    assert "legacy handler" in suppressed[0]["suppressions"][0]["justification"]
    assert all(r["partialFingerprints"]["auditFingerprint/v1"] for r in results)
    states = {r["ruleId"]: r.get("baselineState") for r in results}
    assert states["F401"] == "new"
    assert states["F821"] is None  # waived: its suppression says so, not a baseline state


def test_a_waiver_without_a_reason_is_a_usage_error(tmp_path: Path) -> None:
    expires = dt.date.today() + dt.timedelta(days=10)
    root = _repo(tmp_path, _waivers(_waiver("F821", expires).replace(
        'reason = "legacy handler, rewritten in Q3"\n', ""
    )))
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out")
    assert result.code == 2
    assert "waiver 1 of" in result.stderr
    assert "`reason`" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_waiver_too_far_ahead_is_a_usage_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, _waivers(_waiver("F821", dt.date.today() + dt.timedelta(days=400))))
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out")
    assert result.code == 2
    assert "more than `max_waiver_days` (180) ahead" in result.stderr


def test_new_code_counts_only_the_change_since_the_merge_base(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "checkout", "-q", "-b", "feature")
    (root / "app.py").write_text(APP + "\n\ndef added(y):\n    return y + nowhere\n")
    commit_all(root, "feature")
    # After the branch point, main rewrites the handler: diffing against main itself would
    # make the feature's (unchanged) handler look changed.
    git(root, "checkout", "-q", "main")
    (root / "app.py").write_text(APP.replace("missing_name", "fixed_on_main_name"))
    commit_all(root, "main moves on")
    git(root, "checkout", "-q", "feature")
    (root / "notes.py").write_text("import sys\n")  # untracked: all of it is new

    code, card = audit(root, tmp_path / "out", "--new-code", "main", gates="lint")
    assert code == 1
    states = sorted((f["path"], f["line"], f["rule"], f["state"]) for f in _findings(card))
    assert states == [
        ("app.py", 1, "F401", "old"),
        ("app.py", 5, "F841", "old"),
        ("app.py", 6, "F821", "old"),
        ("app.py", 10, "F821", "new"),
        ("notes.py", 1, "F401", "new"),
    ]
    assert card["counting"]["new_code"]["ref"] == "main"
    assert card["counting"]["new_code"]["merge_base"] == git(root, "rev-parse", "HEAD~1").strip()


def test_new_code_auto_reads_the_ci_base_branch(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "checkout", "-q", "-b", "feature")
    code, card = audit(root, tmp_path / "out", "--new-code", "auto", gates="lint",
                       env={"GITHUB_BASE_REF": "main"})
    assert code == 0
    assert {f["state"] for f in _findings(card)} == {"old"}
    missing = run_cli("run", root, "--gates", "lint", "--new-code", "auto", "--out",
                      tmp_path / "out2", env={"GITHUB_BASE_REF": "",
                                              "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": ""})
    assert missing.code == 2
    assert "GITHUB_BASE_REF" in missing.stderr


def test_new_code_outside_git_or_with_an_unknown_ref_is_a_usage_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.py").write_text(APP)
    outside = run_cli("run", plain, "--gates", "lint", "--new-code", "main",
                      "--out", tmp_path / "o1")
    assert outside.code == 2
    assert "is not inside a git repository" in outside.stderr
    assert not (tmp_path / "o1").exists()

    root = _repo(tmp_path)
    unknown = run_cli("run", root, "--gates", "lint", "--new-code", "no-such-branch",
                      "--out", tmp_path / "o2")
    assert unknown.code == 2
    assert "git knows no branch, tag or commit named `no-such-branch`" in unknown.stderr
    assert "Traceback" not in unknown.stderr + outside.stderr


def test_new_code_in_a_shallow_clone_advises_full_history(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "checkout", "-q", "-b", "feature")
    (root / "more.py").write_text("x = 1\n")
    commit_all(root, "feature")
    (root / "more.py").write_text("x = 2\n")
    commit_all(root, "feature 2")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{root}",
        str(clone))
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:main")
    result = run_cli("run", clone, "--gates", "lint", "--new-code", "main",
                     "--out", tmp_path / "out")
    assert result.code == 2
    assert "shallow" in result.stderr
    assert "fetch-depth: 0" in result.stderr


def test_a_baseline_never_absorbs_a_failing_test(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", {
        "pyproject.toml": PYPROJECT + '\n[tool.coverage.run]\nsource = ["app"]\n',
        "app.py": "def double(x: int) -> int:\n    return 2 * x\n",
        "tests/test_app.py": "from app import double\n\n\n"
                             "def test_double() -> None:\n    assert double(2) == 5\n",
    })
    result = run_cli("baseline", root, "--gates", "coverage", "--python", sys.executable)
    assert result.code == 0, result.stderr
    recorded = json.loads((root / "audit-baseline.json").read_text(encoding="utf-8"))
    assert recorded["findings"] == []
    code, card = audit(root, tmp_path / "out", gates="coverage", python=sys.executable)
    assert code == 1
    coverage = card["gates"][0]
    assert next(c for c in coverage["conditions"] if c["id"] == "tests_failed")["value"] == 1
    assert [(f["rule"], f["state"]) for f in coverage["findings"]] == [("test-failed", "new")]
