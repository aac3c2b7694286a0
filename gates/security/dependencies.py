"""pip-audit on the target interpreter's installed packages: where the advisories come from, the
audit, its details and its findings."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import GateError
from auditor.fingerprints import PACKAGE_KEY
from auditor.model import Finding, Population
from auditor.plugin import GateContext
from auditor.toolinfo import ResolvedTool
from gates import tools
from gates.security import osv_probe, pip_audit_run
from gates.security.details import DependencyDetails, SkippedPackage, Vulnerability
from gates.security.osv_index import IndexedOsvDatabase
from gates.security.osv_server import OsvServer

PIP_AUDIT = tools.Tool("pip-audit", "pip_audit", "pip_audit_command")


@dataclass(frozen=True)
class VulnerabilitySource:
    """Where pip-audit takes the advisories from, for the audit's duration."""

    args: list[str]
    """pip-audit's service arguments."""
    description: str
    """As the details say it."""
    name: str
    """As an error names it (`PyPI`, `the OSV service at URL`)."""
    osv_url: str | None = None
    """The OSV query URL; None for PyPI."""


@dataclass(frozen=True)
class DependencyAudit:
    """What pip-audit found in the target interpreter's site-packages."""

    tool: ResolvedTool
    details: DependencyDetails
    vulnerable: list[Vulnerability]
    """The vulnerabilities that count."""
    packages: Population
    """The packages it audited."""


def audit_dependencies(ctx: GateContext) -> DependencyAudit:
    """pip-audit on the target interpreter's site-packages, against the configured source."""
    tool = tools.resolve(ctx, PIP_AUDIT, from_target=False)
    include_installers = tools.required_option(
        ctx.config.option_bool("include_installers"), "security", "include_installers"
    )
    paths = [p for p in pip_audit_run.site_dirs(ctx) if Path(p).is_dir()]
    if not paths:
        raise GateError(f"{ctx.python} has no site-packages directory to audit")
    with _vulnerability_source(ctx, paths) as source:
        ctx.progress(f"pip-audit: auditing {', '.join(paths)} against {source.description}")
        try:
            audit = pip_audit_run.run(
                ctx, paths=paths, service_args=source.args, command=list(tool.command),
                ignore_vulns=ctx.config.option_list("ignore_vulns"),
                include_installers=include_installers,
            )
        except pip_audit_run.ServiceAnswerError as exc:
            raise _refused(ctx, exc, source, paths) from None
    details = DependencyDetails(
        source=source.description,
        paths=tuple(paths),
        audited=len(audit.audited),
        packages=tuple(audit.audited),
        skipped=tuple(SkippedPackage(name=s.name, version="", reason=s.reason)
                      for s in audit.skipped),
        ignored=tuple(audit.ignored),
        installers_counted=include_installers,
        note=_installer_note(audit, include_installers),
        ignored_vulnerable=tuple(audit.ignored_vulnerable),
        vulnerable=tuple(audit.vulnerable),
    )
    return DependencyAudit(
        tool, details, audit.vulnerable, Population("packages audited", len(audit.audited))
    )


def vulnerability_findings(vulnerable: list[Vulnerability]) -> list[Finding]:
    """One finding per vulnerable package and advisory; its rule is the advisory id."""
    return [
        Finding(
            path="",
            line=None,
            rule=v.id,
            severity="critical",
            message=(
                f"{v.name} {v.version}: {v.id}"
                + (f" ({', '.join(v.aliases)})" if v.aliases else "")
                + (f"; fixed in {', '.join(v.fix_versions)}" if v.fix_versions else "; no fix")
            ),
            tool="pip-audit",
            baselinable=False,
            extra={
                PACKAGE_KEY: v.name,
                "version": v.version,
                "aliases": list(v.aliases),
                "fix_versions": list(v.fix_versions),
            },
        )
        for v in vulnerable
    ]


def _refused(
    ctx: GateContext,
    exc: pip_audit_run.ServiceAnswerError,
    source: VulnerabilitySource,
    paths: list[str],
) -> GateError:
    """What the service answered that stopped pip-audit, and about which package: PyPI's URL
    names it; an OSV service is asked again, package by package, while the source is up."""
    answer = exc.answer
    about = answer.release()
    told = f"{answer.status} {answer.reason} for {about}" if about else None
    if told is None and source.osv_url is not None:
        ctx.progress("asking the OSV service which package it refused")
        refusal = osv_probe.first_refused(
            source.osv_url, osv_probe.installed(paths), budget_s=ctx.remaining() / 2
        )
        told = refusal.describe() if refusal is not None else None
    if told is None:
        told = (f"{answer.status} {answer.reason} to one of its queries (asked again, it "
                "refused none of the installed packages)")
    return GateError(f"pip-audit stopped: {source.name} answered {told}", log_tail=exc.log_tail)


@contextlib.contextmanager
def _vulnerability_source(
    ctx: GateContext, paths: list[str]
) -> Iterator[VulnerabilitySource]:
    """Where the advisories come from, for the audit's duration (an offline database is
    served on loopback until it ends, its advisories read for the packages installed in
    PATHS, through its index in the per-target cache)."""
    osv_db = ctx.config.option_str("osv_db")
    osv_url = ctx.config.option_str("osv_url")
    if osv_db:
        root = (ctx.root / osv_db).resolve()
        ctx.progress(f"loading OSV advisories from {root}")
        wanted = [package.name for package in osv_probe.installed(paths)]
        database = IndexedOsvDatabase.load(root, ctx.tool_cache("osv-index"), wanted)
        with OsvServer(database) as server:
            yield VulnerabilitySource(
                ["--vulnerability-service", "osv", "--osv-url", server.url],
                f"offline OSV database {root} ({database.records} advisories)",
                f"the server of the offline OSV database {root} at {server.url}",
                server.url,
            )
    elif osv_url:
        yield VulnerabilitySource(
            ["--vulnerability-service", "osv", "--osv-url", osv_url],
            f"OSV service {osv_url}", f"the OSV service at {osv_url}", osv_url,
        )
    else:
        yield VulnerabilitySource([], "PyPI (pip-audit's default service)", "PyPI")


def _installer_note(audit: pip_audit_run.AuditReport, include_installers: bool) -> str:
    if include_installers:
        return "installer tooling (pip, setuptools, wheel) is counted as a dependency"
    if not audit.ignored:
        return "installer tooling (pip, setuptools, wheel) is not counted; none is installed"
    found = sorted({f"{v.name} {v.version}: {v.id}" for v in audit.ignored_vulnerable})
    return (
        f"installer tooling is not counted ({', '.join(audit.ignored)})"
        + (f"; its advisories: {'; '.join(found)}" if found else "")
        + "; set include_installers = true to count it"
    )
