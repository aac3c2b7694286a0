"""An offline OSV advisory database: load records from a directory and match them to packages.

Records are the OSV schema (https://ossf.github.io/osv-schema/) in YAML or JSON, either in the
`vulns/<package>/<ID>.yaml` layout of the Python Packaging Advisory Database or flat. Only
`PyPI` entries are indexed; package names are compared in their PEP 503 normalized form and
versions with `packaging.version`, as pip-audit and the OSV service do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditor.errors import GateError

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


def _dict(value: JsonValue) -> dict[str, JsonValue]:
    return value if isinstance(value, dict) else {}


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _version(text: JsonValue) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[JsonValue]) -> bool:
    """Whether VERSION lies in an ECOSYSTEM range, evaluated as the OSV schema describes.

    Events are applied in version order: `introduced` opens the range at its version,
    `fixed` closes it at its version (exclusive), `last_affected` closes it after its version.
    An event whose version does not parse is ignored.
    """
    parsed: list[tuple[Version | None, str]] = []
    for event in events:
        for kind, raw in _dict(event).items():
            if kind == "introduced" and str(raw) == "0":
                parsed.append((None, kind))
            elif kind in ("introduced", "fixed", "last_affected"):
                bound = _version(raw)
                if bound is not None:
                    parsed.append((bound, kind))
    # "introduced: 0" sorts first; at equal versions a closing event wins over an opening one.
    parsed.sort(
        key=lambda item: (item[0] is not None, item[0] or Version("0"), item[1] != "introduced")
    )
    affected = False
    for bound, kind in parsed:
        if kind == "introduced" and (bound is None or version >= bound):
            affected = True
        elif (kind == "fixed" and bound is not None and version >= bound) or (
            kind == "last_affected" and bound is not None and version > bound
        ):
            affected = False
    return affected


def affects(affected: Mapping[str, JsonValue], version_text: str) -> bool:
    """Whether one `affected[]` entry covers VERSION_TEXT: listed, or in an ECOSYSTEM range."""
    listed = [str(v) for v in _list(affected.get("versions"))]
    if version_text in listed:
        return True
    version = _version(version_text)
    if version is None:
        return False
    if any(_version(v) == version for v in listed):
        return True
    ranges = [_dict(rng) for rng in _list(affected.get("ranges"))]
    return any(
        rng.get("type") == "ECOSYSTEM" and _in_range(version, _list(rng.get("events")))
        for rng in ranges
    )


def pypi_names(record: Record) -> set[str]:
    names: set[str] = set()
    for affected in _list(record.get("affected")):
        package = _dict(_dict(affected).get("package"))
        if str(package.get("ecosystem", "")).lower() == ECOSYSTEM.lower() and package.get("name"):
            names.add(canonicalize_name(str(package["name"])))
    return names


def matches(record: Record, name: str, version_text: str) -> bool:
    """Whether RECORD is an advisory for package NAME at VERSION_TEXT."""
    wanted = canonicalize_name(name)
    for affected in _list(record.get("affected")):
        entry = _dict(affected)
        package = _dict(entry.get("package"))
        if (
            str(package.get("ecosystem", "")).lower() == ECOSYSTEM.lower()
            and canonicalize_name(str(package.get("name", ""))) == wanted
            and affects(entry, version_text)
        ):
            return True
    return False


def served_copy(record: Record) -> Record:
    """The record as the query endpoint returns it.

    pip-audit reads fix versions only from `affected[]` entries whose package name equals the
    normalized name it asked for, so PyPI names are given in normalized form.
    """
    copy: Record = dict(record)
    entries: list[JsonValue] = []
    for affected in _list(record.get("affected")):
        entry = dict(_dict(affected))
        package = dict(_dict(entry.get("package")))
        if str(package.get("ecosystem", "")).lower() == ECOSYSTEM.lower() and package.get("name"):
            package["name"] = canonicalize_name(str(package["name"]))
            package["ecosystem"] = ECOSYSTEM
        entry["package"] = package
        entries.append(entry)
    copy["affected"] = entries
    return copy


def load_record(path: Path) -> Record:
    """Read one OSV record; GateError naming the file when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
        raw: object = (
            json.loads(text) if path.suffix == ".json" else _load_yaml(text)
        )
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise GateError(f"OSV record {path} cannot be read: {exc}") from None
    record = to_json(raw)
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise GateError(f"{path} is not an OSV record (no `id`)")
    return record


@dataclass(frozen=True)
class OsvDatabase:
    """Advisories indexed by normalized PyPI package name."""

    root: Path
    by_name: dict[str, list[Record]]
    records: int

    @classmethod
    def load(cls, root: Path) -> OsvDatabase:
        """Load every record under ROOT; GateError when it holds none or one is unreadable."""
        if not root.is_dir():
            raise GateError(f"the OSV database {root} is not a directory")
        by_name: dict[str, list[Record]] = {}
        count = 0
        for path in sorted(record_files(root)):
            record = load_record(path)
            count += 1
            for name in pypi_names(record):
                by_name.setdefault(name, []).append(record)
        if count == 0:
            raise GateError(
                f"the OSV database {root} holds no advisory ({', '.join(RECORD_SUFFIXES)} files)"
            )
        return cls(root=root, by_name=by_name, records=count)

    def query(self, name: str, version: str) -> list[Record]:
        """The advisories that affect NAME at VERSION, as served."""
        return [
            served_copy(record)
            for record in self.by_name.get(canonicalize_name(name), [])
            if matches(record, name, version)
        ]


def record_files(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if path.suffix in RECORD_SUFFIXES and path.is_file() and not hidden:
            yield path
