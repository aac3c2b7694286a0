"""One mypy run on the target: its exit judged, its messages and its two reports read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor.errors import GateError
from auditor.plugin import GateContext
from auditor.procs import ProcResult
from gates.tools import check_exit
from gates.type import mypy_run
from gates.type.mypy_config import MypyConfig

REPORTS = {"any-exprs": mypy_run.ANY_REPORT_FILE, "line-precision": mypy_run.LINE_REPORT_FILE}


@dataclass(frozen=True)
class MypyCheck:
    """What a mypy run that checked the whole target reported."""

    result: ProcResult
    messages: list[mypy_run.MypyMessage]
    """Its errors and notes."""
    modules: list[mypy_run.AnyCount]
    """The any-exprs report's rows, a module each."""
    total: mypy_run.AnyCount
    """The any-exprs report's total row."""
    checked: list[str]
    """The modules mypy checked (its line-precision report's rows)."""


def run_mypy(
    ctx: GateContext,
    mypy: list[str],
    *,
    config: MypyConfig,
    targets: list[str],
    excludes: list[str],
) -> MypyCheck:
    """Run MYPY on TARGETS with the target's CONFIG and interpreter; an error unless it checked
    the whole target and its output can be trusted."""
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
    messages = _trusted_messages(run, ctx.root)
    modules, total = mypy_run.parse_any_report(_report(report_dir, "any-exprs", run))
    checked = mypy_run.parse_line_report(_report(report_dir, "line-precision", run))
    return MypyCheck(run, messages, modules, total, checked)


def _trusted_messages(run: ProcResult, root: Path) -> list[mypy_run.MypyMessage]:
    """mypy's messages, once its exit code says it checked everything and agrees with them."""
    _check_not_blocked(run, root)
    check_exit("mypy", run, mypy_run.MYPY_OK_CODES)
    try:
        messages = mypy_run.parse_messages(run.stdout, root)
    except GateError as exc:
        raise GateError(str(exc), log_tail=run.describe()) from None
    errors = [m for m in messages if m.severity == "error"]
    # In JSON output mode mypy exits 1 when it printed only notes ("By default the bodies of
    # untyped functions are not checked"): notes are not errors, so exit 1 is trusted as long
    # as it printed something. Exit 0 with errors, or exit 1 with nothing, is not.
    if (run.returncode == 0 and errors) or (run.returncode == 1 and not messages):
        raise GateError(
            f"mypy exited with code {run.returncode} but reported {len(errors)} errors; "
            "its output cannot be trusted",
            log_tail=run.describe(),
        )
    return messages


def _check_not_blocked(run: ProcResult, root: Path) -> None:
    """An error when errors (a syntax error, a bad configuration) stopped mypy's check."""
    if run.returncode != mypy_run.MYPY_BLOCKED_CODE:
        return
    try:
        blocked = mypy_run.parse_messages(run.stdout, root)
    except GateError:
        blocked = []
    raise GateError(_blocked_reason(blocked, run.last_line()), log_tail=run.describe())


def _blocked_reason(messages: list[mypy_run.MypyMessage], last_line: str) -> str:
    """Why mypy stopped: the errors that blocked it when it printed them, else its last line."""
    errors = [m for m in messages if m.severity == "error"]
    if not errors:
        return f"mypy could not check the target (exit code 2): {last_line}"
    shown = "; ".join(f"{m.path}:{m.line}: {m.message}" for m in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"mypy stopped before checking the whole target: {shown}{more}"


def _report(report_dir: Path, name: str, run: ProcResult) -> str:
    """The text of one of mypy's reports, which it must have written."""
    report = report_dir / REPORTS[name]
    try:
        return report.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise GateError(
            f"mypy did not write its {name} report ({report})", log_tail=run.describe()
        ) from None
