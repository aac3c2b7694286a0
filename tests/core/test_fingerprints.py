"""Fingerprints at their edges. They are stored in every team's audit-baseline.json, so their
exact values are a contract: a change here silently turns every baselined finding new."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import fingerprints
from auditor.model import Fact, Finding

pytestmark = pytest.mark.unit

SOURCE = (
    "import os\n"
    "\n"
    "\n"
    "@decorated\n"
    "class C:\n"
    "    def m(self):\n"
    "        return  x\n"
    "\n"
    "\n"
    "def f():\n"
    "    pass\n"
)


def _finding(path: str, line: int | None, rule: str = "F821", **extra: Fact) -> Finding:
    return Finding(path, line, rule, "critical", "msg", extra=dict(extra))


def test_fingerprint_values_are_stable_across_releases(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("class C:\n    def m(self):\n        return  x\n")
    [found] = fingerprints.assign("lint", [_finding("m.py", 3)],
                                  fingerprints.SourceIndex(tmp_path))
    assert found.fingerprint == "a4f26ed05629f6426b90bc5f8a2247c0"
    assert fingerprints.dependency("security", "Requests", "PYSEC-1") == (
        "0116cf430a753c23e612f73be073bf49"
    )
    assert fingerprints.dependency("security", "requests", "PYSEC-1") == (
        fingerprints.dependency("security", "REQUESTS", "PYSEC-1")
    )


def test_scopes_follow_classes_methods_and_their_decorators(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    source = fingerprints.SourceIndex(tmp_path).get("m.py")
    assert [source.scope(n) for n in range(1, 12)] == [
        "", "", "", "C", "C", "C.m", "C.m", "", "", "f", "f",
    ]
    assert source.scope(None) == source.scope(0) == source.scope(12) == ""
    assert source.text(7) == "return x"
    assert source.text(1) == "import os"
    assert source.text(11) == "pass"
    assert source.text(None) == source.text(0) == source.text(12) == ""


def test_other_files_have_lines_but_no_scopes(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("def looks_like_python():\n    x = 1\n")
    source = fingerprints.SourceIndex(tmp_path).get("notes.txt")
    assert source.text(2) == "x = 1"
    assert source.scope(2) == ""


def test_unreadable_places_give_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "outside.py").write_text("x = 1\n")
    index = fingerprints.SourceIndex(tmp_path / "root")
    assert index.get("../outside.py") == fingerprints.EMPTY
    assert index.get("missing.py") == fingerprints.EMPTY
    assert index.get("") == fingerprints.EMPTY
    (tmp_path / "root" / "broken.py").write_text("def (:\n    x = 1\n")
    broken = index.get("broken.py")
    assert (broken.text(2), broken.scope(2)) == ("x = 1", "")


def test_bytes_that_are_not_utf8_are_replaced_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(b"name = 'caf\xe9'\n")
    assert fingerprints.SourceIndex(tmp_path).get("latin.py").text(1) == "name = 'caf\ufffd'"


def test_occurrences_count_in_line_order_and_dependencies_use_the_package(
    tmp_path: Path,
) -> None:
    (tmp_path / "m.py").write_text("x\nx\n")
    index = fingerprints.SourceIndex(tmp_path)
    later, earlier = fingerprints.assign("lint", [_finding("m.py", 2), _finding("m.py", 1)],
                                         index)
    first_alone = fingerprints.assign("lint", [_finding("m.py", 1)], index)[0]
    assert earlier.fingerprint == first_alone.fingerprint != later.fingerprint
    [vulnerable] = fingerprints.assign("security", [_finding("", None, "PYSEC-1",
                                                             package="Requests")], index)
    assert vulnerable.fingerprint == fingerprints.dependency("security", "Requests", "PYSEC-1")
    [no_package] = fingerprints.assign("security", [_finding("", None, "PYSEC-1", package="")],
                                       index)
    assert no_package.fingerprint != vulnerable.fingerprint


def test_identical_findings_are_told_apart_by_their_occurrence(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x\nx\nx\n")
    found = fingerprints.assign(
        "lint", [Finding("m.py", n, "E1", "warning", "m") for n in (1, 2, 3)],
        fingerprints.SourceIndex(tmp_path),
    )
    assert [f.fingerprint for f in found] == [
        "6b91f85f5208c734e266ff1f1bec5c74", "91e97feb7eac3e75259c35ff48947374",
        "a1d9fe2781b55bf634386a3a9daf3ae7",
    ]


def test_a_finding_without_a_line_is_known_by_its_message(tmp_path: Path) -> None:
    index = fingerprints.SourceIndex(tmp_path)

    def failing(message: str) -> str:
        found = Finding("tests/t.py", None, "test-failed", "critical", message)
        return fingerprints.assign("coverage", [found], index)[0].fingerprint

    assert failing("boom") == "7ca90ee1e67caf2bec06915cd01ef27e"
    assert failing("boom") != failing("bang")


def test_a_dependency_among_other_findings_and_a_package_that_is_no_name(
    tmp_path: Path,
) -> None:
    (tmp_path / "m.py").write_text("x\n")
    index = fingerprints.SourceIndex(tmp_path)
    alone = fingerprints.assign("lint", [_finding("m.py", 1)], index)[0]
    after = fingerprints.assign("lint", [_finding("", None, "PYSEC-1", package="req"),
                                         _finding("m.py", 1)], index)
    assert after[1].fingerprint == alone.fingerprint
    odd = fingerprints.assign("lint", [_finding("m.py", 1, package=1)], index)[0]
    assert odd.fingerprint == alone.fingerprint


def test_scopes_from_the_first_line_and_inside_blocks(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "def first():\n    pass\nclass C:\n    if True:\n        def m(self):\n            pass\n"
    )
    source = fingerprints.SourceIndex(tmp_path).get("m.py")
    assert [source.scope(n) for n in range(1, 7)] == ["first", "first", "C", "C", "C.m", "C.m"]
