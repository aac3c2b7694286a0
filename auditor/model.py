"""The scorecard model: what a gate declares, what it measures, and the scored result.

Everything here is a frozen dataclass that round-trips through the scorecard JSON
(`to_dict` / `from_dict`), so reports can be re-made from a saved `scorecard.json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["<", "<=", ">=", "=="]
Status = Literal["passed", "failed", "error", "skipped", "inconclusive"]
"""`inconclusive` (conditions only): the value passed but its 95% interval reaches over the
threshold under a strict confidence policy; it blocks like a failure."""
Severity = Literal["critical", "warning", "info"]
ThresholdKind = Literal["percent", "count", "ms"]
OptionKind = Literal["str", "int", "number", "bool", "str_list", "table", "table_list"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ConditionSpec:
    """A condition a gate can measure, with its default threshold."""

    id: str
    """Stable identifier; also the config key that sets its threshold."""
    title: str
    """Human-readable name shown in reports."""
    unit: str
    """Unit of the value, e.g. `%` or `ms` (empty for counts)."""
    op: Op
    """How value compares with the threshold; part of the meaning, never configurable."""
    default: float
    """Default threshold."""
    kind: ThresholdKind
    """What range a configured threshold must lie in."""
    help: str
    """One sentence on what is measured."""
    blocking: bool = True
    """Whether a failure fails the run, unless the config says otherwise."""


@dataclass(frozen=True)
class OptionSpec:
    """A gate option other than a threshold, as accepted in `[tool.audit.<gate>]`."""

    name: str
    kind: OptionKind
    default: object
    help: str


@dataclass(frozen=True)
class Finding:
    """One thing a tool reported at a place in the code."""

    path: str
    """Relative to the target root, with forward slashes."""
    line: int | None
    rule: str
    severity: Severity
    message: str
    tool: str = ""
    """Which tool reported it (for SARIF runs); gates with one tool may leave it empty."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Tool-specific facts, e.g. bandit's severity and confidence."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }
        if self.tool:
            out["tool"] = self.tool
        if self.extra:
            out["extra"] = self.extra
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            path=data["path"],
            line=data.get("line"),
            rule=data["rule"],
            severity=data["severity"],
            message=data["message"],
            tool=data.get("tool", ""),
            extra=dict(data.get("extra") or {}),
        )


@dataclass(frozen=True)
class Condition:
    """A measured value held against a threshold."""

    id: str
    title: str
    value: float | None
    unit: str
    op: Op
    threshold: float
    status: Status
    blocking: bool
    reason: str | None = None
    """Why the condition was skipped or could not be measured; None when it was scored."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "value": self.value,
            "unit": self.unit,
            "op": self.op,
            "threshold": self.threshold,
            "status": self.status,
            "blocking": self.blocking,
        }
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Condition:
        return cls(
            **{k: data[k] for k in cls.__dataclass_fields__ if k != "reason"},
            reason=data.get("reason"),
        )


@dataclass(frozen=True)
class Measurement:
    """What a gate returns when it measured: values by condition id, findings and details.

    Every declared condition must be accounted for: measured in `values`, in `skipped` with the
    reason the gate gives (critical paths not configured, no branch data), or in `unmeasured`
    with the reason it could not be measured (the second of two tools failed). A condition in
    none of them, or an id that is no condition of the gate, makes the gate an error.
    """

    values: dict[str, float]
    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    tool_name: str = ""
    tool_version: str = ""
    skipped: dict[str, str] = field(default_factory=dict)
    """Conditions deliberately not measured, with the reason shown for each."""
    unmeasured: dict[str, str] = field(default_factory=dict)
    """Conditions the gate could not measure, with the reason; the gate is then an error."""
    warnings: list[str] = field(default_factory=list)
    """What the tools warned about while they still measured (invalid options, notes)."""
    log_tail: str = ""
    """The failed tool's command and output tail, when a condition is unmeasured."""
    inconclusive: dict[str, str] = field(default_factory=dict)
    """Measured conditions whose passing value is not settled by the sample, with the reason;
    scored `inconclusive` when their value passes."""


@dataclass(frozen=True)
class GateResult:
    """One gate's scored outcome, as it appears in the scorecard."""

    id: str
    title: str
    status: Status
    score: float
    duration_s: float
    reason: str | None
    tool: dict[str, str]
    conditions: list[Condition]
    findings: list[Finding]
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "score": self.score,
            "duration_s": self.duration_s,
            "reason": self.reason,
            "tool": self.tool,
            "conditions": [c.to_dict() for c in self.conditions],
            "findings": [f.to_dict() for f in self.findings],
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        return cls(
            id=data["id"],
            title=data.get("title", data["id"]),
            status=data["status"],
            score=data["score"],
            duration_s=data["duration_s"],
            reason=data.get("reason"),
            tool=dict(data.get("tool") or {}),
            conditions=[Condition.from_dict(c) for c in data.get("conditions", [])],
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            details=dict(data.get("details") or {}),
        )


@dataclass(frozen=True)
class Scorecard:
    """The whole audit: the contract every report derives from."""

    auditor_version: str
    target: dict[str, Any]
    started_at: str
    duration_s: float
    status: Status
    score: float
    grade: str
    gates: list[GateResult]
    reason: str | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "auditor_version": self.auditor_version,
            "target": self.target,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "status": self.status,
            "score": self.score,
            "grade": self.grade,
            "reason": self.reason,
            "gates": [g.to_dict() for g in self.gates],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorecard:
        return cls(
            schema_version=data["schema_version"],
            auditor_version=data["auditor_version"],
            target=dict(data["target"]),
            started_at=data["started_at"],
            duration_s=data["duration_s"],
            status=data["status"],
            score=data["score"],
            grade=data["grade"],
            reason=data.get("reason"),
            gates=[GateResult.from_dict(g) for g in data["gates"]],
        )
