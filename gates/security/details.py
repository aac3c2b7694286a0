"""The security gate's `details`, typed: what bandit scanned and found, and what pip-audit
audited against which advisories.

The field names are the scorecard's JSON keys; msgspec writes them and reads them back, and a
value of the wrong type is a validation error naming the field.
"""

from __future__ import annotations

import msgspec

from auditor.model import Details


class Record(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """A record inside the security details."""


class Vulnerability(Record, frozen=True):
    """An advisory of an installed package."""

    name: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str


class SkippedPackage(Record, frozen=True):
    """A package pip-audit could not audit, and why."""

    name: str
    version: str
    reason: str


class UnparsedFile(Record, frozen=True):
    """A file bandit could not parse, and why."""

    path: str
    reason: str


class BanditDetails(Record, frozen=True, kw_only=True):
    severity: str | None = None
    """Lowest severity counted as critical."""
    confidence: str | None = None
    scanned_files: int | None = None
    exclude: tuple[str, ...] = ()
    """The globs bandit's file selection left out (its `exclude` and `extend_exclude`)."""
    excluded: tuple[str, ...] = ()
    """What they left out: files, and directories once with a trailing `/`."""
    counts: dict[str, int] = msgspec.field(default_factory=dict)
    """Results by severity."""
    errors: tuple[UnparsedFile, ...] = ()
    """Files bandit could not parse."""
    nosec: int | None = None


class DependencyDetails(Record, frozen=True, kw_only=True):
    source: str | None = None
    """Where the advisories came from (PyPI, an OSV service, an offline database)."""
    paths: tuple[str, ...] = ()
    """The site-packages directories audited."""
    audited: int | None = None
    packages: tuple[str, ...] = ()
    """`name==version` of every package audited."""
    skipped: tuple[SkippedPackage, ...] = ()
    ignored: tuple[str, ...] = ()
    """Installer tooling left out of the count."""
    installers_counted: bool | None = None
    note: str | None = None
    ignored_vulnerable: tuple[Vulnerability, ...] = ()
    vulnerable: tuple[Vulnerability, ...] = ()


class DjangoIssue(Record, frozen=True, kw_only=True):
    """One issue of Django's system checks, as `manage.py check --deploy` printed it."""

    id: str
    """Django's id: `security.W018`, ..."""
    level: str
    """CRITICAL, ERROR, WARNING, INFO or DEBUG."""
    obj: str
    """What it is about; `?` for the settings as a whole."""
    message: str
    hint: str = ""


class DjangoCheckDetails(Record, frozen=True, kw_only=True):
    """Django's deployment checklist on the settings the project deploys with."""

    settings: str
    """The settings module checked."""
    settings_origin: str
    """Where it was named: `deploy_settings`, `environment`, `manage.py`, ..."""
    command: str
    silenced: int = 0
    """Issues the settings silence (SILENCED_SYSTEM_CHECKS)."""
    issues: tuple[DjangoIssue, ...] = ()


class SecurityDetails(Details, frozen=True):
    """bandit's scan and, when it ran and completed, pip-audit's audit and Django's deployment
    checklist."""

    bandit: BanditDetails | None = None
    dependencies: DependencyDetails | None = None
    """None when the dependency audit did not run or failed."""
    django: DjangoCheckDetails | None = None
    """None when the target is no Django project or its checklist could not run."""
