"""The built distributions checked: check-wheel-contents on the wheel, `twine check` on both.

Both are the auditor's own (neither reads the target's environment). check-wheel-contents
runs in the copy of the tree, so the project's own configuration of it (`[tool.check-wheel-
contents]` in pyproject.toml, setup.cfg, tox.ini) applies. `twine check --strict` counts
warnings too (a missing long description). Neither has a machine-readable output: both are
read as text (parse.py), and output of another shape is an error, never "no problem".
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import GateError
from auditor.plugin import GateContext
from auditor.toolinfo import ResolvedTool
from gates import tools
from gates.deploy import parse

CHECK_WHEEL_CONTENTS = tools.Tool(
    "check-wheel-contents", "check_wheel_contents", "check_wheel_contents_command"
)
TWINE = tools.Tool("twine", "twine", "twine_command")
CWC_OK_CODES = (0, 1)
TWINE_OK_CODES = (0, 1)
WIDE = {"COLUMNS": "500", "NO_COLOR": "1"}
"""twine prints through rich: no colours, and no wrapping of its messages."""


def check(
    ctx: GateContext,
    source: Path,
    wheel: Path,
    sdist: Path,
) -> tuple[list[parse.WheelProblem], list[ResolvedTool]]:
    """The problems both tools found, and the tools as they ran."""
    cwc = tools.resolve(ctx, CHECK_WHEEL_CONTENTS, from_target=False)
    ctx.progress("check-wheel-contents")
    contents = tools.run_tool(ctx, cwc.name, [*cwc.command, str(wheel)], cwd=source)
    tools.check_exit("check-wheel-contents", contents, CWC_OK_CODES)
    try:
        problems = parse.check_wheel_contents(contents.stdout)
    except GateError as exc:
        raise GateError(str(exc), log_tail=contents.describe()) from None
    if (contents.returncode == 1) != bool(problems):
        raise tools.tool_failed(
            "check-wheel-contents", contents, detail=f"it reported {len(problems)} problems"
        )

    twine = tools.resolve(ctx, TWINE, from_target=False)
    ctx.progress("twine check")
    checked = tools.run_tool(
        ctx,
        twine.name,
        [*twine.command, "--no-color", "check", "--strict", str(wheel), str(sdist)],
        cwd=ctx.workdir,
        env=tools.tool_env(ctx, WIDE),
    )
    tools.check_exit("twine check", checked, TWINE_OK_CODES)
    try:
        found, verdicts = parse.twine_check(checked.stdout)
    except GateError as exc:
        raise GateError(str(exc), log_tail=checked.describe()) from None
    if sorted(verdicts) != sorted([wheel.name, sdist.name]):
        raise tools.tool_failed(
            "twine check", checked, detail=f"it checked {verdicts}, not both distributions"
        )
    if (checked.returncode == 1) != bool(found):
        raise tools.tool_failed("twine check", checked, detail=f"it reported {len(found)} problems")
    return [*problems, *found], [cwc, twine]
