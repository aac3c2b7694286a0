"""The security gate: bandit on the target's code, pip-audit on its installed dependencies,
Django's deployment checklist on a Django project's settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import msgspec

from auditor.cache import CacheSpec
from auditor.errors import ConfigError, GateError
from auditor.fingerprints import PACKAGE_KEY
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec
from auditor.plugin import BaseGate, GateConfig, GateContext, GateView
from gates import tools
from gates.beside import Beside
from gates.django_project import SETTINGS_VAR
from gates.security import bandit_run, django_deploy
from gates.security.code_scan import CodeScan, scan
from gates.security.dependencies import (
    DependencyAudit,
    audit_dependencies,
    vulnerability_findings,
)
from gates.security.details import SecurityDetails
from gates.security.view import SecurityReportView

FILES = "files"
"""What `critical_findings` is judged over: the files bandit parsed, of those it was given."""
PACKAGES = "packages"
"""What `vulnerabilities` is judged over: the installed packages pip-audit audited."""


class SecurityGate(BaseGate):
    view: GateView | None = SecurityReportView()
    id = "security"
    title = "Security"
    tool = "bandit + pip-audit"
    order = 40
    runs_alone = False
    yields_cpu = True
    default_timeout = 600.0
    # bandit reads sources (and an offline advisory directory may lie in the tree); pip-audit
    # reads the interpreter's distributions. Advisories change daily: the result expires.
    cache = CacheSpec(
        files=None, tools=("bandit", "pip-audit"), expires_option="vulnerability_cache_hours",
        environment=(SETTINGS_VAR,),
    )
    details_type = SecurityDetails
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec(
            "critical_findings",
            "Critical security findings",
            "",
            "<=",
            0,
            "count",
            "bandit findings of HIGH severity with MEDIUM or higher confidence",
            population=FILES,
        ),
        ConditionSpec(
            "vulnerabilities",
            "Vulnerable dependencies",
            "",
            "<=",
            0,
            "count",
            "known vulnerabilities in the target interpreter's installed packages",
            population=PACKAGES,
        ),
        ConditionSpec(
            django_deploy.CONDITION,
            "Django deployment warnings",
            "",
            "<=",
            0,
            "count",
            "issues of WARNING level or above that `manage.py check "
            "--deploy` reports for the deployed settings (Django projects only)",
            population=django_deploy.SETTINGS_CHECKED,
        ),
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
        OptionSpec(
            "severity",
            "str",
            "HIGH",
            "lowest bandit severity counted in critical_findings (LOW, MEDIUM, HIGH)",
        ),
        OptionSpec(
            "confidence",
            "str",
            "MEDIUM",
            "lowest bandit confidence counted in critical_findings (LOW, MEDIUM, HIGH)",
        ),
        OptionSpec(
            "include_installers",
            "bool",
            False,
            "count advisories of pip, setuptools and wheel, which every virtual "
            "environment carries; when false they are listed but not counted",
        ),
        OptionSpec(
            "ignore_vulns", "str_list", [], "advisory ids (or aliases) pip-audit leaves out"
        ),
        OptionSpec(
            "audit_dependencies",
            "bool",
            True,
            "audit the installed dependencies with pip-audit; false skips it, for networks "
            "with no vulnerability service or offline database",
        ),
        OptionSpec(
            "deploy_settings",
            "str",
            None,
            "the settings module `manage.py check --deploy` checks (default: the one "
            "DJANGO_SETTINGS_MODULE or manage.py names)",
        ),
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
        django = [f for f in findings if django_deploy.DJANGO_KEY in f.extra]
        bandit = [
            f
            for f in findings
            if PACKAGE_KEY not in f.extra and django_deploy.DJANGO_KEY not in f.extra
        ]
        return {
            "critical_findings": float(sum(f.severity == "critical" for f in bandit)),
            "vulnerabilities": float(len(findings) - len(bandit) - len(django)),
            django_deploy.CONDITION: float(django_deploy.counted(django)),
        }

    def measure(self, ctx: GateContext) -> Measurement:
        # pip-audit audits the dependencies while bandit scans the code: two child processes at
        # once, each within the gate's timeout; their results are combined as if run in turn.
        audit = tools.required_option(
            ctx.config.option_bool("audit_dependencies"), self.id, "audit_dependencies"
        )
        beside = Beside(lambda: audit_dependencies(ctx), "security-pip-audit") if audit else None
        django = Beside(lambda: django_deploy.run(ctx), "security-django-check")
        try:
            code = scan(ctx)
        except BaseException as exc:
            for work in (beside, django):
                if work is not None:
                    work.abandon(exc)
            raise
        measurement = django_deploy.add_to(self._code_measurement(code, ctx), _outcome(django))
        if beside is None:
            return replace(
                measurement,
                skipped={**measurement.skipped, "vulnerabilities": "turned off in config"},
            )
        try:
            dependencies = beside.result()
        except GateError as exc:
            # bandit's figure was measured and stays; only the dependency audit is an error.
            return replace(
                measurement,
                unmeasured={**measurement.unmeasured, "vulnerabilities": str(exc)},
                log_tail=exc.log_tail or measurement.log_tail,
            )
        return self._with_dependencies(measurement, code, dependencies, ctx)

    def _code_measurement(self, code: CodeScan, ctx: GateContext) -> Measurement:
        """bandit's figure, findings and details."""
        return Measurement(
            values={
                "critical_findings": self.finding_values(code.report.findings, ctx.config)[
                    "critical_findings"
                ]
            },
            populations={FILES: code.population()},
            findings=code.report.findings,
            details=code.details,
            tool_name=self.tool,
            tool_version=f"bandit {code.tool.version}",
            warnings=code.tool.pin_warnings(),
        )

    def _with_dependencies(
        self, measurement: Measurement, code: CodeScan, dependencies: DependencyAudit,
        ctx: GateContext,
    ) -> Measurement:
        """bandit's measurement with pip-audit's figure, findings and details added."""
        findings = [*measurement.findings, *vulnerability_findings(dependencies.vulnerable)]
        details = msgspec.structs.replace(
            measurement.details,
            dependencies=dependencies.details,
            tools=(code.tool, dependencies.tool),
        )
        values = self.finding_values(findings, ctx.config)
        return replace(
            measurement,
            values={**measurement.values, "vulnerabilities": values["vulnerabilities"]},
            findings=findings,
            details=details,
            tool_version=f"{measurement.tool_version}, pip-audit {dependencies.tool.version}",
            populations={**measurement.populations, PACKAGES: dependencies.packages},
        )


def _outcome(work: Beside[django_deploy.DeployCheck]) -> django_deploy.DeployCheck | GateError:
    """What Django's checklist gave: its result, or the error that kept it from measuring."""
    try:
        return work.result()
    except GateError as exc:
        return exc
