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
import threading
from pathlib import Path

import msgspec
from packaging.utils import canonicalize_name

from gates.security.osv_db import (
    Advisory,
    OsvDatabase,
    Record,
    load_advisory,
    matches,
    pypi_names,
    record_files,
    served,
)

INDEX_FORMAT = 1


class StoredIndex(msgspec.Struct, frozen=True):
    """The index file: the directory's signature, its record count, and the record files (their
    paths relative to it) by normalized package name."""

    signature: str
    records: int
    index: dict[str, list[str]]


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
        self._loaded: dict[str, list[Advisory]] = {}
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
            stored = msgspec.json.decode(index_file.read_bytes(), type=StoredIndex)
        except (OSError, msgspec.DecodeError):
            stored = None  # missing, unreadable or of another format: built again
        if stored is not None and stored.signature == signature and signature:
            return cls(root, stored.index, stored.records)
        if not files:
            OsvDatabase.load(root)  # raises the error a full load gives: no directory, no record
        index: dict[str, list[str]] = {}
        loaded: dict[str, list[Advisory]] = {}
        for path in files:
            advisory = load_advisory(path)
            for name in pypi_names(advisory.osv):
                index.setdefault(name, []).append(str(path.relative_to(root)))
                loaded.setdefault(name, []).append(advisory)
        try:
            index_dir.mkdir(parents=True, exist_ok=True)
            temp = index_file.with_suffix(f".{threading.get_ident()}.tmp")
            temp.write_bytes(msgspec.json.encode(StoredIndex(signature, len(files), index)))
            temp.replace(index_file)
        except OSError:
            pass  # without a stored index the next audit parses the directory again
        database = cls(root, index, len(files))
        database._loaded.update(loaded)
        return database

    def _advisories(self, name: str) -> list[Advisory]:
        with self._lock:
            known = self._loaded.get(name)
            if known is None:
                known = [load_advisory(self.root / rel) for rel in self._index.get(name, [])]
                self._loaded[name] = known
            return known

    def query(self, name: str, version: str) -> list[Record]:
        """The advisories that affect NAME at VERSION, as served."""
        return [
            served(advisory)
            for advisory in self._advisories(canonicalize_name(name))
            if matches(advisory.osv, name, version)
        ]
