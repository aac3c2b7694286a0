"""The lint gate: ruff with the target's own configuration plus the critical rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from auditor.cache import CacheSpec
from auditor.errors import ConfigError, GateError
from auditor.exclude import NOTHING, Exclusion
from auditor.model import (
    ConditionSpec,
    ExcludedFiles,
    Fact,
    Finding,
    Measurement,
    OptionSpec,
    Population,
)
from auditor.plugin import BaseGate, GateConfig, GateContext, GateView
from auditor.procs import ProcResult
from gates import tools
from gates.lint import ruff_run
from gates.lint.details import FileCounts, LintDetails
from gates.lint.view import LintReportView
from gates.tools import check_exit

DEFAULT_CRITICAL = ["E9", "F63", "F7", "F82"]


RUFF = tools.Tool("ruff", "ruff", "ruff_command")


def _summary(
    findings: list[ruff_run.RuffFinding], critical: list[str]
) -> tuple[list[Finding], dict[str, int], dict[str, FileCounts]]:
    out: list[Finding] = []
    by_rule: Counter[str] = Counter()
    by_file: dict[str, Counter[str]] = {}
    for item in findings:
        severe = ruff_run.is_critical(item.rule, critical)
        by_rule[item.rule] += 1
        by_file.setdefault(item.path, Counter())["critical" if severe else "warnings"] += 1
        extra: dict[str, Fact] = {"name": item.name} if item.name else {}
        if item.column is not None:
            extra["column"] = item.column
        out.append(
            Finding(
                path=item.path,
                line=item.line,
                rule=item.rule,
                severity="critical" if severe else "warning",
                message=item.message,
                tool="ruff",
                extra=extra,
            )
        )
    files = {
        path: FileCounts(critical=counts["critical"], warnings=counts["warnings"])
        for path, counts in sorted(by_file.items())
    }
    return out, dict(sorted(by_rule.items())), files


def _findings(ctx: GateContext, what: str, check: ProcResult) -> list[ruff_run.RuffFinding]:
    """The findings of one ruff run, which must have run fine and agree with its exit code."""
    check_exit(what, check, ruff_run.RUFF_OK_CODES)
    try:
        parsed = ruff_run.parse_findings(check.stdout, ctx.root)
    except GateError as exc:
        raise GateError(str(exc), log_tail=check.describe()) from None
    if (check.returncode == 1) != bool(parsed):
        raise GateError(
            f"{what} exited with code {check.returncode} but reported {len(parsed)} findings; "
            "its output cannot be trusted",
            log_tail=check.describe(),
        )
    return parsed


def _hidden_warning(hidden: Sequence[ruff_run.RuffFinding]) -> list[str]:
    if not hidden:
        return []
    places = ", ".join(f"{f.path}:{f.line} {f.rule}" for f in hidden[:5])
    return [
        f"{len(hidden)} critical finding(s) the project's ruff configuration ignores "
        f"({places}) are judged anyway: the critical rules count whatever `ignore` and "
        "`per-file-ignores` say; accept one with a [[tool.audit.waivers]] entry"
    ]


def _list_files(
    ctx: GateContext, ruff: list[str], selection: ruff_run.Selection, exclusion: Exclusion
) -> list[str]:
    """The files ruff checks with this selection and exclusion."""
    listed = ctx.run(ruff_run.files_command(ruff, selection, exclusion), env=tools.tool_env(ctx))
    check_exit("ruff check --show-files", listed, (0,))
    files = ruff_run.parse_files(listed.stdout)
    not_files = [f for f in files if not (ctx.root / f).is_file()]
    if not_files:
        raise GateError(
            "`ruff check --show-files` printed something that is not a file: "
            f"{not_files[0]!r:.200}"
        )
    return files


FILES = "files"
"""The population the conditions are judged over: the files ruff checked."""


class LintGate(BaseGate):
    view: GateView | None = LintReportView()
    id = "lint"
    title = "Lint"
    tool = "ruff"
    order = 20
    build_conditions = ("critical_errors",)
    runs_alone = False
    yields_cpu = True
    default_timeout = 300.0
    # ruff reads Python sources, notebooks and its configuration; the target's own ruff, when
    # installed there, is one of the interpreter's distributions.
    cache = CacheSpec(files=("*.py", "*.pyi", "*.ipynb", "*.toml"), tools=("ruff",))
    details_type = LintDetails
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec("critical_errors", "Critical lint errors", "", "<=", 0, "count",
                      "ruff findings of the critical rules (syntax errors, undefined names, ...)",
                      population=FILES),
        ConditionSpec("max_warnings_per_file", "Most warnings in one file", "", "<", 5, "count",
                      "the most non-critical ruff findings in any one file", population=FILES),
    )
    options: tuple[OptionSpec, ...] = (
        OptionSpec("critical_rules", "str_list", DEFAULT_CRITICAL,
                   "ruff rule prefixes whose findings are critical; always checked, added to "
                   "the project's selection (syntax errors are always critical)"),
        tools.TOOL_SOURCE_OPTION,
        OptionSpec("ruff_command", "str_list", [],
                   "the ruff executable to run, as a command list (default: the bundled ruff)"),
        OptionSpec("ruff_config", "str", "",
                   "a ruff configuration file to use, relative to the target root (default: the "
                   "target's own; configuration in parent directories is never used)"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        tools.check_tool_source(config, self.id)
        for selector in config.option_list("critical_rules"):
            if not ruff_run.valid_selector(selector):
                raise ConfigError(
                    f"`{selector}` in `critical_rules` of [tool.audit.lint] is not a ruff rule "
                    "code or prefix (like `F82` or `E9`)"
                )

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        warnings = Counter(f.path for f in findings if f.severity != "critical")
        return {
            "critical_errors": float(sum(f.severity == "critical" for f in findings)),
            "max_warnings_per_file": float(max(warnings.values(), default=0)),
        }

    def measure(self, ctx: GateContext) -> Measurement:
        resolved = tools.resolve(ctx, RUFF)
        ruff = list(resolved.command)
        critical = ctx.config.option_list("critical_rules")
        selection = ruff_run.find_config(ctx.root, ctx.config.option_str("ruff_config"))

        ctx.progress("listing files")
        files = _list_files(ctx, ruff, selection, ctx.exclude)
        if not files:
            raise GateError("ruff found no Python file to check in the target (after its excludes)")
        excluded: ExcludedFiles | None = None
        if ctx.exclude:
            every = _list_files(ctx, ruff, selection, NOTHING)
            excluded = ctx.exclude.record(sorted(set(every) - set(files)))

        ctx.progress(f"checking {len(files)} files")
        cache = ctx.tool_cache("ruff")
        check = ctx.run(ruff_run.check_command(ruff, selection, critical, cache, ctx.exclude),
                        env=tools.tool_env(ctx))
        parsed = _findings(ctx, "ruff check", check)
        hidden: list[ruff_run.RuffFinding] = []
        if critical:
            # The critical rules are judged whatever the project's ignores say.
            again = ctx.run(ruff_run.check_command(ruff, selection, critical, cache,
                                                   ctx.exclude, critical_only=True),
                            env=tools.tool_env(ctx))
            parsed, hidden = ruff_run.merge_critical(
                parsed, _findings(ctx, "ruff check (critical rules)", again), critical
            )

        findings, by_rule, by_file = _summary(parsed, critical)
        details = LintDetails(
            selection=selection.description,
            critical_rules=(*critical, ruff_run.SYNTAX_RULE),
            files_checked=len(files),
            by_rule=by_rule,
            by_file=by_file,
            tools=(resolved,),
            exclusion=excluded,
        )
        return Measurement(
            values=self.finding_values(findings, ctx.config),
            # A file ruff cannot parse is a critical finding (syntax error), so it is judged.
            populations={FILES: Population("files checked", len(files))},
            findings=findings,
            details=details,
            tool_name="ruff",
            tool_version=resolved.version,
            warnings=[
                *ruff_run.parse_warnings(check.stderr),
                *resolved.pin_warnings(),
                *_hidden_warning(hidden),
            ],
        )
