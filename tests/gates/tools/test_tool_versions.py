"""A tool's version is read from its installed distribution's metadata instead of starting it
with `--version` (pip-audit's `--version` alone starts pip too); it must be what `--version`
prints. Which gates' tools yield the CPU to the others, and that they do."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor import config
from auditor.plugin import GateContext
from auditor.registry import gates
from gates import tools
from gates.deploy.wheel_run import CHECK_WHEEL_CONTENTS, TWINE
from gates.lint.gate import RUFF
from gates.security.code_scan import BANDIT
from gates.security.dependencies import PIP_AUDIT
from gates.type.gate import MYPY


@pytest.mark.parametrize("tool", [RUFF, MYPY, BANDIT, PIP_AUDIT, CHECK_WHEEL_CONTENTS, TWINE],
                         ids=lambda tool: tool.name)
def test_the_version_from_metadata_is_what_the_tool_prints(tool: tools.Tool) -> None:
    printed = subprocess.run([sys.executable, "-m", tool.module, "--version"],
                             capture_output=True, text=True, check=True, timeout=120)
    assert tools.parse_version(tool.name, printed.stdout) == tools._bundled_version(tool)


def _context(root: Path, gate_id: str, yields_cpu: bool) -> GateContext:
    gate_config = config.load(root, None).gates[gate_id]
    return GateContext(
        root=root, python=Path(sys.executable), workdir=root, out_dir=root / "out",
        config=gate_config, deadline=time.monotonic() + 60, yields_cpu=yields_cpu,
    )


def test_the_analysis_gates_tools_yield_the_cpu_to_the_test_run(tmp_path: Path) -> None:
    yielding = {gate.id for gate in gates().values() if gate.yields_cpu}
    assert yielding == {"lint", "type", "security"}
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    show = [sys.executable, "-c", "import os; print(os.nice(0))"]
    base = int(_context(tmp_path, "coverage", yields_cpu=False).run(show).stdout)
    lowered = int(_context(tmp_path, "lint", yields_cpu=True).run(show).stdout)
    assert lowered == min(base + 10, 19)
