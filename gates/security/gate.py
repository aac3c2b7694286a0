"""The security gate: bandit on the target's code, pip-audit on its installed dependencies."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from auditor.cache import CacheSpec
from auditor.errors import ConfigError, GateError
from auditor.exclude import without
from auditor.fingerprints import PACKAGE_KEY
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec, Population
from auditor.plugin import GateConfig, GateContext, GateView
from gates import tools
from gates.security import bandit_run, pip_audit_run
from gates.security.details import (
    BanditDetails,
    DependencyDetails,
    SecurityDetails,
    SkippedPackage,
    Vulnerability,
)
from gates.security.osv_db import OsvDatabase
from gates.security.osv_index import IndexedOsvDatabase
from gates.security.osv_server import OsvServer
from gates.security.view import SecurityReportView

BANDIT = tools.Tool("bandit", "bandit", "bandit_command")
PIP_AUDIT = tools.Tool("pip-audit", "pip_audit", "pip_audit_command")


@contextlib.contextmanager
def _vulnerability_source(ctx: GateContext) -> Iterator[tuple[list[str], str]]:
    """pip-audit's service arguments and a description of the source, for the audit's duration."""
    osv_db = ctx.config.option_str("osv_db")
    osv_url = ctx.config.option_str("osv_url")
    if osv_db:
        root = (ctx.root / osv_db).resolve()
        ctx.progress(f"loading OSV advisories from {root}")
        database: OsvDatabase | IndexedOsvDatabase = (
            IndexedOsvDatabase.load(root, ctx.cache_dir / "osv-index")
            if ctx.cache_dir is not None
            else OsvDatabase.load(root)
        )
        with OsvServer(database) as server:
            yield (
                ["--vulnerability-service", "osv", "--osv-url", server.url],
                f"offline OSV database {root} ({database.records} advisories)",
            )
    elif osv_url:
        yield ["--vulnerability-service", "osv", "--osv-url", osv_url], f"OSV service {osv_url}"
    else:
        yield [], "PyPI (pip-audit's default service)"


def vulnerability_findings(vulnerable: list[pip_audit_run.Vulnerable]) -> list[Finding]:
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


FILES = "files"
"""What `critical_findings` is judged over: the files bandit parsed, of those it was given."""
PACKAGES = "packages"
"""What `vulnerabilities` is judged over: the installed packages pip-audit audited."""


class SecurityGate:
    view: GateView | None = SecurityReportView()
    id = "security"
    title = "Security"
    tool = "bandit + pip-audit"
    runs_alone = False
    default_timeout = 600.0
    # bandit reads sources (and an offline advisory directory may lie in the tree); pip-audit
    # reads the interpreter's distributions. Advisories change daily: the result expires.
    cache = CacheSpec(
        files=None, tools=("bandit", "pip-audit"), expires_option="vulnerability_cache_hours"
    )
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec("critical_findings", "Critical security findings", "", "<=", 0, "count",
                      "bandit findings of HIGH severity with MEDIUM or higher confidence",
                      population=FILES),
        ConditionSpec("vulnerabilities", "Vulnerable dependencies", "", "<=", 0, "count",
                      "known vulnerabilities in the target interpreter's installed packages",
                      population=PACKAGES),
    )
    options: tuple[OptionSpec, ...] = (
        OptionSpec("osv_db", "str", None,
                   "a directory of OSV advisories (YAML or JSON), offline; relative to the target"),
        OptionSpec("osv_url", "str", None, "an OSV-compatible /v1/query URL"),
        OptionSpec("vulnerability_cache_hours", "number", 12,
                   "hours a cached result of this gate stays valid: advisories are published "
                   "daily (0: never reuse it)"),
        OptionSpec("exclude", "str_list", list(bandit_run.DEFAULT_EXCLUDE),
                   "globs of files and directories bandit does not scan (a name anywhere, or a "
                   "path with `/` relative to the target root); default: tests, venvs, builds"),
        OptionSpec("extend_exclude", "str_list", [], "more globs to exclude, added to `exclude`"),
        OptionSpec("severity", "str", "HIGH",
                   "lowest bandit severity counted in critical_findings (LOW, MEDIUM, HIGH)"),
        OptionSpec("confidence", "str", "MEDIUM",
                   "lowest bandit confidence counted in critical_findings (LOW, MEDIUM, HIGH)"),
        OptionSpec("include_installers", "bool", False,
                   "count advisories of pip, setuptools and wheel, which every virtual "
                   "environment carries; when false they are listed but not counted"),
        OptionSpec("ignore_vulns", "str_list", [],
                   "advisory ids (or aliases) pip-audit leaves out"),
        OptionSpec("audit_dependencies", "bool", True,
                   "audit the installed dependencies with pip-audit; false skips it, for networks "
                   "with no vulnerability service or offline database"),
        tools.TOOL_SOURCE_OPTION,
        OptionSpec("bandit_command", "str_list", [], "the bandit command (default: bundled)"),
        OptionSpec("pip_audit_command", "str_list", [],
                   "the pip-audit command (default: bundled)"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        tools.check_tool_source(config, self.id)
        for name in ("severity", "confidence"):
            value = config.option_str(name) or ""
            if value.upper() not in bandit_run.LEVELS:
                raise ConfigError(
                    f"`{name}` in [tool.audit.security] must be one of "
                    f"{', '.join(bandit_run.LEVELS)}, not {value!r}"
                )
        url = config.option_str("osv_url")
        if url is not None and not url.startswith(("http://", "https://")):
            raise ConfigError(
                f"`osv_url` in [tool.audit.security] must be an http(s) URL, not {url!r}"
            )
        if config.option_str("osv_db") and url:
            raise ConfigError(
                "[tool.audit.security] sets both `osv_db` and `osv_url`; choose one source"
            )

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        bandit = [f for f in findings if PACKAGE_KEY not in f.extra]
        return {
            "critical_findings": float(sum(f.severity == "critical" for f in bandit)),
            "vulnerabilities": float(len(findings) - len(bandit)),
        }

    def measure(self, ctx: GateContext) -> Measurement:
        config = ctx.config
        severity = (config.option_str("severity") or "HIGH").upper()
        confidence = (config.option_str("confidence") or "MEDIUM").upper()
        patterns = [*config.option_list("exclude"), *config.option_list("extend_exclude")]
        selection = bandit_run.select_files(ctx.root, patterns)
        files = without(selection.files, ctx.exclude)
        if not files:
            raise GateError(
                "no Python file is left for bandit to scan once `exclude` is applied "
                f"({len(selection.excluded) + len(selection.files)} excluded)"
            )
        bandit_tool = tools.resolve(ctx, BANDIT)
        ctx.progress(f"bandit: scanning {len(files)} files")
        bandit = bandit_run.run(
            ctx, files=files, command=bandit_tool.command, severity=severity,
            confidence=confidence,
        )
        details = SecurityDetails(
            bandit=BanditDetails(
                severity=severity,
                confidence=confidence,
                scanned_files=len(files),
                exclude=tuple(patterns),
                excluded=tuple(selection.excluded),
                counts=bandit.counts,
                errors=tuple(bandit.errors),
                nosec=bandit.nosec,
            ),
            tools=(bandit_tool,),
            exclusion=ctx.exclude.record(set(selection.files) - set(files))
            if ctx.exclude else None,
        )
        unparsed = tuple(sorted({e["path"] for e in bandit.errors}))
        measurement = Measurement(
            values={"critical_findings": self.finding_values(bandit.findings, config)[
                "critical_findings"
            ]},
            # A file bandit could not parse was not scanned: never judged clean.
            populations={FILES: Population("files scanned", len(files) - len(unparsed),
                                           given=len(files), left_out=unparsed)},
            findings=bandit.findings,
            details=details.to_dict(),
            tool_name=self.tool,
            tool_version=f"bandit {bandit_tool.version}",
            warnings=bandit_tool.pin_warnings(),
        )
        if config.options.get("audit_dependencies") is False:
            return replace(measurement, skipped={"vulnerabilities": "turned off in config"})
        try:
            audit_tool = tools.resolve(ctx, PIP_AUDIT, from_target=False)
            dependencies, vulnerable, packages = _audit_dependencies(ctx, list(audit_tool.command))
        except GateError as exc:
            # bandit's figure was measured and stays; only the dependency audit is an error.
            return replace(
                measurement,
                unmeasured={"vulnerabilities": str(exc)},
                log_tail=str(exc.details.get("log_tail", "")),
            )
        findings = [*measurement.findings, *vulnerability_findings(vulnerable)]
        values = self.finding_values(findings, config)
        details = replace(details, dependencies=dependencies, tools=(bandit_tool, audit_tool))
        version = f"{measurement.tool_version}, pip-audit {audit_tool.version}"
        return replace(
            measurement, values=values, findings=findings, details=details.to_dict(),
            tool_version=version, populations={**measurement.populations, PACKAGES: packages},
        )


def _vulnerabilities(found: list[pip_audit_run.Vulnerable]) -> tuple[Vulnerability, ...]:
    return tuple(
        Vulnerability(v.name, v.version, v.id, tuple(v.aliases), tuple(v.fix_versions),
                      v.description)
        for v in found
    )


def _audit_dependencies(
    ctx: GateContext, command: list[str]
) -> tuple[DependencyDetails, list[pip_audit_run.Vulnerable], Population]:
    """pip-audit on the target interpreter's site-packages: the `dependencies` details, the
    vulnerabilities that count and the packages it audited."""
    config = ctx.config
    include_installers = config.options.get("include_installers") is True
    paths = [p for p in pip_audit_run.site_dirs(ctx) if Path(p).is_dir()]
    if not paths:
        raise GateError(f"{ctx.python} has no site-packages directory to audit")
    with _vulnerability_source(ctx) as (service_args, source):
        ctx.progress(f"pip-audit: auditing {', '.join(paths)} against {source}")
        audit = pip_audit_run.run(
            ctx, paths=paths, service_args=service_args, command=command,
            ignore_vulns=config.option_list("ignore_vulns"),
            include_installers=include_installers,
        )
    details = DependencyDetails(
        source=source,
        paths=tuple(paths),
        audited=len(audit.audited),
        packages=tuple(audit.audited),
        skipped=tuple(SkippedPackage(s.name, "", s.reason) for s in audit.skipped),
        ignored=tuple(audit.ignored),
        installers_counted=include_installers,
        note=_installer_note(audit, include_installers),
        ignored_vulnerable=_vulnerabilities(audit.ignored_vulnerable),
        vulnerable=_vulnerabilities(audit.vulnerable),
    )
    return details, audit.vulnerable, Population("packages audited", len(audit.audited))


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
