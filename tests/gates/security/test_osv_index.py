"""The compiled index of an offline OSV database answers exactly as a full load does, follows
every change of the directory, and survives a corrupt index file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from auditor.errors import GateError
from gates.security import osv_db, osv_index
from gates.security.osv_db import Advisory, OsvDatabase
from gates.security.osv_index import IndexedOsvDatabase
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit

QUERIES = [("requests", "2.2.1"), ("Requests", "2.20.0"), ("pip", "23.2.1"), ("pip", "23.3"),
           ("setuptools", "65.5.0"), ("py", "1.11.0"), ("flask", "0.1")]


def answers(
    db: OsvDatabase | IndexedOsvDatabase, queries: list[tuple[str, str]] = QUERIES
) -> list[list[str]]:
    return [sorted(str(r["id"]) for r in db.query(n, v)) for n, v in queries]


def test_cold_and_warm_index_answer_as_the_full_load(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "osv", tmp_path / "osv")
    full = OsvDatabase.load(root)
    cold = IndexedOsvDatabase.load(root, tmp_path / "index")
    warm = IndexedOsvDatabase.load(root, tmp_path / "index")
    assert answers(cold) == answers(full) == answers(warm)
    assert any(answers(full))
    assert cold.records == warm.records == full.records
    assert warm.names == set(full.by_name)


def test_a_changed_record_rebuilds_the_index(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "osv", tmp_path / "osv")
    IndexedOsvDatabase.load(root, tmp_path / "index")
    for record in (root / "vulns" / "pip").glob("*.yaml"):
        record.unlink()
    rebuilt = IndexedOsvDatabase.load(root, tmp_path / "index")
    assert "pip" not in rebuilt.names
    assert answers(rebuilt) == answers(OsvDatabase.load(root))


def test_a_corrupt_index_is_rebuilt_and_errors_stay_errors(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "osv", tmp_path / "osv")
    IndexedOsvDatabase.load(root, tmp_path / "index")
    for index in (tmp_path / "index").glob("*.json"):
        index.write_text("{not json", encoding="utf-8")
    assert answers(IndexedOsvDatabase.load(root, tmp_path / "index")) == answers(
        OsvDatabase.load(root)
    )
    (tmp_path / "empty").mkdir()
    with pytest.raises(GateError, match="holds no advisory"):
        IndexedOsvDatabase.load(tmp_path / "empty", tmp_path / "index")
    with pytest.raises(GateError, match="not a directory"):
        IndexedOsvDatabase.load(tmp_path / "missing", tmp_path / "index")


DAMAGED = "id: PYSEC-0000-1\naffected:\n  - package: {name: Flask, ecosystem: PyPI\n    ranges: [\n"
"""A record of a package the audited environment does not hold, damaged (not YAML)."""
NOT_FLASK = [query for query in QUERIES if query[0] != "flask"]


def parsed_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The record files the index parses from now on, by name, as they are parsed."""
    seen: list[str] = []
    real = osv_db.load_advisory

    def counting(path: Path) -> Advisory:
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(osv_index, "load_advisory", counting)
    return seen


def test_only_the_installed_packages_records_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = shutil.copytree(FIXTURES / "osv", tmp_path / "osv")
    full = OsvDatabase.load(root)
    (root / "vulns" / "flask").mkdir()
    (root / "vulns" / "flask" / "PYSEC-0000-1.yaml").write_text(DAMAGED, encoding="utf-8")
    requests_files = sorted(p.name for p in (root / "vulns" / "requests").glob("*.yaml"))
    seen = parsed_files(monkeypatch)

    cold = IndexedOsvDatabase.load(root, tmp_path / "index", ["Requests", "pip"])
    assert sorted(seen) == sorted([*requests_files, "PYSEC-2023-228.yaml"])
    assert cold.loaded == {"requests", "pip"}
    # The rest is read when it is asked for (flask's damaged record is not asked for).
    assert answers(cold, NOT_FLASK) == answers(full, NOT_FLASK)
    seen.clear()
    warm = IndexedOsvDatabase.load(root, tmp_path / "index", ["requests"])
    assert sorted(seen) == requests_files  # from the stored index: no other file is read
    assert warm.loaded == {"requests"}
    assert warm.query("requests", "2.19.0") == full.query("requests", "2.19.0")
    seen.clear()
    # A package the stored index was not checked for: only its files are parsed, once.
    later = IndexedOsvDatabase.load(root, tmp_path / "index", ["setuptools"])
    assert seen == ["PYSEC-2022-43012.yaml"]
    assert answers(later, NOT_FLASK) == answers(full, NOT_FLASK)
    with pytest.raises(GateError, match=r"PYSEC-0000-1\.yaml cannot be read"):
        later.query("flask", "0.1")
    assert later.records == full.records + 1


def test_a_damaged_record_is_an_error_for_its_own_package(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "osv", tmp_path / "osv")
    (root / "vulns" / "flask").mkdir()
    (root / "vulns" / "flask" / "PYSEC-0000-1.yaml").write_text(DAMAGED, encoding="utf-8")
    assert IndexedOsvDatabase.load(root, tmp_path / "index", ["requests"]).query(
        "requests", "2.19.0"
    )
    for wanted in (["flask", "requests"], None):
        with pytest.raises(GateError, match=r"PYSEC-0000-1\.yaml cannot be read"):
            IndexedOsvDatabase.load(root, tmp_path / "index", wanted)
