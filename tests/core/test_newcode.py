"""`--new-code`: the added lines of `git diff -U0`, read by unidiff, on awkward diffs and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.newcode import changed_lines, parse_diff
from tests.gitrepo import commit_all, git, init_repo

# Saved `git diff -U0` output: a binary file, a path with " b/" in it (which makes the
# `diff --git` header ambiguous) and one with a space (git ends those ---/+++ names with a tab),
# a deleted file, a mode change, a rename with one added line, a file that had no final newline,
# and added lines that look like file headers.
DIFF = """\
diff --git a/bin.dat b/bin.dat
index bdc955b..8835708 100644
Binary files a/bin.dat and b/bin.dat differ
diff --git a/dir b/c.py b/dir b/c.py
index bca70f3..1206a43 100644
--- a/dir b/c.py\t
+++ b/dir b/c.py\t
@@ -1,0 +2 @@ q
+w
diff --git a/gone.py b/gone.py
deleted file mode 100644
index b680253..0000000
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-z
diff --git a/mode.sh b/mode.sh
old mode 100644
new mode 100755
diff --git a/old.py b/new.py
similarity index 83%
rename from old.py
rename to new.py
index da43b4d..6f89bc9 100644
--- a/old.py
+++ b/new.py
@@ -5,0 +6 @@ rename
+more
diff --git a/nonl.py b/nonl.py
index 1a9d148..011dcb0 100644
--- a/nonl.py
+++ b/nonl.py
@@ -1 +1,2 @@
-nonl
\\ No newline at end of file
+nonl
+x
diff --git a/x y.py b/x y.py
index 5626abf..814f4a4 100644
--- a/x y.py\t
+++ b/x y.py\t
@@ -1,0 +2 @@ one
+two
diff --git a/x.py b/x.py
index de98044..da97644 100644
--- a/x.py
+++ b/x.py
@@ -2 +2,2 @@ a
-b
+++ plus
+-- minus
@@ -3,0 +5 @@ c
+d
"""


@pytest.mark.unit
def test_parse_diff_reads_each_new_path_and_its_added_lines() -> None:
    assert parse_diff(DIFF) == {
        "dir b/c.py": {2},
        "new.py": {6},
        "nonl.py": {1, 2},
        "x y.py": {2},
        "x.py": {2, 3, 5},
    }


def test_changed_lines_of_a_real_repository_with_awkward_paths(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo", {
        "dir b/c.py": "q\n", "x y.py": "one\n", "old.py": "a\nb\nc\nd\ne\n", "gone.py": "z\n",
        "x.py": "a\nb\nc\n",
    })
    (root / "bin.dat").write_bytes(b"\x00\x01")
    commit_all(root, "binary")
    git(root, "checkout", "-q", "-b", "change")
    (root / "dir b" / "c.py").write_text("q\nw\n")
    (root / "x y.py").write_text("one\ntwo\n")
    git(root, "mv", "old.py", "new.py")
    (root / "new.py").write_text("a\nb\nc\nd\ne\nmore\n")
    git(root, "rm", "-q", "gone.py")
    (root / "bin.dat").write_bytes(b"\x00\x02")
    commit_all(root, "change")
    (root / "x.py").write_text("a\n++ plus\n-- minus\nc\nd\n")  # uncommitted, as diff-cover
    (root / "new file.py").write_text("1\n2\n")  # untracked
    change = changed_lines(root, "main")
    assert change.merge_base == git(root, "rev-parse", "main").strip()
    assert change.lines == {
        "dir b/c.py": frozenset({2}),
        "new file.py": frozenset({1, 2}),
        "new.py": frozenset({6}),
        "x y.py": frozenset({2}),
        "x.py": frozenset({2, 3, 5}),
    }
