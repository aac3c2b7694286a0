"""An offline OSV database read through a compiled index: only the advisories of the packages
pip-audit asks about are parsed.

Parsing every record of a full advisory directory costs seconds of CPU while an environment
has a few dozen packages. The index (normalized package name -> record files) is built once by
a full load and kept in the gate's per-target cache under a signature of the directory's
content: every record file's relative path and bytes. Any change to a record file gives another
signature, so the index is rebuilt; a missing or unreadable index is rebuilt as well.

An audit needs the advisories of the packages installed in its environment only, so a record
file is parsed only when its text could name one of them: a package name is written in a record
as it is (a YAML or JSON string; a file with a backslash escape is always parsed), so a file none
of whose name-like words normalizes to a wanted name has no advisory for it. The files left
unparsed are kept in the index with the names they were checked against, and are parsed when a
later audit wants a name they could hold.

A record file that cannot be read is kept in the index with its error and the package names its
text could name: it is an error only for an audit of one of those packages (a damaged advisory of
a package not installed does not stop the audit of the others).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import msgspec
from packaging.utils import canonicalize_name

from auditor.errors import GateError
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

INDEX_FORMAT = 3
_NAME_LIKE = re.compile(r"[a-z0-9]+(?:[-_.]+[a-z0-9]+)*")
"""A run of text that could be a package name, once lower-cased."""


class Unreadable(msgspec.Struct, frozen=True):
    """A record file that cannot be read: why, and the normalized names its text could give a
    package (None when its text could not be read at all: it may concern any package)."""

    error: str
    names: frozenset[str] | None


class StoredIndex(msgspec.Struct):
    """The index file: the directory's signature, its record count, and the record files (their
    paths relative to it) by normalized package name."""

    signature: str
    records: int
    index: dict[str, list[str]]
    unreadable: dict[str, Unreadable] = {}
    """The record files that cannot be read, by path relative to the directory."""
    unparsed: list[str] = []
    """Record files not parsed yet: their text names none of `checked`."""
    checked: list[str] = []
    """The normalized names the unparsed files were checked against."""


def _signature(root: Path, files: list[Path]) -> str:
    """The directory's content: every record file's relative path and bytes (reading them is a
    small part of parsing them)."""
    digest = hashlib.sha256(f"{INDEX_FORMAT}\0{root}".encode())
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            data = f"unreadable: {exc}".encode()
        content = hashlib.sha256(data).hexdigest()
        digest.update(f"\0{path.relative_to(root)}\0{len(data)}\0{content}".encode())
    return digest.hexdigest()


def name_words(path: Path) -> frozenset[str] | None:
    """The normalized names the text of the record file at PATH could give a package; None
    when it could give any (it cannot be read, or it holds a backslash escape)."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None
    if "\\" in text:
        return None
    return frozenset(canonicalize_name(word) for word in _NAME_LIKE.findall(text.lower()))


def _parse_into(stored: StoredIndex, root: Path, rel: str) -> list[tuple[str, Advisory]]:
    """Parse the record file REL into STORED; the advisories read, by name."""
    path = root / rel
    try:
        advisory = load_advisory(path)
    except GateError as exc:
        stored.unreadable[rel] = Unreadable(str(exc), name_words(path))
        return []
    names = sorted(pypi_names(advisory.osv))
    for name in names:
        stored.index.setdefault(name, []).append(rel)
    return [(name, advisory) for name in names]


def _complete(
    stored: StoredIndex, root: Path, wanted: set[str] | None
) -> dict[str, list[Advisory]]:
    """Parse the unparsed files of STORED that could concern a WANTED name (every one when
    None); the advisories read, by name."""
    new = None if wanted is None else wanted - set(stored.checked)
    if new is not None and not new:
        return {}
    loaded: dict[str, list[Advisory]] = {}
    left: list[str] = []
    for rel in stored.unparsed:
        words = None if new is None else name_words(root / rel)
        if new is not None and words is not None and not words & new:
            left.append(rel)
            continue
        for name, advisory in _parse_into(stored, root, rel):
            loaded.setdefault(name, []).append(advisory)
    stored.unparsed = left
    stored.checked = sorted(set(stored.checked) | (new or set()))
    for files in stored.index.values():
        files.sort()
    return loaded


def _store(index_file: Path, stored: StoredIndex) -> None:
    try:
        index_file.parent.mkdir(parents=True, exist_ok=True)
        temp = index_file.with_suffix(f".{threading.get_ident()}.tmp")
        temp.write_bytes(msgspec.json.encode(stored))
        temp.replace(index_file)
    except OSError:
        pass  # without a stored index the next audit parses again what it needs


def _stored(index_file: Path, signature: str) -> StoredIndex | None:
    """The stored index of the directory with SIGNATURE; None when there is none."""
    try:
        stored = msgspec.json.decode(index_file.read_bytes(), type=StoredIndex)
    except (OSError, msgspec.DecodeError):
        return None  # missing, unreadable or of another format: built again
    return stored if signature and stored.signature == signature else None


class IndexedOsvDatabase:
    """Advisories of ROOT, read per package name on first query; thread-safe."""

    def __init__(self, root: Path, stored: StoredIndex) -> None:
        self.root = root
        self.records = stored.records
        self._stored = stored
        self._loaded: dict[str, list[Advisory]] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> set[str]:
        """Normalized names of the packages the database has advisories for."""
        with self._lock:
            return set(self._stored.index)

    @property
    def loaded(self) -> set[str]:
        """Normalized names whose advisories were read (or looked for) so far."""
        with self._lock:
            return set(self._loaded)

    @classmethod
    def load(
        cls, root: Path, index_dir: Path, wanted: Iterable[str] | None = None
    ) -> IndexedOsvDatabase:
        """The database at ROOT through its index in INDEX_DIR, with the advisories of the
        WANTED packages read now (None: every record file indexed, read on first query);
        raises GateError as OsvDatabase.load does, and for an unreadable record that could
        concern a wanted package (None: any unreadable record)."""
        files = sorted(record_files(root)) if root.is_dir() else []
        if not files:
            OsvDatabase.load(root)  # raises the error a full load gives: no directory, no record
        signature = _signature(root, files)
        index_file = index_dir / f"{hashlib.sha256(str(root).encode()).hexdigest()[:20]}.json"
        stored = _stored(index_file, signature) or StoredIndex(
            signature, len(files), {}, unparsed=[str(f.relative_to(root)) for f in files]
        )
        names = None if wanted is None else {str(canonicalize_name(n)) for n in wanted}
        before = (len(stored.unparsed), len(stored.checked))
        loaded = _complete(stored, root, names)
        if (len(stored.unparsed), len(stored.checked)) != before or not index_file.exists():
            _store(index_file, stored)
        database = cls(root, stored)
        # A name's advisories are all read when every one of its files was parsed just now.
        database._loaded.update(
            (name, advisories) for name, advisories in loaded.items()
            if len(advisories) == len(stored.index[name])
        )
        database.read(names)
        return database

    def read(self, wanted: set[str] | None) -> None:
        """Read the advisories of the WANTED packages (normalized names) now (None: read each on
        first query); GateError for a record that cannot be read and could concern one of them
        (None: any)."""
        self._check(wanted)
        for name in sorted(wanted or ()):
            self._advisories(name)

    def _check(self, wanted: set[str] | None) -> None:
        for _, bad in sorted(self._stored.unreadable.items()):
            if wanted is None or bad.names is None or wanted & bad.names:
                raise GateError(bad.error)

    def _advisories(self, name: str) -> list[Advisory]:
        with self._lock:
            known = self._loaded.get(name)
            if known is not None:
                return known
            if self._stored.unparsed and name not in self._stored.checked:
                # A package the index was not yet checked for: its files are parsed now.
                _complete(self._stored, self.root, {name})
                self._check({name})
            known = [load_advisory(self.root / rel) for rel in self._stored.index.get(name, [])]
            self._loaded[name] = known
            return known

    def query(self, name: str, version: str) -> list[Record]:
        """The advisories that affect NAME at VERSION, as served."""
        return [
            served(advisory)
            for advisory in self._advisories(canonicalize_name(name))
            if matches(advisory.osv, name, version)
        ]
