"""The type gate: mypy with the target's configuration, pointed at the target's interpreter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from auditor.cache import CacheSpec
from auditor.errors import GateError
from auditor.exclude import without
from auditor.model import (
    ConditionSpec,
    Fact,
    Finding,
    Measurement,
    OptionSpec,
    Population,
    Severity,
)
from auditor.plugin import BaseGate, GateConfig, GateContext, GateView
from auditor.toolinfo import ResolvedTool
from gates import tools
from gates.type import mypy_run
from gates.type import targets as targets_mod
from gates.type.details import AnyFigures, TypeDetails
from gates.type.mypy_check import MypyCheck, run_mypy
from gates.type.mypy_config import MypyConfig, find_config
from gates.type.view import TypeReportView

COVERAGE_HELP = (
    "percent of the expressions counted by mypy's --any-exprs-report whose inferred type is not "
    "Any (bodies of functions without annotations are not counted, calls to them are; each line "
    "mypy did not analyse, such as unreachable code, counts as one Any expression)"
)


MYPY = tools.Tool("mypy", "mypy", "mypy_command")

SEVERITIES: Mapping[Literal["error", "note"], Severity] = {"error": "critical", "note": "info"}
"""mypy's own severity in the audit's terms: an error fails `mypy` (exit code 1) and counts in
`type_errors` or `untyped_defs`, so it is critical; a note is information. Only errors become
findings (a note that follows an error on its line is attached to it, the others are the
details' `notes`)."""


def _findings(messages: list[mypy_run.MypyMessage]) -> list[Finding]:
    out = []
    for msg in messages:
        if msg.severity != "error":
            continue
        extra: dict[str, Fact] = {}
        if msg.column is not None:
            extra["column"] = msg.column
        if msg.hint:
            extra["hint"] = msg.hint
        if msg.notes:
            extra["notes"] = list(msg.notes)
        out.append(
            Finding(
                path=msg.path,
                line=msg.line,
                rule=msg.code,
                severity=SEVERITIES[msg.severity],
                message=msg.message,
                tool="mypy",
                extra=extra,
            )
        )
    return out


def _figures(count: mypy_run.AnyCount, module: str | None) -> AnyFigures:
    coverage = count.coverage
    return AnyFigures(
        any=count.any,
        total=count.total,
        coverage=None if coverage is None else round(coverage, 2),
        module=module,
    )


@dataclass(frozen=True)
class Scope:
    """What mypy is asked to check."""

    targets: list[str]
    """The paths mypy is given (none: its configuration names them)."""
    why: str
    counted_in: list[str]
    """The paths in which `[tool.audit] exclude` is counted."""


def _what_to_check(ctx: GateContext, config: MypyConfig) -> Scope:
    """The paths mypy is given, why those, and where `[tool.audit] exclude` is counted."""
    targets = ctx.config.option_list("targets")
    if targets:
        return Scope(targets, "the `targets` option: " + ", ".join(targets), targets)
    if config.sets_targets:
        name = config.path.name if config.path else ""
        return Scope([], f"files, modules or packages named in {name}", ["."])
    found = targets_mod.default_targets(ctx.root)
    paths = without(found.paths, ctx.exclude)
    if found.paths and not paths:
        raise GateError(
            f"`exclude` in [tool.audit] leaves out every default target of mypy "
            f"({', '.join(found.paths)}); set `targets` in [tool.audit.type] or `files` in "
            "the project's mypy configuration"
        )
    what = f"{', '.join(paths)}: {found.why}" if paths else found.why
    why = (
        f"{what}, tests excluded as bandit excludes them (the project's mypy configuration "
        "names no `files`, `modules` or `packages`; set them, or `targets` in "
        "[tool.audit.type], to choose)"
    )
    return Scope(paths or ["."], why, list(found.paths) or ["."])


def _excludes(ctx: GateContext, scope: Scope) -> list[str]:
    """mypy's `--exclude` patterns: venvs, builds and tests when the gate chose the paths
    itself, and `[tool.audit] exclude`."""
    excludes: list[str] = []
    if scope.targets and not ctx.config.option_list("targets"):
        excludes = [*mypy_run.default_excludes(ctx.root), targets_mod.TESTS.mypy_regex()]
    if ctx.exclude:
        excludes.append(ctx.exclude.mypy_regex())
    return excludes


MODULES = "modules"
"""What `type_errors` is judged over: the modules mypy checked (its line-precision report's
rows)."""
EXPRESSIONS = "expressions"
"""What `type_coverage` is judged over: the expressions mypy counted."""


class TypeGate(BaseGate):
    view: GateView | None = TypeReportView()
    id = "type"
    title = "Types"
    tool = "mypy"
    order = 30
    runs_alone = False
    yields_cpu = True
    default_timeout = 600.0
    # mypy reads sources, stubs, marker files and its configuration, and the packages installed
    # in the target's interpreter.
    cache = CacheSpec(
        files=("*.py", "*.pyi", "py.typed", "*.toml", "*.cfg", "*.ini"), tools=("mypy",)
    )
    details_type = TypeDetails
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec("type_errors", "Type errors", "", "<=", 0, "count",
                      "mypy errors (missing annotations count in `untyped_defs`)",
                      population=MODULES),
        ConditionSpec("type_coverage", "Type coverage", "%", ">=", 100, "percent",
                      COVERAGE_HELP, population=EXPRESSIONS),
        ConditionSpec("untyped_defs", "Functions without annotations", "", "<=", 0, "count",
                      "functions with missing annotations, whose bodies mypy does not check "
                      "(mypy's --disallow-untyped-defs and --disallow-incomplete-defs)",
                      population=MODULES),
    )
    options: tuple[OptionSpec, ...] = (
        tools.TOOL_SOURCE_OPTION,
        OptionSpec("mypy_command", "str_list", [],
                   "the mypy to run, as a command list (default: the bundled mypy)"),
        OptionSpec("targets", "str_list", [],
                   "paths to check, relative to the target root (default: `files`, `modules` or "
                   "`packages` of the project's mypy configuration, else the project's "
                   "importable packages (named in pyproject.toml, the src/ layout, or found at "
                   "the root), tests excluded)"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        tools.check_tool_source(config, self.id)

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        untyped = sum(f.rule == mypy_run.UNTYPED_DEF_CODE for f in findings)
        return {"type_errors": float(len(findings) - untyped), "untyped_defs": float(untyped)}

    def measure(self, ctx: GateContext) -> Measurement:
        resolved = tools.resolve(ctx, MYPY)
        config = find_config(ctx.root)
        scope = _what_to_check(ctx, config)
        check = run_mypy(
            ctx, list(resolved.command), config=config, targets=scope.targets,
            excludes=_excludes(ctx, scope),
        )
        findings = _findings(check.messages)
        values = self.finding_values(findings, ctx.config)
        # With no expression counted (all code in unannotated functions, whose bodies mypy does
        # not check, or none at all) the figure is a vacuous 100%: its empty population makes
        # it an error, never a pass.
        values["type_coverage"] = 100.0 if check.total.coverage is None else check.total.coverage
        return Measurement(
            values=values,
            populations={
                MODULES: Population("modules checked", len(check.checked)),
                EXPRESSIONS: Population(
                    "expressions typed (mypy checks no expression inside an unannotated "
                    "function)", check.total.total,
                ),
            },
            findings=findings,
            details=_details(ctx, config, scope, check, resolved),
            tool_name="mypy",
            tool_version=resolved.version,
            warnings=[*resolved.pin_warnings(), *mypy_run.config_warnings(check.result.stderr)],
        )


def _details(
    ctx: GateContext,
    config: MypyConfig,
    scope: Scope,
    check: MypyCheck,
    resolved: ResolvedTool,
) -> TypeDetails:
    excluded = (
        ctx.exclude.record(ctx.exclude.python_files(ctx.root, scope.counted_in))
        if ctx.exclude else None
    )
    return TypeDetails(
        interpreter=str(ctx.python),
        config=config.description,
        checked=scope.why,
        checked_paths=tuple(scope.targets),
        modules=tuple(_figures(m, m.module) for m in check.modules),
        total=_figures(check.total, None),
        coverage_definition=COVERAGE_HELP,
        tools=(resolved,),
        notes=tuple(
            f"{m.path}:{m.line}: {m.message}" if m.line else f"{m.path}: {m.message}"
            for m in check.messages
            if m.severity != "error"
        ),
        exclusion=excluded,
    )
