"""Running a gate's tools: which command runs, its version, its exit code judged, its failure told.

Every gate uses these, so a tool that is missing, crashes or prints something unreadable is
reported the same way everywhere: one short reason (what failed, the exit code, the tool's last
line) with the command and its output's tail kept in the gate's details as `log_tail`.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from auditor.errors import ConfigError, GateError, ToolMissingError
from auditor.model import OptionSpec
from auditor.plugin import GateConfig, GateContext
from auditor.procs import ProcResult
from auditor.toolinfo import ResolvedTool, Source
from gates.pins import project_pins

ToolSource = Literal["auto", "target", "bundled"]
TOOL_SOURCES: tuple[ToolSource, ...] = ("auto", "target", "bundled")
TOOL_SOURCE_OPTION = OptionSpec(
    "tool_source", "str", "auto",
    "where the tool comes from: `target` (the target's interpreter has it installed, so its "
    "pinned version and plugins apply), `bundled` (the auditor's own) or `auto` (the "
    "target's when installed there, else the bundled one)",
)
_VERSION = re.compile(r"\b(\d+(?:\.\d+)+[\w.+-]*)")
_T = TypeVar("_T")
NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}
"""Python writes no `__pycache__`: the target's interpreter imports from the target's tree (its
`.venv`, a `.pth` hook such as setuptools' `_distutils_hack` or an editable install's finder)."""


class NotAReportError(GateError):
    """A tool's output is not the machine-readable report it was asked for."""


def tool_failed(
    what: str, result: ProcResult, *, quote: str | None = None, detail: str | None = None
) -> GateError:
    """A short reason (what went wrong, the exit code, QUOTE or else the tool's last line, and
    DETAIL: why its output could not be read) with the command and its output's tail kept in
    the gate's details as `log_tail`."""
    because = f" ({detail})" if detail else ""
    return GateError(
        f"{what} (exit code {result.returncode}): {quote or result.last_line()}{because}",
        log_tail=result.describe(tail_lines=40),
    )


def check_exit(what: str, result: ProcResult, ok_codes: Sequence[int]) -> None:
    """Raise unless WHAT exited with one of the codes that mean it ran fine."""
    if result.returncode not in ok_codes:
        raise tool_failed(f"{what} failed", result)


def tool_env(ctx: GateContext, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child that may run the target's interpreter (a probe, a tool
    installed there, or one that runs it): the gate's (`GateContext.env`) and EXTRA, with
    NO_BYTECODE, so the audit leaves no `__pycache__` in the target's tree."""
    return ctx.env({**(extra or {}), **NO_BYTECODE})


def run_tool(
    ctx: GateContext,
    tool: str,
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ProcResult:
    """Run TOOL's command in the gate's context (in ENV, else `tool_env`); a missing executable
    names the tool."""
    try:
        return ctx.run(cmd, cwd=cwd, env=env if env is not None else tool_env(ctx))
    except ToolMissingError as exc:
        raise ToolMissingError(f"{tool}: {exc}") from None


@dataclass(frozen=True)
class Tool:
    """A Python tool a gate drives: run as `python -m MODULE`, or as the gate's `<name>_command`."""

    name: str
    """As the user knows it, e.g. `pip-audit`."""
    module: str
    """What `python -m` runs, e.g. `pip_audit`."""
    option: str
    """The gate option that replaces the whole command, e.g. `pip_audit_command`."""


def target_has_module(ctx: GateContext, module: str) -> bool:
    """Whether the target's interpreter can import MODULE (without importing it)."""
    probe = (
        "import importlib.util, sys; "
        f"sys.exit(0 if importlib.util.find_spec({module!r}) else 1)"
    )
    try:
        result = ctx.run([str(ctx.python), "-c", probe], env=tool_env(ctx))
    except ToolMissingError:
        return False
    return result.returncode == 0


def parse_version(name: str, stdout: str) -> str:
    """The first version number TOOL --version printed (`ruff 0.17.6`, `mypy 2.4.1 (compiled)`)."""
    match = _VERSION.search(stdout)
    if match is None:
        raise GateError(
            f"`{name} --version` printed something unexpected: {stdout.strip()[:200]!r}"
        )
    return match[1]


def _target_version(ctx: GateContext, tool: Tool) -> str | None:
    """The version of TOOL's distribution in the target's interpreter (read from its metadata,
    without importing the tool); "" when the module is there without metadata, None when the
    module is not there."""
    probe = (
        "import importlib.metadata as m, importlib.util, sys\n"
        f"if importlib.util.find_spec({tool.module!r}) is None: sys.exit(1)\n"
        f"try: print(m.version({tool.name!r}))\n"
        "except m.PackageNotFoundError: print()\n"
    )
    try:
        result = ctx.run([str(ctx.python), "-c", probe], env=tool_env(ctx))
    except ToolMissingError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _bundled_version(tool: Tool) -> str:
    """The version of the auditor's own TOOL from its distribution's metadata; "" without."""
    try:
        return importlib.metadata.version(tool.name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _reported_version(ctx: GateContext, tool: Tool, command: Sequence[str]) -> str:
    """The version COMMAND prints for `--version`: a configured command may be anything."""
    ctx.progress(f"{tool.name} --version")
    result = run_tool(ctx, tool.name, [*command, "--version"])
    check_exit(f"{tool.name} --version", result, (0,))
    return parse_version(tool.name, result.stdout)


def resolve(ctx: GateContext, tool: Tool, *, from_target: bool = True) -> ResolvedTool:
    """The command for TOOL: the configured one, else the target's or the bundled one as
    `tool_source` says (FROM_TARGET false: never the target's); with its version, read from
    the installed distribution's metadata (as `--version` reports it, without starting the tool),
    else from `--version`."""
    configured = ctx.config.option_list(tool.option)
    source_option = _tool_source(ctx.config) if from_target else "bundled"
    in_target = None if configured or source_option == "bundled" else _target_version(ctx, tool)
    source: Source
    if configured:
        command, source, version = configured, "configured", ""
    elif in_target is not None:
        command, source, version = [str(ctx.python), "-m", tool.module], "target", in_target
    elif source_option == "target":
        raise GateError(
            f"{tool.name} is not installed in the target's interpreter {ctx.python}; install it "
            f"there, or set tool_source = \"auto\" to use the auditor's own {tool.name}"
        )
    else:
        # `python -m ruff` execs the bundled binary in place, so the process group stays the same.
        command, source = [sys.executable, "-m", tool.module], "bundled"
        version = _bundled_version(tool)
    return ResolvedTool(
        name=tool.name, version=version or _reported_version(ctx, tool, command), source=source,
        command=tuple(command),
        # A tool that always comes from the auditor (pip-audit) is never the project's to pin.
        pins=tuple(project_pins(ctx.root, tool.name)) if from_target else (),
    )


def _tool_source(config: GateConfig, gate_id: str | None = None) -> ToolSource:
    """The `tool_source` option (TOOL_SOURCE_OPTION holds its default); ConfigError unless it
    is one of its choices."""
    value = config.option_str("tool_source")
    for source in TOOL_SOURCES:
        if value == source:
            return source
    table = f"[tool.audit.{gate_id}]" if gate_id else "its gate's table"
    raise ConfigError(
        f"`tool_source` in {table} must be one of {', '.join(TOOL_SOURCES)}, "
        f"not {value!r}"
    )


def check_tool_source(config: GateConfig, gate_id: str) -> None:
    """Raise ConfigError unless `tool_source` is one of its choices."""
    _tool_source(config, gate_id)


def required_option(value: _T | None, gate_id: str, key: str) -> _T:
    """The value of an option whose OptionSpec has a default: the validated configuration holds
    one of the OptionSpec's kind (read with `GateConfig.option_*`), else ConfigError."""
    if value is None:
        raise ConfigError(f"`{key}` in [tool.audit.{gate_id}] has no value of its kind")
    return value
