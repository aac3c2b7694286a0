"""The compiled index of an offline OSV database answers exactly as a full load does, follows
every change of the directory, and survives a corrupt index file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from auditor.errors import GateError
from gates.security.osv_db import OsvDatabase
from gates.security.osv_index import IndexedOsvDatabase
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit

QUERIES = [("requests", "2.2.1"), ("Requests", "2.20.0"), ("pip", "23.2.1"), ("pip", "23.3"),
           ("setuptools", "65.5.0"), ("py", "1.11.0"), ("flask", "0.1")]


def answers(db: OsvDatabase | IndexedOsvDatabase) -> list[list[str]]:
    return [sorted(str(r["id"]) for r in db.query(n, v)) for n, v in QUERIES]


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
