"""The type gate: mypy with the target's configuration, pointed at the target's interpreter."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from auditor.cache import CacheSpec
from auditor.errors import GateError
from auditor.exclude import without
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec, Population
from auditor.plugin import GateConfig, GateContext, GateView
from auditor.procs import ProcResult
from gates import tools
from gates.tools import check_exit
from gates.type import mypy_run
from gates.type import targets as targets_mod
from gates.type.details import AnyFigures, TypeDetails
from gates.type.view import TypeReportView

COVERAGE_HELP = (
    "percent of the expressions counted by mypy's --any-exprs-report whose inferred type is not "
    "Any (bodies of functions without annotations are not counted, calls to them are; each line "
    "mypy did not analyse, such as unreachable code, counts as one Any expression)"
)


MYPY = tools.Tool("mypy", "mypy", "mypy_command")


def _findings(messages: list[mypy_run.MypyMessage]) -> list[Finding]:
    out = []
    for msg in messages:
        if msg.severity != "error":
            continue
        extra: dict[str, object] = {}
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
                severity="warning",
                message=msg.message,
                tool="mypy",
                extra=extra,
            )
        )
    return out


def _blocked_reason(messages: list[mypy_run.MypyMessage], last_line: str) -> str:
    """Why mypy stopped: the errors that blocked it when it printed them, else its last line."""
    errors = [m for m in messages if m.severity == "error"]
    if not errors:
        return f"mypy could not check the target (exit code 2): {last_line}"
    shown = "; ".join(f"{m.path}:{m.line}: {m.message}" for m in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"mypy stopped before checking the whole target: {shown}{more}"


def _figures(count: mypy_run.AnyCount, module: str | None) -> AnyFigures:
    coverage = count.coverage
    return AnyFigures(
        any=count.any,
        total=count.total,
        coverage=None if coverage is None else round(coverage, 2),
        module=module,
    )


def _what_to_check(
    ctx: GateContext, config: mypy_run.MypyConfig
) -> tuple[list[str], str, list[str]]:
    """The paths mypy is given (none: its configuration names them), why those, and the paths
    in which `[tool.audit] exclude` is counted."""
    targets = ctx.config.option_list("targets")
    if targets:
        return targets, "the `targets` option: " + ", ".join(targets), targets
    if config.sets_targets:
        name = config.path.name if config.path else ""
        return [], f"files, modules or packages named in {name}", ["."]
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
    return paths or ["."], why, list(found.paths) or ["."]


MODULES = "modules"
"""What `type_errors` is judged over: the modules mypy checked (its line-precision report's
rows)."""
EXPRESSIONS = "expressions"
"""What `type_coverage` is judged over: the expressions mypy counted."""
REPORTS = {"any-exprs": mypy_run.ANY_REPORT_FILE, "line-precision": mypy_run.LINE_REPORT_FILE}


def _report(report_dir: Path, name: str, run: ProcResult) -> str:
    """The text of one of mypy's reports, which it must have written."""
    report = report_dir / REPORTS[name]
    try:
        return report.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise GateError(
            f"mypy did not write its {name} report ({report})", details={"log_tail": run.describe()}
        ) from None


class TypeGate:
    view: GateView | None = TypeReportView()
    id = "type"
    title = "Types"
    tool = "mypy"
    runs_alone = False
    default_timeout = 600.0
    # mypy reads sources, stubs, marker files and its configuration, and the packages installed
    # in the target's interpreter.
    cache = CacheSpec(
        files=("*.py", "*.pyi", "py.typed", "*.toml", "*.cfg", "*.ini"), tools=("mypy",)
    )
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
        mypy = list(resolved.command)
        config = mypy_run.find_config(ctx.root)
        targets, what, counted_in = _what_to_check(ctx, config)
        excludes: list[str] = []
        if targets and not ctx.config.option_list("targets"):
            excludes = [*mypy_run.default_excludes(ctx.root), targets_mod.TESTS.mypy_regex()]
        if ctx.exclude:
            excludes.append(ctx.exclude.mypy_regex())

        ctx.progress("type checking")
        report_dir = ctx.workdir / "anyreport"
        run = ctx.run(
            mypy_run.check_command(
                mypy,
                config=config,
                python=ctx.python,
                cache_dir=ctx.tool_cache("mypy"),
                report_dir=report_dir,
                targets=targets,
                excludes=excludes,
            ),
            env=ctx.env({"PYTHONPYCACHEPREFIX": str(ctx.workdir / "pycache")}),
        )
        if run.returncode == mypy_run.MYPY_BLOCKED_CODE:
            try:
                blocked = mypy_run.parse_messages(run.stdout, ctx.root)
            except GateError:
                blocked = []
            raise GateError(
                _blocked_reason(blocked, run.last_line()), details={"log_tail": run.describe()}
            )
        check_exit("mypy", run, mypy_run.MYPY_OK_CODES)
        try:
            messages = mypy_run.parse_messages(run.stdout, ctx.root)
        except GateError as exc:
            raise GateError(str(exc), details={"log_tail": run.describe()}) from None
        errors = [m for m in messages if m.severity == "error"]
        # In JSON output mode mypy exits 1 when it printed only notes ("By default the bodies of
        # untyped functions are not checked"): notes are not errors, so exit 1 is trusted as long
        # as it printed something. Exit 0 with errors, or exit 1 with nothing, is not.
        if (run.returncode == 0 and errors) or (run.returncode == 1 and not messages):
            raise GateError(
                f"mypy exited with code {run.returncode} but reported {len(errors)} errors; "
                "its output cannot be trusted",
                details={"log_tail": run.describe()},
            )

        modules, total = mypy_run.parse_any_report(_report(report_dir, "any-exprs", run))
        checked = mypy_run.parse_line_report(_report(report_dir, "line-precision", run))
        excluded = (
            ctx.exclude.record(ctx.exclude.python_files(ctx.root, counted_in))
            if ctx.exclude else None
        )
        details = TypeDetails(
            interpreter=str(ctx.python),
            config=config.description,
            checked=what,
            checked_paths=tuple(targets),
            modules=tuple(_figures(m, m.module) for m in modules),
            total=_figures(total, None),
            coverage_definition=COVERAGE_HELP,
            tools=(resolved,),
            notes=tuple(
                f"{m.path}:{m.line}: {m.message}" if m.line else f"{m.path}: {m.message}"
                for m in messages
                if m.severity != "error"
            ),
            exclusion=excluded,
        )
        findings = _findings(messages)
        values = self.finding_values(findings, ctx.config)
        # With no expression counted (all code in unannotated functions, whose bodies mypy does
        # not check, or none at all) the figure is a vacuous 100%: its empty population makes
        # it an error, never a pass.
        values["type_coverage"] = 100.0 if total.coverage is None else total.coverage
        return Measurement(
            values=values,
            populations={
                MODULES: Population("modules checked", len(checked)),
                EXPRESSIONS: Population(
                    "expressions typed (mypy checks no expression inside an unannotated "
                    "function)", total.total,
                ),
            },
            findings=findings,
            details=details.to_dict(),
            tool_name="mypy",
            tool_version=resolved.version,
            warnings=[*resolved.pin_warnings(), *mypy_run.config_warnings(run.stderr)],
        )
