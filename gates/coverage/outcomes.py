"""The outcome counter's side in the auditor: how outcomes_plugin is put into the test run, and
the file it writes, typed.

outcomes_plugin runs inside the target's interpreter and imports nothing of the auditor, so it
writes plain JSON; this module declares that JSON exactly (`_Outcomes`): every key is always
written, and a key missing or of the wrong type is an error naming it, never a 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated

import msgspec

from auditor.errors import GateError
from gates.coverage import outcomes_plugin
from gates.paths import relative_to_root

OUTCOMES_PLUGIN = "_audit_pytest_outcomes"
"""The module name the outcome-counting plugin is loaded as in the target's test run."""


def plugin_env(plugin_dir: Path, env: dict[str, str], outcomes: Path) -> dict[str, str]:
    """Put the outcome-counting plugin alone into PLUGIN_DIR and make it importable (a
    directory of its own, so nothing else of the auditor can shadow a module of the target); it
    writes its counts to OUTCOMES.

    PLUGIN_DIR is kept between audits (the tool cache): the file is written only when its
    content differs, so its path and modification time stay those its cached bytecode (pytest's
    rewritten module) was compiled from."""
    plugin_dir.mkdir(parents=True, exist_ok=True)
    source = resources.files("gates.coverage").joinpath("outcomes_plugin.py").read_bytes()
    target = plugin_dir / f"{OUTCOMES_PLUGIN}.py"
    if not target.is_file() or target.read_bytes() != source:
        # Written aside and renamed: an audit of the same target at the same time reads either
        # the whole old file or the whole new one.
        partial = plugin_dir / f".{OUTCOMES_PLUGIN}.{os.getpid()}.tmp"
        partial.write_bytes(source)
        partial.replace(target)
    path = os.pathsep.join(p for p in (str(plugin_dir), env.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, outcomes_plugin.ENV_VAR: str(outcomes)}


@dataclass(frozen=True)
class PluginCounts:
    """What the outcome-counting plugin counted in the test run."""

    xpassed: int
    warnings: int
    """The count of pytest's warnings summary."""
    samples: list[str]
    """The first few of those warnings, one line each, paths relative to the target root."""


_Count = Annotated[int, msgspec.Meta(ge=0)]


class _WarningSample(msgspec.Struct, frozen=True):
    """A warning as outcomes_plugin writes it."""

    category: str
    message: str
    filename: str
    lineno: int | None
    """None when the warning names no line."""

    def line(self, root: Path) -> str:
        place = relative_to_root(self.filename, root)
        if self.lineno is not None:
            place += f":{self.lineno}"
        return f"{self.category}: {self.message} ({place})"


class _Outcomes(msgspec.Struct, frozen=True):
    """The file outcomes_plugin writes at the end of the session."""

    xpassed: _Count
    warnings: _Count
    samples: list[_WarningSample]


def parse_outcomes(raw: bytes, root: Path) -> PluginCounts:
    """The counts in RAW, the file outcomes_plugin wrote; an unreadable file is a GateError
    naming the field."""
    try:
        counted = msgspec.json.decode(raw, type=_Outcomes)
    except msgspec.DecodeError as exc:
        raise GateError(
            f"the auditor's outcome counter (`-p {OUTCOMES_PLUGIN}`) wrote counts that cannot "
            f"be read: {exc}"
        ) from None
    return PluginCounts(
        xpassed=counted.xpassed,
        warnings=counted.warnings,
        samples=[sample.line(root) for sample in counted.samples],
    )
