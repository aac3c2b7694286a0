"""Every gate, by id, in the order they are listed and reported."""

from __future__ import annotations

from auditor.plugin import Gate
from gates.api.gate import ApiGate
from gates.coverage.gate import CoverageGate
from gates.history.gate import HistoryGate
from gates.lint.gate import LintGate
from gates.load.gate import LoadGate
from gates.security.gate import SecurityGate
from gates.type.gate import TypeGate

GATES: dict[str, Gate] = {
    "coverage": CoverageGate(),
    "lint": LintGate(),
    "type": TypeGate(),
    "security": SecurityGate(),
    "api": ApiGate(),
    "load": LoadGate(),
    # Reads only what earlier runs recorded; runs last.
    "history": HistoryGate(),
}
