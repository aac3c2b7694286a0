"""What the auditor writes (its report folder, its cache) is never part of the target: git does
not see the default report folder, a second audit with the default `--out` reuses the first's
results, `--new-code` counts none of the reports, keys are made of contents (not modification
times) and `--no-cache` still stores what it measured. The lint gate (ruff, fast) stands for
every cached gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor import cache, newcode
from tests import helpers
from tests.helpers import copy_project, gate

DEFAULT_OUT = "audit-report"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout


def _project(tmp_path: Path, *, git: bool = True) -> Path:
    root = copy_project("lint_findings", tmp_path)
    if git:
        _git(root, "init", "-q")
        _git(root, "add", ".")
        _git(root, "commit", "-qm", "one")
    return root


def _audit_here(root: Path, store: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """`audit run .` from inside ROOT with the default report folder, as a user types it."""
    result = helpers.run_cli(
        "run", ".", "--gates", "lint", "--python", sys.executable, "--no-history", *extra,
        cwd=root, env={cache.CACHE_DIR_ENV: str(store)},
    )
    out = root / DEFAULT_OUT
    if "--out" in extra:
        out = root / extra[extra.index("--out") + 1]
    scorecard = out / "scorecard.json"
    assert scorecard.is_file(), result.stderr
    card: dict[str, Any] = json.loads(scorecard.read_text(encoding="utf-8"))
    return result.code, card


def test_git_sees_nothing_of_the_default_report_folder(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _audit_here(root, tmp_path / "cache")
    assert (root / DEFAULT_OUT / "scorecard.html").is_file()
    assert (root / DEFAULT_OUT / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert _git(root, "status", "--porcelain", "--untracked-files=all") == ""


def test_an_existing_folder_with_other_files_gets_no_gitignore(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "notes").mkdir()
    (root / "notes" / "keep.txt").write_text("mine\n", encoding="utf-8")
    _audit_here(root, tmp_path / "cache", "--out", "notes")
    assert not (root / "notes" / ".gitignore").exists()
    assert (root / "notes" / "keep.txt").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("git", [True, False], ids=["git", "plain-directory"])
def test_a_second_audit_with_the_default_out_reuses_the_first(tmp_path: Path, git: bool) -> None:
    root = _project(tmp_path, git=git)
    store = tmp_path / "cache"
    _, first = _audit_here(root, store)
    _, second = _audit_here(root, store)
    assert "cached" not in gate(first, "lint")
    assert "cached" in gate(second, "lint")


def test_a_gate_that_reads_every_file_reuses_its_result_too(tmp_path: Path) -> None:
    """The coverage gate's key holds every tracked and untracked file: the reports of the first
    audit are none of them."""
    root = copy_project("cov_half", tmp_path)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "one")
    store = tmp_path / "cache"
    for expect_cached in (False, True):
        result = helpers.run_cli(
            "run", ".", "--gates", "coverage", "--python", sys.executable, "--no-history",
            cwd=root, env={cache.CACHE_DIR_ENV: str(store)},
        )
        card = json.loads((root / DEFAULT_OUT / "scorecard.json").read_text(encoding="utf-8"))
        assert gate(card, "coverage")["status"] in ("passed", "failed"), result.stderr
        assert ("cached" in gate(card, "coverage")) is expect_cached


def test_a_report_folder_git_does_not_ignore_is_still_left_out(tmp_path: Path) -> None:
    """An existing folder keeps its contents (no .gitignore is written there): the auditor
    leaves it out of its keys all the same."""
    root = _project(tmp_path)
    (root / "notes").mkdir()
    (root / "notes" / "keep.txt").write_text("mine\n", encoding="utf-8")
    store = tmp_path / "cache"
    _audit_here(root, store, "--out", "notes")
    _, second = _audit_here(root, store, "--out", "notes")
    assert "cached" in gate(second, "lint")


def test_a_cache_directory_inside_the_target_is_left_out(tmp_path: Path) -> None:
    root = _project(tmp_path, git=False)
    store = root / "audit-cache"
    _audit_here(root, store, "--out", str(tmp_path / "out"))
    _, second = _audit_here(root, store, "--out", str(tmp_path / "out"))
    assert "cached" in gate(second, "lint")


def test_new_code_counts_none_of_the_reports(tmp_path: Path) -> None:
    root = _project(tmp_path)
    store = tmp_path / "cache"
    _audit_here(root, store, "--format", "html,json,junit,sarif,markdown,badge")
    _, card = _audit_here(root, store, "--new-code", "HEAD")
    assert card["counting"]["new_code"]["files"] == 0
    assert card["counting"]["new_code"]["lines"] == 0


def test_new_code_leaves_out_report_folders_git_does_not_ignore(tmp_path: Path) -> None:
    root = _project(tmp_path)
    reports = root / "notes"
    reports.mkdir()
    (reports / "scorecard.json").write_text("{}\n", encoding="utf-8")
    (root / "new.py").write_text("x = 1\ny = 2\n", encoding="utf-8")
    change = newcode.changed_lines(root, "HEAD", written=(reports, tmp_path / "elsewhere"))
    assert change.lines == {"new.py": frozenset({1, 2})}


def test_touching_a_file_keeps_the_result_a_changed_content_does_not(tmp_path: Path) -> None:
    root = _project(tmp_path, git=False)
    store = tmp_path / "cache"
    source = next(p for p in sorted((root / "pkg").glob("*.py")) if p.stat().st_size)
    _audit_here(root, store)
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    _, touched = _audit_here(root, store)
    assert "cached" in gate(touched, "lint")
    kept = source.stat()
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("import", "import ", 1) if "import" in text else text + "#\n",
                      encoding="utf-8")
    os.utime(source, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert source.stat().st_mtime_ns == kept.st_mtime_ns
    _, changed = _audit_here(root, store)
    assert "cached" not in gate(changed, "lint")


def test_no_cache_does_not_read_but_still_stores(tmp_path: Path) -> None:
    root = _project(tmp_path)
    store = tmp_path / "cache"
    _audit_here(root, store)
    _, measured = _audit_here(root, store, "--no-cache")
    assert "cached" not in gate(measured, "lint")
    # A fresh store: what --no-cache measured is what the next audit reuses.
    fresh = tmp_path / "fresh-cache"
    _, first = _audit_here(root, fresh, "--no-cache")
    _, second = _audit_here(root, fresh)
    assert "cached" not in gate(first, "lint")
    assert "cached" in gate(second, "lint")
