"""A tool run that did not produce a usable report, as a short reason plus its output's tail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from auditor.errors import GateError, ToolMissingError
from auditor.procs import ProcResult
from gates.base import GateContext, tool_failed


class NotAReportError(GateError):
    """A tool's output is not the machine-readable report it was asked for."""


def failure(tool: str, problem: str, result: ProcResult) -> GateError:
    """A GateError naming TOOL and PROBLEM, with the command and its output in `log_tail`."""
    return tool_failed(f"{tool} {problem}", result)


def run_tool(
    ctx: GateContext,
    tool: str,
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
) -> ProcResult:
    """Run TOOL's command in the gate's context; a missing executable names the tool."""
    try:
        return ctx.run(cmd, cwd=cwd, env=env)
    except ToolMissingError as exc:
        raise ToolMissingError(f"{tool}: {exc}") from None


def check_exit(tool: str, result: ProcResult, ok_codes: Sequence[int]) -> None:
    """Raise unless TOOL exited with one of the codes that mean it ran fine."""
    if result.returncode not in ok_codes:
        raise failure(tool, "failed", result)
