"""Runs the selected gates (in parallel where they allow it) and scores them into a Scorecard."""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from auditor import __version__, counting, fingerprints, gitinfo, procs, scoring, treecheck
from auditor.cache import ResultCache
from auditor.errors import GateError, SkipGateError
from auditor.exclude import Exclusion
from auditor.model import (
    SCHEMA_VERSION,
    Details,
    GateResult,
    Measurement,
    Scorecard,
    Status,
    Target,
    ToolRun,
)
from auditor.plugin import Gate, GateConfig, GateContext
from auditor.registry import gates as registered_gates
from auditor.sections import CountingSection

if TYPE_CHECKING:
    from auditor.history.location import HistoryRef


class Events(Protocol):
    """Receives progress of an audit, e.g. a live display."""

    def gate_started(self, gate_id: str) -> None: ...

    def gate_progress(self, gate_id: str, message: str) -> None: ...

    def gate_finished(self, result: GateResult) -> None: ...


class NoEvents:
    """Events that go nowhere."""

    def gate_started(self, gate_id: str) -> None:
        pass

    def gate_progress(self, gate_id: str, message: str) -> None:
        pass

    def gate_finished(self, result: GateResult) -> None:
        pass


@dataclass(frozen=True)
class Plan:
    """What to audit and how."""

    root: Path
    python: Path
    python_source: str
    out_dir: Path
    gates: dict[str, GateConfig]
    selected: tuple[str, ...]
    enabled: dict[str, bool]
    jobs: int
    exclude: tuple[str, ...] = ()
    """`[tool.audit] exclude`: globs every gate leaves out."""
    history: HistoryRef | None = None
    """Where earlier runs are recorded, for gates that read them; None: no history."""
    cache: ResultCache | None = None
    """Reuses gate results (and keeps tools' incremental caches) between audits; None: off."""
    counting: counting.Rules = field(default_factory=counting.Rules)
    """The baseline, waivers and new-code change findings are held against."""
    requested: tuple[str, ...] = ()
    """The gates the user asked for by name (`--gates`): one of them that cannot run is an
    error, not a skip."""


def _skipped(gate: Gate, reason: str) -> GateResult:
    return GateResult(
        id=gate.id,
        title=gate.title,
        status="skipped",
        score=0.0,
        duration_s=0.0,
        reason=reason,
        tool=ToolRun(name=gate.tool, version=""),
        conditions=[],
        findings=[],
        details=Details(),
    )


def _errored(
    gate: Gate, config: GateConfig, reason: str, started: float, details: Details
) -> GateResult:
    """A gate that could not measure at all: each declared condition is an error with the reason."""
    return GateResult(
        id=gate.id,
        title=gate.title,
        status="error",
        score=0.0,
        duration_s=round(time.monotonic() - started, 3),
        reason=reason,
        tool=ToolRun(name=gate.tool, version=""),
        conditions=[
            scoring.unscored(
                spec, config.thresholds[spec.id], config.blocking[spec.id], "error", reason
            )
            for spec in gate.conditions
        ],
        findings=[],
        details=details,
    )


def _skipped_measuring(
    gate: Gate, config: GateConfig, skip: SkipGateError, started: float
) -> GateResult:
    """A gate that ran and found nothing to measure, with no fault: every condition skipped."""
    reason = str(skip)
    return msgspec.structs.replace(
        _skipped(gate, reason),
        duration_s=round(time.monotonic() - started, 3),
        conditions=[
            scoring.unscored(
                spec, config.thresholds[spec.id], config.blocking[spec.id], "skipped",
                skip.conditions.get(spec.id, reason),
            )
            for spec in gate.conditions
        ],
        details=skip.details or Details(),
    )




def judge(
    gate: Gate, config: GateConfig, measurement: Measurement, rules: counting.Rules,
    sources: fingerprints.SourceIndex,
) -> Measurement:
    """The measurement with fingerprinted findings in their states, and the values of the
    conditions that count findings derived again from the `new` findings only."""
    findings = counting.judge(
        gate.id, fingerprints.assign(gate.id, measurement.findings, sources), rules
    )
    derived = gate.finding_values(counting.new_findings(findings), config)
    values = {
        **measurement.values,
        **{cid: value for cid, value in derived.items() if cid in measurement.values},
    }
    return replace(measurement, findings=findings, values=values)


def run_gate(
    gate: Gate, plan: Plan, workdir: Path, events: Events,
    sources: fingerprints.SourceIndex | None = None,
) -> GateResult:
    """Run one gate to a result; every failure to measure becomes an `error` result."""
    config = plan.gates[gate.id]
    events.gate_started(gate.id)
    if plan.cache is None:
        result = _measure(gate, plan, workdir, events, sources)
    else:
        result = plan.cache.through(
            gate, config, lambda: _measure(gate, plan, workdir, events, sources),
            held=repr(plan.counting),
        )
    events.gate_finished(result)
    return result


def _measure(
    gate: Gate, plan: Plan, workdir: Path, events: Events,
    sources: fingerprints.SourceIndex | None,
) -> GateResult:
    config = plan.gates[gate.id]
    started = time.monotonic()
    gate_dir = workdir / gate.id
    gate_dir.mkdir(parents=True, exist_ok=True)
    ctx = GateContext(
        root=plan.root,
        python=plan.python,
        workdir=gate_dir,
        out_dir=plan.out_dir,
        config=config,
        deadline=started + config.timeout,
        exclude=Exclusion(plan.exclude),
        progress=lambda message: events.gate_progress(gate.id, message),
        history=plan.history,
        # --no-cache: the tools' own incremental caches are not read either.
        cache_dir=plan.cache.tool_dir() if plan.cache is not None and plan.cache.reads else None,
        new_code=plan.counting.new_code,
        yields_cpu=gate.yields_cpu,
    )
    rules = plan.counting
    try:
        measurement = judge(
            gate, config, gate.measure(ctx), rules, sources or fingerprints.SourceIndex(plan.root)
        )
        return scoring.score_measurement(
            gate, config, measurement, time.monotonic() - started,
            rules.figures(gate.id), rules.tolerance,
        )
    except SkipGateError as exc:
        return _skipped_measuring(gate, config, exc, started)
    except GateError as exc:
        return _errored(gate, config, str(exc), started, _error_details(exc, plan.python))
    except Exception as exc:
        return _errored(
            gate,
            config,
            f"the gate crashed: {type(exc).__name__}: {exc}",
            started,
            Details(traceback=traceback.format_exc()),
        )


def _error_details(exc: GateError, python: Path) -> Details:
    """What a gate that could not measure got to, with the interpreter and the failed tool's
    output."""
    details = exc.details or Details()
    return msgspec.structs.replace(
        details,
        interpreter=str(python),
        log_tail=exc.log_tail if exc.log_tail is not None else details.log_tail,
        log=exc.log if exc.log is not None else details.log,
    )


class _Watched:
    """Events that also tell the tree watch which gates run, so changes can be charged."""

    def __init__(self, events: Events, watch: treecheck.TreeWatch) -> None:
        self._events = events
        self._watch = watch

    def gate_started(self, gate_id: str) -> None:
        self._watch.gate_started(gate_id)
        self._events.gate_started(gate_id)

    def gate_progress(self, gate_id: str, message: str) -> None:
        self._events.gate_progress(gate_id, message)

    def gate_finished(self, result: GateResult) -> None:
        self._watch.gate_finished(result.id)
        self._events.gate_finished(result)


def _schedule(
    plan: Plan, events: Events, results: dict[str, GateResult]
) -> tuple[list[Gate], list[Gate]]:
    """The selected gates that run beside others and those that run alone, each in the order
    they start; gates skipped by their configuration go straight into RESULTS."""
    parallel: list[Gate] = []
    alone: list[Gate] = []
    for gate_id in plan.selected:
        gate = registered_gates()[gate_id]
        config = plan.gates[gate_id]
        reason = (
            "disabled with `enabled = false` in its config table"
            if not plan.enabled.get(gate_id, True)
            else gate.skip_reason(config)
        )
        if reason is not None and gate_id in plan.requested:
            results[gate_id] = _errored(
                gate, config, f"asked for with --gates, but it cannot run: {reason}",
                time.monotonic(), Details(),
            )
            events.gate_finished(results[gate_id])
        elif reason is not None:
            results[gate_id] = _skipped(gate, reason)
            events.gate_finished(results[gate_id])
        elif gate.runs_alone:
            alone.append(gate)
        else:
            parallel.append(gate)
    # Gates that run alone go in their declared `order` whatever the selection's order (the
    # generated requests of one gate before another that starts the service anew; one that
    # reads what earlier runs recorded, last).
    alone.sort(key=lambda gate: (gate.order, gate.id))
    if plan.cache is not None:
        # The longest first, so that the last to finish does not start last (as measured before).
        expected = plan.cache.expected_durations()
        parallel.sort(key=lambda gate: -expected.get(gate.id, 0.0))
    return parallel, alone


def _run_gates(
    plan: Plan, parallel: list[Gate], alone: list[Gate], watched: _Watched,
) -> dict[str, GateResult]:
    """Run PARALLEL beside each other, then ALONE one at a time. Ctrl-C kills every child
    process and re-raises."""
    results: dict[str, GateResult] = {}
    workdir = Path(tempfile.mkdtemp(prefix="audit-work-"))
    sources = fingerprints.SourceIndex(plan.root)
    executor = ThreadPoolExecutor(max_workers=max(1, plan.jobs), thread_name_prefix="gate")
    try:
        futures: dict[str, Future[GateResult]] = {
            gate.id: executor.submit(run_gate, gate, plan, workdir, watched, sources)
            for gate in parallel
        }
        for gate_id, future in futures.items():
            results[gate_id] = future.result()
        for gate in alone:
            results[gate.id] = run_gate(gate, plan, workdir, watched, sources)
    except BaseException:
        procs.shutdown()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        executor.shutdown(wait=True)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _verdict(
    plan: Plan, ordered: list[GateResult]
) -> tuple[Status, float, str | None, CountingSection | None]:
    """The overall status, score and reason, and what was held against what."""
    status = scoring.overall_status(ordered)
    score = scoring.overall_score(ordered)
    reason = None
    if all(g.status == "skipped" for g in ordered):
        reason = "every selected gate was skipped, so nothing was measured"
    summary = counting.summarize(plan.counting, ordered, plan.root)
    stale = counting.stale_reason(summary)
    if stale is not None and status == "passed":
        status, reason = "failed", stale
    return status, score, reason, summary


def run_audit(plan: Plan, events: Events | None = None) -> Scorecard:
    """Run the plan's gates and score them. Ctrl-C kills every child process and re-raises."""
    events = events or NoEvents()
    procs.reset()
    started_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    started = time.monotonic()
    results: dict[str, GateResult] = {}
    parallel, alone = _schedule(plan, events, results)
    # Read before any gate runs; reports written inside the target are the user's choice.
    watch = treecheck.TreeWatch(plan.root, skip=plan.out_dir)
    results.update(_run_gates(plan, parallel, alone, _Watched(events, watch)))
    ordered = [results[g] for g in plan.selected]
    if plan.cache is not None:
        plan.cache.remember_durations(ordered)
    status, score, reason, summary = _verdict(plan, ordered)
    target = Target(
        path=str(plan.root),
        name=plan.root.name,
        git=gitinfo.describe(plan.root),
        python=str(plan.python),
        python_source=plan.python_source,
    )
    return Scorecard(
        schema_version=SCHEMA_VERSION,
        auditor_version=__version__,
        target=target,
        started_at=started_at,
        duration_s=round(time.monotonic() - started, 3),
        status=status,
        score=score,
        grade=scoring.grade(score, status),
        gates=ordered,
        reason=reason,
        left_in_target=watch.left(),
        counting=summary,
    )
