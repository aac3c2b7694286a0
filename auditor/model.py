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
Change = Literal["added", "modified", "deleted"]
OptionKind = Literal["str", "int", "number", "bool", "str_list", "table", "table_list"]
FindingState = Literal["new", "baselined", "waived", "old"]
"""Whether a finding counts: only `new` ones count in a gate's conditions (see DESIGN)."""

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
    ratchets: bool = True
    """For `>=` conditions: whether `audit baseline` records the figure, so that it may not fall
    below it. False for figures of one change (new-line coverage), which no baseline can hold."""
    population: str = ""
    """The key, in the gate's `Measurement.populations`, of what the condition is judged over
    (tests executed, files parsed, ...). A measured value whose population is missing, empty or
    smaller than what the gate was given is an error, never a pass (auditor.scoring)."""


@dataclass(frozen=True)
class Population:
    """What a condition was judged over: how many a gate judged, of how many it was given."""

    noun: str
    """What was counted, in the plural: `tests executed`, `files parsed`, `requests answered`."""
    size: int
    """How many were judged."""
    given: int | None = None
    """How many the gate handed its tool (files given to bandit), when that is known; judging
    fewer than that leaves some unjudged."""
    left_out: tuple[str, ...] = ()
    """Which of those given were not judged, when the tool names them (a file it could not
    parse)."""

    def shortfall(self) -> str | None:
        """Why nothing, or not everything, was judged; None when the population is whole."""
        if self.size <= 0:
            return f"judged over no {self.noun}: nothing was judged, so it cannot pass"
        if self.given is not None and self.size < self.given:
            left = self.given - self.size
            named = f" ({', '.join(self.left_out[:5])})" if self.left_out else ""
            return (f"judged over {self.size} {self.noun} of the {self.given} given: {left} "
                    f"were not judged{named}, so it cannot pass")
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"noun": self.noun, "size": self.size}
        if self.given is not None:
            out["given"] = self.given
        if self.left_out:
            out["left_out"] = list(self.left_out)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Population:
        return cls(noun=data["noun"], size=data["size"], given=data.get("given"),
                   left_out=tuple(data.get("left_out") or ()))

    def __str__(self) -> str:
        given = f" of {self.given}" if self.given is not None else ""
        return f"{self.size}{given} {self.noun}"


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
    fingerprint: str = ""
    """Stable identity across line moves and re-indentation (auditor.fingerprints)."""
    state: FindingState = "new"
    """Whether it counts: `new` does; `baselined`, `waived` and `old` do not."""
    justification: str = ""
    """Why a waived finding does not count: the waiver's reason, owner and expiry."""
    baselinable: bool = True
    """Whether a baseline may hold it. False for what no past excuses (a failing test, a
    known-vulnerable dependency): only a waiver, with owner, reason and expiry, accepts one."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "fingerprint": self.fingerprint,
            "state": self.state,
        }
        if self.tool:
            out["tool"] = self.tool
        if self.extra:
            out["extra"] = self.extra
        if self.justification:
            out["justification"] = self.justification
        if not self.baselinable:
            out["baselinable"] = False
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
            fingerprint=data.get("fingerprint", ""),
            state=data.get("state", "new"),
            justification=data.get("justification", ""),
            baselinable=data.get("baselinable", True) is not False,
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
    baseline: float | None = None
    """The figure recorded in the baseline, for a `>=` condition that has one."""
    ratchet: float | None = None
    """The effective threshold when the baseline figure lowers it (baseline minus tolerance);
    the value is compared with this instead of `threshold`."""
    population: Population | None = None
    """What the value was judged over, when the gate declares it."""

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
        if self.baseline is not None:
            out["baseline"] = self.baseline
        if self.ratchet is not None:
            out["ratchet"] = self.ratchet
        if self.population is not None:
            out["population"] = self.population.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Condition:
        optional = ("reason", "baseline", "ratchet", "population")
        population = data.get("population")
        required: dict[str, Any] = {
            k: data[k] for k in cls.__dataclass_fields__ if k not in optional
        }
        return cls(
            **required,
            reason=data.get("reason"),
            baseline=data.get("baseline"),
            ratchet=data.get("ratchet"),
            population=Population.from_dict(population) if population is not None else None,
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
    populations: dict[str, Population] = field(default_factory=dict)
    """What the conditions were judged over, by the key their `ConditionSpec.population` names."""


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
    cached: dict[str, Any] | None = None
    """Set when the result was reused from the result cache: `measured_at` (ISO-8601 UTC),
    `commit` and `duration_s` of the run that measured it."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
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
        if self.cached is not None:
            out["cached"] = self.cached
        return out

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
            cached=data.get("cached"),
        )


@dataclass(frozen=True)
class LeftFile:
    """A path the audit added, changed or removed in the target's tree (it never should)."""

    path: str
    """Relative to the target root, with forward slashes."""
    change: Change
    gates: tuple[str, ...]
    """The gates that were running when it changed (empty: the audit itself, between gates)."""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "change": self.change, "gates": list(self.gates)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LeftFile:
        change = data.get("change")
        return cls(
            path=str(data.get("path", "")),
            change=change if change in ("added", "deleted") else "modified",
            gates=tuple(str(g) for g in data.get("gates") or ()),
        )

    def describe(self) -> str:
        """One line: what changed and which gates may have done it."""
        when = f"while {' or '.join(self.gates)} ran" if self.gates else "between gates"
        return f"the audit {self.change} {self.path} in the target ({when})"


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
    left_in_target: list[LeftFile] | None = None
    """What the audit changed in the target's tree; empty when it left it as found, None when
    the tree was not checked (a scorecard written before the check existed)."""
    history: dict[str, Any] | None = None
    """Where the run was recorded, the run deltas are taken against, the trend of recent runs and
    the success metrics over time (`auditor.history.section`); None without a history."""
    counting: dict[str, Any] | None = None
    """What was held against what: the baseline (fixed entries), waivers (expired, expiring,
    unused) and the new-code change; None when none of them applied."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
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
        if self.left_in_target is not None:
            out["left_in_target"] = [f.to_dict() for f in self.left_in_target]
        if self.history is not None:
            out["history"] = self.history
        if self.counting is not None:
            out["counting"] = self.counting
        return out

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
            left_in_target=(
                [LeftFile.from_dict(f) for f in left if isinstance(f, dict)]
                if isinstance(left := data.get("left_in_target"), list)
                else None
            ),
            history=dict(data["history"]) if isinstance(data.get("history"), dict) else None,
            counting=data.get("counting"),
        )
