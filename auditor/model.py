"""The scorecard model: what a gate declares, what it measures, and the scored result.

What a scorecard holds is typed with msgspec Structs: built from typed objects, encoded once by the
JSON writer and decoded once, with validation that names the bad field, when a saved scorecard is
read back (auditor.scorecard). Declarations (`ConditionSpec`, `OptionSpec`) and a gate's
`Measurement` are plain dataclasses: they are never serialised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Final, Literal

import msgspec

from auditor.sections import CountingSection, HistorySection
from auditor.toolinfo import ResolvedTool

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
Fact = str | int | float | bool | None | list[str]
"""A tool-specific fact of a finding (`Finding.extra`)."""
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Percentage = Annotated[float, msgspec.Meta(ge=0, le=100)]

SCHEMA_VERSION: Final = 1


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
class OptionSpec:
    """A gate option other than a threshold, as accepted in `[tool.audit.<gate>]`."""

    name: str
    kind: OptionKind
    default: object
    help: str
    synonyms: tuple[str, ...] = ()
    """What users type for it instead (`rps` for `rate`): a key among them gets a did-you-mean
    naming this option."""


class Population(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
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

    def __str__(self) -> str:
        given = f" of {self.given}" if self.given is not None else ""
        return f"{self.size}{given} {self.noun}"


class Finding(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One thing a tool reported at a place in the code."""

    path: str
    """Relative to the target root, with forward slashes."""
    line: int | None
    rule: str
    severity: Severity
    message: str
    tool: str = ""
    """Which tool reported it (for SARIF runs); gates with one tool may leave it empty."""
    extra: dict[str, Fact] = {}
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


class Condition(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
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


class ExcludedFiles(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The `exclusion` details of a gate: `[tool.audit] exclude` and the files it left out."""

    globs: tuple[str, ...]
    files: int

    def describe(self) -> str:
        """`412 files excluded by [tool.audit] exclude (vendor, *_pb2.py)`."""
        noun = "file" if self.files == 1 else "files"
        return f"{self.files:,} {noun} excluded by [tool.audit] exclude ({', '.join(self.globs)})"


class Details(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True,
              forbid_unknown_fields=True):
    """What a gate reports beyond its conditions and findings. Each gate subclasses it with its
    own fields (`Gate.details_type`), every one with a default: a gate that could not measure
    reports only what it got to. The fields here are every gate's."""

    interpreter: str | None = None
    """The target's interpreter the gate ran with."""
    tools: tuple[ResolvedTool, ...] = ()
    """The tools it ran: command, source and version, and the versions the project pins."""
    exclusion: ExcludedFiles | None = None
    """`[tool.audit] exclude` and how many files it left out, when configured."""
    warnings: tuple[str, ...] = ()
    """What the tools warned about while they still measured."""
    log_tail: str | None = None
    """The failed tool's command and output tail."""
    log: str | None = None
    """Where a longer log was kept (a service's output)."""
    traceback: str | None = None
    """When the gate crashed: where, for a bug report."""


class ToolRun(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    version: str


class Cached(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """When a gate's result was reused from the result cache: the run that measured it."""

    measured_at: str
    """ISO-8601 UTC."""
    commit: str | None
    duration_s: NonNegative


class GateResult(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """One gate's scored outcome, as it appears in the scorecard."""

    id: str
    title: str
    status: Status
    score: Percentage
    duration_s: NonNegative
    reason: str | None
    tool: ToolRun
    conditions: list[Condition]
    findings: list[Finding]
    details: Details
    cached: Cached | None = None
    """Set when the result was reused from the result cache."""


class LeftFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A path the audit added, changed or removed in the target's tree (it never should)."""

    path: str
    """Relative to the target root, with forward slashes."""
    change: Change
    gates: tuple[str, ...]
    """The gates that were running when it changed (empty: the audit itself, between gates)."""

    def describe(self) -> str:
        """One line: what changed and which gates may have done it."""
        when = f"while {' or '.join(self.gates)} ran" if self.gates else "between gates"
        return f"the audit {self.change} {self.path} in the target ({when})"


class GitInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    commit: str | None
    branch: str | None
    dirty: bool | None


class Target(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    path: str
    name: str
    git: GitInfo | None
    python: str
    python_source: str
    component: str | None = None
    """A monorepo's component: its path relative to the repository root, with forward slashes
    (the summary places it, and its findings, by this); None for a project audited alone."""


class Scorecard(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The whole audit: the contract every report derives from."""

    schema_version: Literal[1]
    auditor_version: str
    target: Target
    started_at: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
    duration_s: NonNegative
    status: Status
    score: Percentage
    grade: str
    reason: str | None
    gates: list[GateResult]
    left_in_target: list[LeftFile] | None = None
    """What the audit changed in the target's tree; empty when it left it as found, None when
    the tree was not checked (a scorecard written before the check existed)."""
    history: HistorySection | None = None
    """Where the run was recorded, the run deltas are taken against, the trend of recent runs and
    the success metrics over time; None without a history."""
    counting: CountingSection | None = None
    """What was held against what: the baseline (fixed entries), waivers (expired, expiring,
    unused) and the new-code change; None when none of them applied."""


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
    details: Details = field(default_factory=Details)
    """The gate's typed details (its `Gate.details_type`)."""
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
