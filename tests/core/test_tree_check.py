"""An audit leaves the target's tree as it found it, and says so when the target's own code did
not: every file it left is named with the gate that was running, and never deleted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor.treecheck import TreeWatch
from tests.helpers import CliResult, load_scorecard, run_cli, write_project

SUITE = {
    "app.py": "def double(x):\n    return 2 * x\n",
    "tests/test_app.py": """\
        from pathlib import Path

        from hypothesis import given, settings, strategies as st

        from app import double


        @settings(max_examples=5)
        @given(st.integers())
        def test_double_is_even(x):
            assert double(x) % 2 == 0


        def test_writes_into_the_working_directory():
            Path("written-by-test.txt").write_text("left behind")
            assert double(2) == 4
    """,
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout


def make_repo(root: Path) -> None:
    git(root, "init", "-q")
    (root / ".gitignore").write_text("*.txt\n")  # what the suite writes is ignored, as attrs'
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")


def audit_coverage(root: Path, out: Path, formats: str) -> CliResult:
    """`audit run ROOT --gates coverage`, which must pass."""
    result = run_cli(
        "run", root, "--gates", "coverage", "--python", sys.executable, "--out", out,
        "--format", formats,
    )
    assert result.code == 0, result.stdout + result.stderr
    return result


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "plain directory"])
def test_files_a_suite_leaves_are_named_with_the_gate(tmp_path: Path, in_git: bool) -> None:
    root = write_project(tmp_path / "proj", SUITE)
    if in_git:
        make_repo(root)
    out = tmp_path / "out"
    result = audit_coverage(root, out, "json,markdown,html,junit,sarif")
    card = load_scorecard(out)
    assert card["left_in_target"] == [
        {"path": "written-by-test.txt", "change": "added", "gates": ["coverage"]}
    ]
    # Hypothesis's database went to the work directory; the user's file is never deleted.
    assert not (root / ".hypothesis").exists()
    assert (root / "written-by-test.txt").read_text() == "left behind"
    assert "warning: the audit added written-by-test.txt in the target (while coverage ran)" in (
        result.stdout
    )
    for report in ("scorecard.md", "scorecard.html", "junit.xml", "scorecard.sarif"):
        assert "written-by-test.txt" in (out / report).read_text(), report


def test_hypothesis_writes_into_the_tree_without_the_auditor(tmp_path: Path) -> None:
    """The behaviour the test above guards against, shown by running the suite by hand."""
    root = write_project(tmp_path / "proj", SUITE)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root, capture_output=True, check=True,
    )
    assert (root / ".hypothesis").is_dir()


def test_changed_tracked_and_removed_files_are_reported(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        "app.py": "def one():\n    return 1\n",
        "data.cfg": "original\n",
        "old.cfg": "to be removed\n",
        "tests/test_app.py": """\
            from pathlib import Path

            from app import one


            def test_one():
                Path("data.cfg").write_text("changed by a test\\n")
                Path("old.cfg").unlink()
                assert one() == 1
        """,
    })
    make_repo(root)
    out = tmp_path / "out"
    audit_coverage(root, out, "json")
    assert load_scorecard(out)["left_in_target"] == [
        {"path": "data.cfg", "change": "modified", "gates": ["coverage"]},
        {"path": "old.cfg", "change": "deleted", "gates": ["coverage"]},
    ]


def test_a_change_is_charged_to_every_gate_running_when_it_appeared(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    watch = TreeWatch(root)
    watch.gate_started("lint")
    watch.gate_started("type")
    (root / "both.txt").write_text("x")
    watch.gate_finished("lint")  # both ran since the last reading: either may have written it
    (root / "late.txt").write_text("x")
    watch.gate_finished("type")  # type alone ran since the last reading
    (root / "between.txt").write_text("x")
    left = {f.path: f.gates for f in watch.left()}
    assert left == {"both.txt": ("lint", "type"), "late.txt": ("type",), "between.txt": ()}


def test_reports_inside_the_target_are_not_counted(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "audit-report").mkdir(parents=True)
    watch = TreeWatch(root, skip=root / "audit-report")
    watch.gate_started("lint")
    (root / "audit-report" / "scorecard.json").write_text("{}")
    watch.gate_finished("lint")
    assert watch.left() == []


def test_target_inside_a_larger_checkout_gets_paths_relative_to_itself(tmp_path: Path) -> None:
    repo = write_project(tmp_path / "repo", {"sub/app.py": "x = 1\n", "other.py": "y = 2\n"})
    make_repo(repo)
    watch = TreeWatch(repo / "sub")
    watch.gate_started("coverage")
    (repo / "sub" / "new.log").write_text("x")
    (repo / "sub" / "app.py").write_text("x = 3\n")
    (repo / "other.py").write_text("outside the target\n")
    watch.gate_finished("coverage")
    assert [(f.path, f.change) for f in watch.left()] == [
        ("app.py", "modified"), ("new.log", "added"),
    ]
