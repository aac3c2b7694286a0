"""Every gate, by id, in the order they are listed and reported."""

from __future__ import annotations

from gates.base import Gate
from gates.coverage import CoverageGate
from gates.lint import LintGate
from gates.load import LoadGate
from gates.security import SecurityGate
from gates.typecheck import TypeGate

GATES: dict[str, Gate] = {
    "coverage": CoverageGate(),
    "lint": LintGate(),
    "type": TypeGate(),
    "security": SecurityGate(),
    "load": LoadGate(),
}
