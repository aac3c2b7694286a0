"""An offline OSV database read through a compiled index: only the advisories of the packages
pip-audit asks about are parsed.

Parsing every record of a full advisory directory costs seconds of CPU while an environment
has a few dozen packages. The index (normalized package name -> record files) is built once by
a full load and kept in the cache directory under a signature of the directory: every record
file's relative path, size and modification time. Any change to a record file gives another
signature, so the index is rebuilt; a missing or unreadable index is rebuilt as well.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from packaging.utils import canonicalize_name

from gates.security.osv_db import (
    OsvDatabase,
    Record,
    load_record,
    matches,
    pypi_names,
    record_files,
    served_copy,
)

INDEX_FORMAT = 1


def _signature(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256(f"{INDEX_FORMAT}\0{root}".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"\0{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


class IndexedOsvDatabase:
    """Advisories of ROOT, read per package name on first query; thread-safe."""

    def __init__(self, root: Path, index: dict[str, list[str]], records: int) -> None:
        self.root = root
        self.records = records
        self._index = index
        self._loaded: dict[str, list[Record]] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> set[str]:
        """Normalized names of the packages the database has advisories for."""
        return set(self._index)

    @classmethod
    def load(cls, root: Path, index_dir: Path) -> IndexedOsvDatabase:
        """The database at ROOT through its index in INDEX_DIR, built on first use; raises
        GateError as OsvDatabase.load does."""
        files = sorted(record_files(root)) if root.is_dir() else []
        signature = _signature(root, files) if files else ""
        index_file = index_dir / f"{hashlib.sha256(str(root).encode()).hexdigest()[:20]}.json"
        try:
            stored = json.loads(index_file.read_text(encoding="utf-8"))
            if stored["signature"] == signature and signature:
                return cls(root, dict(stored["index"]), int(stored["records"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if not files:
            OsvDatabase.load(root)  # raises the error a full load gives: no directory, no record
        index: dict[str, list[str]] = {}
        loaded: dict[str, list[Record]] = {}
        for path in files:
            record = load_record(path)
            for name in pypi_names(record):
                index.setdefault(name, []).append(str(path.relative_to(root)))
                loaded.setdefault(name, []).append(record)
        try:
            index_dir.mkdir(parents=True, exist_ok=True)
            temp = index_file.with_suffix(f".{threading.get_ident()}.tmp")
            temp.write_text(json.dumps({"signature": signature, "records": len(files),
                                        "index": index}), encoding="utf-8")
            temp.replace(index_file)
        except OSError:
            pass  # without a stored index the next audit parses the directory again
        database = cls(root, index, len(files))
        database._loaded.update(loaded)
        return database

    def _records(self, name: str) -> list[Record]:
        with self._lock:
            known = self._loaded.get(name)
            if known is None:
                known = [load_record(self.root / rel) for rel in self._index.get(name, [])]
                self._loaded[name] = known
            return known

    def query(self, name: str, version: str) -> list[Record]:
        """The advisories that affect NAME at VERSION, as served."""
        return [
            served_copy(record)
            for record in self._records(canonicalize_name(name))
            if matches(record, name, version)
        ]
