"""OSV records typed: the fields the offline database matches packages and versions with.

The OSV schema (https://ossf.github.io/osv-schema/, validation/schema.json): a record requires
`id`; `affected` is an array or null; an affected entry's `package` (when present) requires
`ecosystem` and `name`; a range requires `type` and `events`, each event one of `introduced`,
`fixed`, `last_affected` or `limit`, every version a string. An affected entry is declared
whole, so that the copy served to pip-audit keeps what it does not read here; the rest of a
record is served as it was read.
"""

from __future__ import annotations

import msgspec


class OsvPackage(msgspec.Struct, frozen=True, omit_defaults=True):
    ecosystem: str
    name: str
    purl: str | None = None


class OsvEvent(msgspec.Struct, frozen=True, omit_defaults=True):
    """One event of a range: exactly one of its fields is set."""

    introduced: str | None = None
    fixed: str | None = None
    last_affected: str | None = None
    limit: str | None = None


class OsvRange(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    events: list[OsvEvent]
    repo: str | None = None
    database_specific: dict[str, object] | None = None


class OsvSeverity(msgspec.Struct, frozen=True):
    type: str
    score: str


class OsvAffected(msgspec.Struct, frozen=True, omit_defaults=True):
    """An entry of `affected`: a package, the versions it lists and the ranges it gives."""

    package: OsvPackage | None = None
    severity: list[OsvSeverity] | None = None
    ranges: list[OsvRange] | None = None
    versions: list[str] | None = None
    ecosystem_specific: dict[str, object] | None = None
    database_specific: dict[str, object] | None = None

    def listed(self) -> list[str]:
        """The versions it lists; none when it lists none."""
        return self.versions if self.versions is not None else []

    def ecosystem_ranges(self) -> list[OsvRange]:
        """Its ranges of type ECOSYSTEM (versions compared as the ecosystem does)."""
        ranges = self.ranges if self.ranges is not None else []
        return [r for r in ranges if r.type == "ECOSYSTEM"]


class OsvRecord(msgspec.Struct, frozen=True):
    """An OSV record, as far as matching goes."""

    id: str
    affected: list[OsvAffected] | None = None

    def entries(self) -> list[OsvAffected]:
        """Its `affected` entries; none when it has none (left out or null)."""
        return self.affected if self.affected is not None else []
