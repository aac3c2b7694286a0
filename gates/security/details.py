"""The security gate's `details`, typed: what bandit scanned and found, and what pip-audit
audited against which advisories.

`to_dict` writes the scorecard's JSON; `from_dict` reads any scorecard, old or damaged: a key
that is missing or of the wrong type reads as None (and is left out again by `to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor import access
from auditor.exclude import ExcludedFiles
from auditor.toolinfo import ResolvedTool, tools_from


def _strings(value: object) -> tuple[str, ...] | None:
    return tuple(access.strings(value)) if isinstance(value, list) else None


def _list(items: tuple[str, ...] | None) -> list[str] | None:
    return None if items is None else list(items)


@dataclass(frozen=True)
class Vulnerability:
    """An advisory of an installed package."""

    name: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "version": self.version, "id": self.id,
            "aliases": list(self.aliases), "fix_versions": list(self.fix_versions),
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: object) -> Vulnerability:
        record = access.mapping(data)
        return cls(
            name=access.text(record.get("name")),
            version=access.text(record.get("version")),
            id=access.text(record.get("id")),
            aliases=tuple(access.strings(record.get("aliases"))),
            fix_versions=tuple(access.strings(record.get("fix_versions"))),
            description=access.text(record.get("description")),
        )


@dataclass(frozen=True)
class SkippedPackage:
    """A package pip-audit could not audit, and why."""

    name: str
    version: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: object) -> SkippedPackage:
        record = access.mapping(data)
        return cls(*(access.text(record.get(k)) for k in ("name", "version", "reason")))


@dataclass(frozen=True)
class BanditDetails:
    severity: str | None = None
    """Lowest severity counted as critical."""
    confidence: str | None = None
    scanned_files: int | None = None
    exclude: tuple[str, ...] | None = None
    """The globs bandit's file selection left out (its `exclude` and `extend_exclude`)."""
    excluded: tuple[str, ...] | None = None
    """What they left out: files, and directories once with a trailing `/`."""
    counts: dict[str, int] | None = None
    """Results by severity."""
    errors: tuple[dict[str, str], ...] | None = None
    """Files bandit could not parse: `path` and `reason`."""
    nosec: int | None = None

    def to_dict(self) -> dict[str, object]:
        return access.without_none({
            "severity": self.severity,
            "confidence": self.confidence,
            "scanned_files": self.scanned_files,
            "exclude": _list(self.exclude),
            "excluded": _list(self.excluded),
            "counts": self.counts,
            "errors": None if self.errors is None else [dict(e) for e in self.errors],
            "nosec": self.nosec,
        })

    @classmethod
    def from_dict(cls, data: object) -> BanditDetails:
        record = access.mapping(data)
        counts, errors = record.get("counts"), record.get("errors")
        return cls(
            severity=access.optional_text(record.get("severity")),
            confidence=access.optional_text(record.get("confidence")),
            scanned_files=access.whole(record.get("scanned_files")),
            exclude=_strings(record.get("exclude")),
            excluded=_strings(record.get("excluded")),
            counts=None if not isinstance(counts, dict)
            else {k: int(v) for k, v in access.counts(counts).items()},
            errors=None if not isinstance(errors, list) else tuple(
                {"path": access.text(e.get("path")), "reason": access.text(e.get("reason"))}
                for e in access.records(errors)
            ),
            nosec=access.whole(record.get("nosec")),
        )


@dataclass(frozen=True)
class DependencyDetails:
    source: str | None = None
    """Where the advisories came from (PyPI, an OSV service, an offline database)."""
    paths: tuple[str, ...] | None = None
    """The site-packages directories audited."""
    audited: int | None = None
    packages: tuple[str, ...] | None = None
    """`name==version` of every package audited."""
    skipped: tuple[SkippedPackage, ...] | None = None
    ignored: tuple[str, ...] | None = None
    """Installer tooling left out of the count."""
    installers_counted: bool | None = None
    note: str | None = None
    ignored_vulnerable: tuple[Vulnerability, ...] | None = None
    vulnerable: tuple[Vulnerability, ...] | None = None

    def to_dict(self) -> dict[str, object]:
        return access.without_none({
            "source": self.source,
            "paths": _list(self.paths),
            "audited": self.audited,
            "packages": _list(self.packages),
            "skipped": None if self.skipped is None else [s.to_dict() for s in self.skipped],
            "ignored": _list(self.ignored),
            "installers_counted": self.installers_counted,
            "note": self.note,
            "ignored_vulnerable": None if self.ignored_vulnerable is None
            else [v.to_dict() for v in self.ignored_vulnerable],
            "vulnerable": None if self.vulnerable is None
            else [v.to_dict() for v in self.vulnerable],
        })

    @classmethod
    def from_dict(cls, data: object) -> DependencyDetails:
        record = access.mapping(data)
        skipped, counted = record.get("skipped"), record.get("installers_counted")
        ignored_vulnerable, vulnerable = record.get("ignored_vulnerable"), record.get("vulnerable")
        return cls(
            source=access.optional_text(record.get("source")),
            paths=_strings(record.get("paths")),
            audited=access.whole(record.get("audited")),
            packages=_strings(record.get("packages")),
            skipped=None if not isinstance(skipped, list)
            else tuple(SkippedPackage.from_dict(s) for s in access.records(skipped)),
            ignored=_strings(record.get("ignored")),
            installers_counted=counted if isinstance(counted, bool) else None,
            note=access.optional_text(record.get("note")),
            ignored_vulnerable=None if not isinstance(ignored_vulnerable, list)
            else tuple(Vulnerability.from_dict(v) for v in access.records(ignored_vulnerable)),
            vulnerable=None if not isinstance(vulnerable, list)
            else tuple(Vulnerability.from_dict(v) for v in access.records(vulnerable)),
        )


@dataclass(frozen=True)
class SecurityDetails:
    bandit: BanditDetails | None = None
    dependencies: DependencyDetails | None = None
    """None when the dependency audit did not run or failed."""
    tools: tuple[ResolvedTool, ...] | None = None
    exclusion: ExcludedFiles | None = None

    def to_dict(self) -> dict[str, object]:
        return access.without_none({
            "bandit": None if self.bandit is None else self.bandit.to_dict(),
            "dependencies": None if self.dependencies is None else self.dependencies.to_dict(),
            "tools": None if self.tools is None else [t.to_dict() for t in self.tools],
            "exclusion": None if self.exclusion is None else self.exclusion.to_dict(),
        })

    @classmethod
    def from_dict(cls, data: object) -> SecurityDetails:
        details = access.mapping(data)
        bandit, dependencies = details.get("bandit"), details.get("dependencies")
        return cls(
            bandit=BanditDetails.from_dict(bandit) if isinstance(bandit, dict) else None,
            dependencies=DependencyDetails.from_dict(dependencies)
            if isinstance(dependencies, dict) else None,
            tools=tools_from(details.get("tools")),
            exclusion=ExcludedFiles.from_dict(details.get("exclusion")),
        )
