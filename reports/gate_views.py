"""Per-gate sections of the HTML report, read from each gate's details.

A known gate (coverage, lint, type, security, load) gets a tailored view of the details keys
it documents; every other key, and every other gate, is shown generically, so a new gate or
a new details key needs no change here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from auditor.model import GateResult
from reports import access, chart, generic, text

LIST_LIMIT = 200
"""Rows shown per list (findings per gate, files, modules, endpoints); the rest is counted."""
LOG_LINES = 80
LOG_CHARS = 12000


@dataclass(frozen=True)
class Bar:
    """A 0-100 figure drawn as a bar."""

    percent: float | None
    label: str
    css: str
    """`good`, `warn` or `bad` against the threshold the gate applied."""


def bar(percent: float | None, threshold: float | None) -> Bar:
    if percent is None:
        return Bar(None, "—", "none")
    limit = 100.0 if threshold is None else threshold
    css = "good" if percent >= limit else ("warn" if percent >= limit * 0.75 else "bad")
    return Bar(max(0.0, min(percent, 100.0)), text.with_unit(percent, "%"), css)


def _threshold(gate: GateResult, condition_id: str) -> float | None:
    return next((c.threshold for c in gate.conditions if c.id == condition_id), None)


def _count(value: object) -> str:
    figure = access.num(value)
    return text.number(figure) if figure is not None else "—"


# ---- coverage ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoverageFile:
    path: str
    bar: Bar
    statements: str
    missing: str
    missing_lines: str
    branches: str
    critical: bool


@dataclass(frozen=True)
class CoverageView:
    tests: list[tuple[str, str]]
    interpreter: str
    branch: bool
    precision: str
    files: list[CoverageFile]
    more_files: int
    measured: int
    critical_files: int
    skipped_files: list[str]
    more_skipped: int


def coverage_view(gate: GateResult) -> CoverageView:
    details = gate.details
    line_target = _threshold(gate, "line_coverage")
    critical_target = _threshold(gate, "critical_coverage")
    records = access.records(details.get("files"))
    records.sort(key=lambda f: (access.num(f.get("percent")) or 0.0, access.text(f.get("path"))))
    files: list[CoverageFile] = []
    for record in records[:LIST_LIMIT]:
        critical = record.get("critical") is True
        branches = access.num(record.get("branches"))
        missing_branches = access.num(record.get("missing_branches"))
        files.append(CoverageFile(
            path=access.text(record.get("path")),
            bar=bar(access.num(record.get("percent")),
                    critical_target if critical and critical_target is not None else line_target),
            statements=_count(record.get("statements")),
            missing=_count(record.get("missing")),
            missing_lines=text.shorten(access.text(record.get("missing_lines")), 160),
            branches=(
                f"{text.number(branches - (missing_branches or 0))}/{text.number(branches)}"
                if branches is not None else ""
            ),
            critical=critical,
        ))
    tests = access.mapping(details.get("tests"))
    skipped = access.strings(details.get("skipped_files"))
    precision = access.num(details.get("precision"))
    return CoverageView(
        tests=[(k, _count(v)) for k, v in tests.items()],
        interpreter=access.text(details.get("interpreter")),
        branch=details.get("branch") is True,
        precision=f"{text.number(precision)} decimal places" if precision is not None else "",
        files=files,
        more_files=max(len(records) - LIST_LIMIT, 0),
        measured=len(records),
        critical_files=sum(r.get("critical") is True for r in records),
        skipped_files=skipped[:LIST_LIMIT],
        more_skipped=max(len(skipped) - LIST_LIMIT, 0),
    )


# ---- lint ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LintView:
    selection: str
    critical_rules: list[str]
    rules: list[tuple[str, str, bool]]
    more_rules: int
    files: list[tuple[str, str, str]]
    more_files: int


def lint_view(gate: GateResult) -> LintView:
    details = gate.details
    critical_rules = access.strings(details.get("critical_rules"))
    rules = sorted(access.counts(details.get("by_rule")).items(), key=lambda kv: (-kv[1], kv[0]))
    by_file = [
        (path, access.mapping(v)) for path, v in access.mapping(details.get("by_file")).items()
    ]
    by_file.sort(key=lambda kv: (
        -(access.num(kv[1].get("critical")) or 0.0), -(access.num(kv[1].get("warnings")) or 0.0),
        kv[0],
    ))
    return LintView(
        selection=access.text(details.get("selection")),
        critical_rules=critical_rules,
        rules=[
            (rule, text.number(n), any(rule.startswith(c) for c in critical_rules))
            for rule, n in rules[:LIST_LIMIT]
        ],
        more_rules=max(len(rules) - LIST_LIMIT, 0),
        files=[(p, _count(v.get("critical")), _count(v.get("warnings")))
               for p, v in by_file[:LIST_LIMIT]],
        more_files=max(len(by_file) - LIST_LIMIT, 0),
    )


# ---- type ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TypeModule:
    module: str
    bar: Bar
    any: str
    total: str


@dataclass(frozen=True)
class TypeView:
    interpreter: str
    modules: list[TypeModule]
    more_modules: int
    total: TypeModule | None


def _type_module(record: dict[str, object], target: float | None, name: str) -> TypeModule:
    return TypeModule(
        module=name,
        bar=bar(access.num(record.get("coverage")), target),
        any=_count(record.get("any")),
        total=_count(record.get("total")),
    )


def type_view(gate: GateResult) -> TypeView:
    target = _threshold(gate, "type_coverage")
    records = access.records(gate.details.get("modules"))
    records.sort(key=lambda m: (access.num(m.get("coverage")) or 0.0, access.text(m.get("module"))))
    total = access.mapping(gate.details.get("total"))
    return TypeView(
        interpreter=access.text(gate.details.get("interpreter")),
        modules=[
            _type_module(m, target, access.text(m.get("module"))) for m in records[:LIST_LIMIT]
        ],
        more_modules=max(len(records) - LIST_LIMIT, 0),
        total=_type_module(total, target, "total") if total else None,
    )


# ---- security ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Vulnerability:
    name: str
    version: str
    id: str
    aliases: str
    fixes: str
    description: str


@dataclass(frozen=True)
class SecurityView:
    counts: list[tuple[str, str]]
    excluded: list[str]
    source: str
    audited: str
    skipped: list[tuple[str, str, str]]
    more_skipped: int
    ignored: list[str]
    vulnerable: list[Vulnerability]
    more_vulnerable: int


def security_view(gate: GateResult) -> SecurityView:
    bandit = access.mapping(gate.details.get("bandit"))
    deps = access.mapping(gate.details.get("dependencies"))
    vulnerable = access.records(deps.get("vulnerable"))
    skipped = access.records(deps.get("skipped"))
    order = {"HIGH": 0, "MEDIUM": 1, "LOW": 2, "UNDEFINED": 3}
    counts = sorted(access.counts(bandit.get("counts")).items(), key=lambda kv: order.get(kv[0], 9))
    return SecurityView(
        counts=[(k, text.number(v)) for k, v in counts],
        excluded=access.strings(bandit.get("excluded")),
        source=access.text(deps.get("source")),
        audited=_count(deps.get("audited")),
        skipped=[
            (access.text(s.get("name")), access.text(s.get("version")),
             text.shorten(access.text(s.get("reason")), 200))
            for s in skipped[:LIST_LIMIT]
        ],
        more_skipped=max(len(skipped) - LIST_LIMIT, 0),
        ignored=access.strings(deps.get("ignored")),
        vulnerable=[
            Vulnerability(
                name=access.text(v.get("name")),
                version=access.text(v.get("version")),
                id=access.text(v.get("id")),
                aliases=", ".join(access.strings(v.get("aliases"))),
                fixes=", ".join(access.strings(v.get("fix_versions"))),
                description=text.shorten(text.clean(access.text(v.get("description"))), 400),
            )
            for v in vulnerable[:LIST_LIMIT]
        ],
        more_vulnerable=max(len(vulnerable) - LIST_LIMIT, 0),
    )


# ---- load ----------------------------------------------------------------------------------

PERCENTILES = (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"), ("max", "max_ms"))
CHARTED = PERCENTILES[:3]
"""The maximum is one request, often a cold start: charted, it would flatten the percentiles."""


@dataclass(frozen=True)
class Stage:
    name: str
    figures: list[tuple[str, str]]
    endpoints: list[list[str]]
    more_endpoints: int
    failures: list[list[str]]
    more_failures: int


@dataclass(frozen=True)
class LoadView:
    stages: list[Stage]
    chart: chart.BarChart | None
    saturated: bool
    log: str
    """The load generator's log text (its last lines)."""
    log_file: str
    """Where the log was written, when details name a file instead of holding the text."""


def _ms(value: object) -> str:
    return text.with_unit(access.num(value), "ms")


def _stage(name: str, data: dict[str, object]) -> Stage:
    error_rate = access.num(data.get("error_rate"))
    rps = access.num(data.get("rps"))
    duration = access.num(data.get("duration_s"))
    endpoints = sorted(access.records(data.get("endpoints")),
                       key=lambda e: -(access.num(e.get("p95_ms")) or 0.0))
    failures = sorted(access.records(data.get("failures_seen")),
                      key=lambda f: -(access.num(f.get("count")) or 0.0))
    return Stage(
        name=name,
        figures=[
            ("users", _count(data.get("users"))),
            ("duration", text.duration(duration) if duration is not None else "—"),
            ("requests", _count(data.get("requests"))),
            ("failures", _count(data.get("failures"))),
            ("throughput", f"{rps:.1f} req/s" if rps is not None else "—"),
            ("error rate", text.with_unit(error_rate, "%")),
            *((label, _ms(data.get(key))) for label, key in PERCENTILES),
        ],
        endpoints=[
            [access.text(e.get("method")), access.text(e.get("name")), _count(e.get("requests")),
             _count(e.get("failures")), _ms(e.get("median_ms")), _ms(e.get("p95_ms")),
             _ms(e.get("p99_ms")), _ms(e.get("max_ms")),
             f"{access.num(e.get('rps')) or 0.0:.1f}"]
            for e in endpoints[:LIST_LIMIT]
        ],
        more_endpoints=max(len(endpoints) - LIST_LIMIT, 0),
        failures=[
            [access.text(f.get("method")), access.text(f.get("name")),
             text.shorten(text.clean(access.text(f.get("error"))), 300), _count(f.get("count"))]
            for f in failures[:LIST_LIMIT]
        ],
        more_failures=max(len(failures) - LIST_LIMIT, 0),
    )


def _load_chart(gate: GateResult, stages: dict[str, dict[str, object]]) -> chart.BarChart | None:
    series: list[chart.Series] = []
    for name, css in (("normal", "s-normal"), ("peak", "s-peak")):
        data = stages.get(name)
        if data is None:
            continue
        prefix = "" if name == "normal" else "peak_"
        series.append(chart.Series(
            name=f"{name} ({_count(data.get('users'))} users)",
            css=css,
            values=[access.num(data.get(key)) for _, key in CHARTED],
            targets=[_threshold(gate, prefix + key) for _, key in CHARTED],
        ))
    if not any(v is not None for s in series for v in s.values):
        return None
    return chart.bar_chart(
        "Response time percentiles by load stage", [label for label, _ in CHARTED], series, "ms"
    )


def load_view(gate: GateResult) -> LoadView:
    stages = {k: access.mapping(v) for k, v in access.mapping(gate.details.get("stages")).items()}
    ordered = sorted(stages, key=lambda k: {"normal": 0, "peak": 1}.get(k, 2))
    log = access.text(gate.details.get("log"))
    is_file = bool(log) and "\n" not in log and len(log) < 300
    return LoadView(
        stages=[_stage(name, stages[name]) for name in ordered],
        chart=_load_chart(gate, stages),
        saturated=gate.details.get("saturated") is True,
        log=text.tail(log, LOG_LINES, LOG_CHARS)[0] if log and not is_file else "",
        log_file=log if is_file else "",
    )


# ---- sections ------------------------------------------------------------------------------

View = CoverageView | LintView | TypeView | SecurityView | LoadView


@dataclass(frozen=True)
class Known:
    build: Callable[[GateResult], View]
    keys: dict[str, type]
    """Details keys the view shows, with the type they must have to be shown by it."""


KNOWN: dict[str, Known] = {
    "coverage": Known(coverage_view, {"interpreter": str, "tests": dict, "branch": bool,
                                      "files": list, "skipped_files": list, "precision": int}),
    "lint": Known(lint_view, {"selection": str, "critical_rules": list, "by_rule": dict,
                              "by_file": dict}),
    "type": Known(type_view, {"interpreter": str, "modules": list, "total": dict}),
    "security": Known(security_view, {"bandit": dict, "dependencies": dict}),
    "load": Known(load_view, {"stages": dict, "log": str, "saturated": bool}),
}


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    status: str
    score: str
    tool: str
    duration: str
    reason: str | None
    log_tail: str
    log_cut: int
    kind: str
    view: View | None
    findings: generic.FindingGroups
    others: list[generic.Node] = field(default_factory=list)


def section(gate: GateResult) -> Section:
    known = KNOWN.get(gate.id)
    shown: set[str] = {"log_tail"}
    view: View | None = None
    if known is not None:
        present = {k for k, t in known.keys.items() if isinstance(gate.details.get(k), t)}
        if present:
            view = known.build(gate)
            shown |= present
    log_tail, log_cut = text.tail(access.text(gate.details.get("log_tail")), LOG_LINES, LOG_CHARS)
    tool = " ".join(p for p in (gate.tool.get("name", ""), gate.tool.get("version", "")) if p)
    return Section(
        id=gate.id,
        title=gate.title or gate.id,
        status=gate.status,
        score=text.number(gate.score),
        tool=tool,
        duration=text.duration(gate.duration_s),
        reason=gate.reason,
        log_tail=log_tail,
        log_cut=log_cut,
        kind=gate.id if view is not None else "generic",
        view=view,
        findings=generic.group_findings(gate.findings, LIST_LIMIT),
        others=generic.details_nodes(gate.details, shown, LIST_LIMIT),
    )
