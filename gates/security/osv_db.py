"""An offline OSV advisory database: load records from a directory and match them to packages.

Records are the OSV schema (https://ossf.github.io/osv-schema/) in YAML or JSON, either in the
`vulns/<package>/<ID>.yaml` layout of the Python Packaging Advisory Database or flat. Only
`PyPI` entries are indexed; package names are compared in their PEP 503 normalized form and
versions with `packaging.version`, as pip-audit and the OSV service do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor.errors import GateError
from gates.security.osv_schema import OsvAffected, OsvEvent, OsvPackage, OsvRecord

ECOSYSTEM = "PyPI"
RECORD_SUFFIXES = (".yaml", ".yml", ".json")

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
Record = dict[str, JsonValue]

# The C-accelerated safe loader reads the whole advisory database about ten times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str) -> object:
    loader = _SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def rfc3339(moment: datetime | date) -> str:
    """A timestamp as OSV writes it (and pip-audit parses it): UTC with a `Z` suffix."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_json(value: object) -> JsonValue:
    """Turn what a YAML loader produced into JSON values; timestamps become RFC 3339 strings."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return rfc3339(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return str(value)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _bounds(events: Iterable[OsvEvent]) -> list[tuple[Version | None, str]]:
    """The events' (version, kind), `introduced: 0` as None, in the order they apply; an event
    whose version does not parse is left out (as is `limit`, which bounds git commits)."""
    parsed: list[tuple[Version | None, str]] = []
    for event in events:
        for kind, raw in (
            ("introduced", event.introduced),
            ("fixed", event.fixed),
            ("last_affected", event.last_affected),
        ):
            if raw is None:
                continue
            if kind == "introduced" and raw == "0":
                parsed.append((None, kind))
            elif (bound := _version(raw)) is not None:
                parsed.append((bound, kind))
    # "introduced: 0" sorts first; at equal versions a closing event wins over an opening one.
    parsed.sort(
        key=lambda item: (item[0] is not None, item[0] or Version("0"), item[1] != "introduced")
    )
    return parsed


def _in_range(version: Version, events: Iterable[OsvEvent]) -> bool:
    """Whether VERSION lies in an ECOSYSTEM range, evaluated as the OSV schema describes.

    Events are applied in version order: `introduced` opens the range at its version,
    `fixed` closes it at its version (exclusive), `last_affected` closes it after its version.
    """
    affected = False
    for bound, kind in _bounds(events):
        if kind == "introduced" and (bound is None or version >= bound):
            affected = True
        elif (kind == "fixed" and bound is not None and version >= bound) or (
            kind == "last_affected" and bound is not None and version > bound
        ):
            affected = False
    return affected


def covers(entry: OsvAffected, version_text: str) -> bool:
    """Whether one `affected[]` entry covers VERSION_TEXT: listed, or in an ECOSYSTEM range."""
    listed = entry.listed()
    if version_text in listed:
        return True
    version = _version(version_text)
    if version is None:
        return False
    if any(_version(v) == version for v in listed):
        return True
    return any(_in_range(version, rng.events) for rng in entry.ecosystem_ranges())


def affects(affected: Mapping[str, JsonValue], version_text: str) -> bool:
    """Whether one `affected[]` entry of a record as read covers VERSION_TEXT; GateError when
    it is not an OSV affected entry."""
    try:
        entry = msgspec.convert(affected, OsvAffected)
    except msgspec.ValidationError as exc:
        raise GateError(f"not an OSV `affected` entry: {exc}") from None
    return covers(entry, version_text)


def _pypi(package: OsvPackage | None) -> str | None:
    """The normalized name of a PyPI package; None for another ecosystem's (or none)."""
    if package is None or package.ecosystem.lower() != ECOSYSTEM.lower() or not package.name:
        return None
    return canonicalize_name(package.name)


def pypi_names(record: OsvRecord) -> set[str]:
    names = {_pypi(entry.package) for entry in record.entries()}
    return {name for name in names if name is not None}


def matches(record: OsvRecord, name: str, version_text: str) -> bool:
    """Whether RECORD is an advisory for package NAME at VERSION_TEXT."""
    wanted = canonicalize_name(name)
    return any(
        _pypi(entry.package) == wanted and covers(entry, version_text)
        for entry in record.entries()
    )


@dataclass(frozen=True)
class Advisory:
    """One OSV record: as read (what is served) and typed (what is matched)."""

    record: Record
    osv: OsvRecord


def _served_entry(entry: OsvAffected) -> OsvAffected:
    name = _pypi(entry.package)
    if entry.package is None or name is None:
        return entry
    package = msgspec.structs.replace(entry.package, name=name, ecosystem=ECOSYSTEM)
    return msgspec.structs.replace(entry, package=package)


def served(advisory: Advisory) -> Record:
    """The record as the query endpoint returns it.

    pip-audit reads fix versions only from `affected[]` entries whose package name equals the
    normalized name it asked for, so PyPI names are given in normalized form.
    """
    if advisory.osv.affected is None:
        return dict(advisory.record)
    entries: list[JsonValue] = [
        msgspec.to_builtins(_served_entry(entry)) for entry in advisory.osv.affected
    ]
    return {**advisory.record, "affected": entries}


def _advisory(record: Record, source: Path | str) -> Advisory:
    try:
        return Advisory(record, msgspec.convert(record, OsvRecord))
    except msgspec.ValidationError as exc:
        raise GateError(f"{source} is not an OSV record: {exc}") from None


def served_copy(record: Record) -> Record:
    """A record as read, as the query endpoint returns it (see `served`)."""
    return served(_advisory(record, "the record"))


def load_advisory(path: Path) -> Advisory:
    """Read one OSV record; GateError naming the file (and the field) when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
        raw: object = (
            msgspec.json.decode(text) if path.suffix == ".json" else _load_yaml(text)
        )
    except (OSError, UnicodeDecodeError, msgspec.DecodeError, yaml.YAMLError) as exc:
        raise GateError(f"OSV record {path} cannot be read: {exc}") from None
    record = to_json(raw)
    if not isinstance(record, dict):
        raise GateError(f"{path} is not an OSV record: it is not a mapping")
    return _advisory(record, path)


def load_record(path: Path) -> Record:
    """One OSV record as read; GateError naming the file when it is not one."""
    return load_advisory(path).record


@dataclass(frozen=True)
class OsvDatabase:
    """Advisories indexed by normalized PyPI package name."""

    root: Path
    by_name: dict[str, list[Advisory]]
    records: int

    @classmethod
    def load(cls, root: Path) -> OsvDatabase:
        """Load every record under ROOT; GateError when it holds none or one is unreadable."""
        if not root.is_dir():
            raise GateError(f"the OSV database {root} is not a directory")
        by_name: dict[str, list[Advisory]] = {}
        count = 0
        for path in sorted(record_files(root)):
            advisory = load_advisory(path)
            count += 1
            for name in pypi_names(advisory.osv):
                by_name.setdefault(name, []).append(advisory)
        if count == 0:
            raise GateError(
                f"the OSV database {root} holds no advisory ({', '.join(RECORD_SUFFIXES)} files)"
            )
        return cls(root=root, by_name=by_name, records=count)

    def query(self, name: str, version: str) -> list[Record]:
        """The advisories that affect NAME at VERSION, as served."""
        return [
            served(advisory)
            for advisory in self.by_name.get(canonicalize_name(name), [])
            if matches(advisory.osv, name, version)
        ]


def record_files(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if path.suffix in RECORD_SUFFIXES and path.is_file() and not hidden:
            yield path
