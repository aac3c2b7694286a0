"""Django's deployment checklist: `manage.py check --deploy` with the settings the project
deploys with, each issue a finding under Django's own id (`security.W018`, ...).

The command runs in the target's interpreter, in the target root, with
`DJANGO_SETTINGS_MODULE` set to `deploy_settings` (default: the module Django itself would use,
gates.django_project) and no bytecode written. It exits 0, or 1 when an issue reaches Django's
fail level (ERROR): either is a completed check when its output ends with Django's count line
(django_check_parse); anything else (settings that do not import, Django missing) is an error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.model import Finding, Measurement, Population, Severity
from auditor.plugin import GateContext
from gates import django_project, tools
from gates.security import django_check_parse
from gates.security.details import DjangoCheckDetails, DjangoIssue, SecurityDetails

CONDITION = "django_deploy_warnings"
SETTINGS_CHECKED = "django_settings"
"""What the condition is judged over: the settings module the checklist ran against."""
TOOL = "django check --deploy"
DJANGO_KEY = "django_check"
"""`Finding.extra` key marking a finding of Django's checklist (its level)."""
OK_CODES = (0, 1)
_SEVERITY: dict[str, Severity] = {
    "CRITICAL": "critical",
    "ERROR": "critical",
    "WARNING": "warning",
    "INFO": "info",
    "DEBUG": "info",
}


@dataclass(frozen=True)
class DeployCheck:
    """What the checklist found, or why it was not run."""

    skipped: str | None = None
    details: DjangoCheckDetails | None = None
    findings: tuple[Finding, ...] = ()


def _settings(ctx: GateContext) -> tuple[str, str]:
    """The settings module checked and where it was named."""
    configured = ctx.config.option_str("deploy_settings")
    if configured:
        return configured, "deploy_settings"
    found = django_project.settings_module(ctx.root, ctx.env(), "django")
    if found is None:
        raise GateError(
            "manage.py names no settings module (no DJANGO_SETTINGS_MODULE default), so "
            "Django's deployment checks have none to check: set `deploy_settings` in "
            "[tool.audit.security] to the module the project deploys with"
        )
    return found.module, found.origin


def _settings_file(root: Path, module: str) -> str:
    """The settings module's file relative to the root (where a finding's fix goes), else
    manage.py."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(root).as_posix()
    return django_project.MANAGE_PY


def _finding(issue: django_check_parse.CheckIssue, path: str) -> Finding:
    hint = f" (hint: {issue.hint})" if issue.hint else ""
    where = "" if issue.obj == "?" else f"{issue.obj}: "
    return Finding(
        path=path,
        line=None,
        rule=issue.id,
        severity=_SEVERITY[issue.level],
        message=f"{where}{issue.message}{hint}",
        tool=TOOL,
        extra={DJANGO_KEY: issue.level},
    )


def run(ctx: GateContext) -> DeployCheck:
    """The checklist on a Django project (a manage.py at the root); skipped otherwise."""
    manage = django_project.manage_py(ctx.root)
    if manage is None:
        return DeployCheck(skipped="not a Django project (no manage.py at the target root)")
    module, origin = _settings(ctx)
    command = [str(ctx.python), django_project.MANAGE_PY, "check", "--deploy", "--no-color"]
    ctx.progress(f"Django: check --deploy with {module}")
    result = tools.run_tool(
        ctx,
        "Django",
        command,
        env=tools.tool_env(ctx, {django_project.SETTINGS_VAR: module}),
    )
    tools.check_exit("`manage.py check --deploy`", result, OK_CODES)
    try:
        output = django_check_parse.parse(f"{result.stdout}\n{result.stderr}")
    except GateError as exc:
        raise tools.tool_failed("`manage.py check --deploy`", result, detail=str(exc)) from None
    path = _settings_file(ctx.root, module)
    details = DjangoCheckDetails(
        settings=module,
        settings_origin=origin,
        command=" ".join(["python", *command[1:]]),
        silenced=output.silenced,
        issues=tuple(
            DjangoIssue(id=i.id, level=i.level, obj=i.obj, message=i.message, hint=i.hint)
            for i in output.issues
        ),
    )
    return DeployCheck(details=details, findings=tuple(_finding(i, path) for i in output.issues))


def counted(findings: list[Finding] | tuple[Finding, ...]) -> int:
    """The checklist's findings `django_deploy_warnings` counts (WARNING and above)."""
    return sum(f.extra.get(DJANGO_KEY) in django_check_parse.COUNTED_LEVELS for f in findings)


def add_to(measurement: Measurement, check: DeployCheck | GateError) -> Measurement:
    """The security measurement with the checklist's condition, findings and details."""
    if isinstance(check, GateError):
        return dataclasses.replace(
            measurement,
            unmeasured={**measurement.unmeasured, CONDITION: str(check)},
            log_tail=measurement.log_tail or check.log_tail or "",
        )
    if check.details is None:
        return dataclasses.replace(
            measurement, skipped={**measurement.skipped, CONDITION: check.skipped or ""}
        )
    details = measurement.details
    if isinstance(details, SecurityDetails):
        details = msgspec.structs.replace(details, django=check.details)
    return dataclasses.replace(
        measurement,
        values={**measurement.values, CONDITION: float(counted(check.findings))},
        populations={
            **measurement.populations,
            SETTINGS_CHECKED: Population("settings modules checked", 1),
        },
        findings=[*measurement.findings, *check.findings],
        details=details,
    )
