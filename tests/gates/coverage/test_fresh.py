"""Reused coverage data judged fresh or stale by what it carries, not by modification times
alone: a file equal to the commit's is fresh whatever its mtime, executed lines that no longer
land on statements mean the file changed, and a module imported from a zip is judged by its
archive."""

from __future__ import annotations

import os
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from gates.coverage.fresh import MovedLines, archive_of, moved_lines
from tests.gates.coverage.test_reuse import PROJECT, audit, make, run_tests, total
from tests.helpers import condition, gate, write_project


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root, check=True, capture_output=True,
    )


def committed(root: Path) -> Path:
    """ROOT as a git checkout, everything committed (bytecode ignored)."""
    (root / ".gitignore").write_text("__pycache__/\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def reuse(root: Path, tmp_path: Path, out: str = "out") -> tuple[int, dict[str, object]]:
    return audit(
        root, tmp_path / out, "--coverage-data", str(tmp_path / "run.coverage"),
        "--junit", str(tmp_path / "junit.xml"),
    )


def test_a_committed_file_touched_but_unchanged_stays_fresh(tmp_path: Path) -> None:
    root = committed(make(tmp_path / "shop"))
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    # A checkout that rewrote the file with the same content: newer than the data.
    later = time.time() + 5
    os.utime(root / "shop" / "stock.py", (later, later))
    code, card = reuse(root, tmp_path)
    assert code == 0, gate(card, "coverage")["reason"]
    assert condition(card, "coverage", "line_coverage")["value"] == total(
        root, tmp_path / "run.coverage"
    )


def test_a_committed_file_changed_since_the_commit_is_judged_by_its_mtime(
    tmp_path: Path,
) -> None:
    root = committed(make(tmp_path / "shop"))
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    stock = root / "shop" / "stock.py"
    # An edit after the data that keeps every executed line on a statement.
    stock.write_text(stock.read_text(encoding="utf-8") + "\n\nLIMIT = 3\n", encoding="utf-8")
    later = time.time() + 5
    os.utime(stock, (later, later))
    code, card = reuse(root, tmp_path)
    assert code == 3
    reason = str(gate(card, "coverage")["reason"])
    assert "stale" in reason
    assert "shop/stock.py: modified after the data was written" in reason


@pytest.mark.parametrize("in_git", [False, True])
def test_a_change_with_the_old_mtime_is_stale_when_it_moves_executed_lines(
    tmp_path: Path, in_git: bool
) -> None:
    root = make(tmp_path / "shop")
    if in_git:
        committed(root)
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    stock = root / "shop" / "stock.py"
    before = stock.stat()
    # Three lines on top: of the lines that ran (1, 2, 4), 1 and 2 are now comments.
    stock.write_text("# one\n# two\n\n" + stock.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(stock, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, card = reuse(root, tmp_path)
    assert code == 3
    reason = str(gate(card, "coverage")["reason"])
    assert "stale" in reason
    assert "shop/stock.py: line(s) 1, 2 ran but are no statement now" in reason


def test_a_file_that_no_longer_parses_is_stale(tmp_path: Path) -> None:
    root = make(tmp_path / "shop")
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    stock = root / "shop" / "stock.py"
    before = stock.stat()
    stock.write_text("def take(stock, n:\n", encoding="utf-8")
    os.utime(stock, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, card = reuse(root, tmp_path)
    assert code == 3
    assert "shop/stock.py: it ran but no longer parses" in str(gate(card, "coverage")["reason"])


ZIPPED = {
    **PROJECT,
    # No `source`: coverage measures every file under the root it runs, the zipped one too.
    "pyproject.toml": '[project]\nname = "shop"\nversion = "0.1.0"\n',
    "tests/test_zipped.py": """\
        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).parent / "res" / "package.zip"))

        from pkg.mod import double  # noqa: E402


        def test_double():
            assert double(2) == 4
    """,
}


def zipped_project(root: Path) -> Path:
    write_project(root, ZIPPED)
    (root / "tests" / "res").mkdir()
    with zipfile.ZipFile(root / "tests" / "res" / "package.zip", "w") as archive:
        archive.writestr("pkg/__init__.py", "")
        archive.writestr("pkg/mod.py", "def double(x):\n    return 2 * x\n\n\ndef half(x):\n"
                                       "    return x / 2\n")
    return root


def test_a_module_imported_from_a_zip_is_judged_by_its_archive(tmp_path: Path) -> None:
    root = zipped_project(tmp_path / "shop")
    run_tests(root, tmp_path / "junit.xml", data=tmp_path / "run.coverage")
    code, card = reuse(root, tmp_path)
    assert code in (0, 1), gate(card, "coverage")["reason"]
    details = gate(card, "coverage")["details"]
    assert isinstance(details, dict)
    assert "tests/res/package.zip/pkg/mod.py" in details["measured_files"]
    assert details["tests"]["collected"] == 4
    assert condition(card, "coverage", "line_coverage")["value"] == total(
        root, tmp_path / "run.coverage"
    )

    # The archive rewritten after the data was written: its modules are stale.
    with zipfile.ZipFile(root / "tests" / "res" / "package.zip", "a") as archive:
        archive.writestr("pkg/data.txt", "added later\n")
    later = time.time() + 5
    os.utime(root / "tests" / "res" / "package.zip", (later, later))
    code, card = reuse(root, tmp_path, "out-stale")
    assert code == 3
    reason = str(gate(card, "coverage")["reason"])
    assert "stale" in reason
    assert "tests/res/package.zip/pkg/mod.py: modified after the data was written" in reason


@pytest.mark.unit
def test_archive_of_finds_the_zip_a_member_lies_in(tmp_path: Path) -> None:
    archive = tmp_path / "res" / "package.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("pkg/mod.py", "X = 1\n")
    (tmp_path / "plain.txt").write_text("not a zip", encoding="utf-8")
    assert archive_of(archive / "pkg" / "mod.py", tmp_path) == archive
    assert archive_of(tmp_path / "plain.txt" / "mod.py", tmp_path) is None
    assert archive_of(tmp_path / "gone" / "mod.py", tmp_path) is None
    assert archive_of(Path("/elsewhere/package.zip/mod.py"), tmp_path) is None


@pytest.mark.unit
def test_moved_lines_are_read_typed() -> None:
    out = '{"moved": {"/r/a.py": {"lines": [1, 2, 3, 4, 5, 6], "error": null}}}'
    moved = moved_lines("noise\n" + out)
    assert moved == {"/r/a.py": MovedLines(lines=[1, 2, 3, 4, 5, 6], error=None)}
    assert moved["/r/a.py"].why() == "line(s) 1, 2, 3, 4, 5, ... ran but are no statement now"
    with pytest.raises(Exception, match="no readable answer"):
        moved_lines('{"moved": {"/r/a.py": {"lines": ["x"]}}}')
