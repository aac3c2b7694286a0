"""The load gate's Measurement from its stages' records: values, statistics, warnings, details."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from auditor.model import Measurement, Population
from auditor.scoring import compare
from gates.load import locust_run, verdicts
from gates.load.details import ConditionStatistics, LoadDetails, StageFigures
from gates.load.settings import LoadSettings
from gates.load.stage_stats import Samples, StageRecord

NORMAL = "normal"
"""What the normal-load conditions are judged over: the requests of the normal stage."""
PEAK = "peak"
"""What the peak conditions are judged over: the requests of the peak stage."""
CLOSED_NOTE = (
    "closed model without a pacing schedule: each user waits for its answer before sending "
    "again, so a service that stalls is sent fewer requests and the figures can hide the stall; "
    "use `rate` (open model) or constant_throughput/constant_pacing to count from intended times"
)


def _successes(record: StageRecord) -> int:
    return record.total.requests - record.total.failures


def _offered(settings: LoadSettings, normal: StageRecord,
             stage: StageRecord) -> tuple[float, float] | None:
    """(requests offered, their rate) at a stage: the open model's arrivals sent; a paced closed
    model's intended starts (sent or not); otherwise, for the peak, the normal stage's achieved
    rate times peak_users / users."""
    run_s = stage.duration(settings.duration)
    if settings.open_model:
        return (float(stage.scheduled), stage.scheduled / run_s) if stage.scheduled else None
    if paced(settings) and stage.scheduled:
        offered = stage.scheduled + stage.missed
        return float(offered), offered / run_s
    if stage is normal:
        return None
    rate = _successes(normal) / normal.duration(settings.duration)
    rate *= settings.peak_users / settings.users
    return (rate * run_s, rate) if rate > 0 else None


def paced(settings: LoadSettings) -> bool:
    """A closed model whose users follow a schedule (constant_throughput, constant_pacing)."""
    return not settings.open_model and not settings.locustfile and (
        settings.wait.pace_s() is not None
    )


def _loads(settings: LoadSettings, normal: StageRecord,
           peak: StageRecord) -> tuple[verdicts.StageLoad, verdicts.StageLoad]:
    if settings.open_model:
        normal_users, peak_users, _ = settings.open_streams()
    else:
        normal_users, peak_users = settings.users, settings.peak_users
    loads = []
    for users, record in ((normal_users, normal), (peak_users, peak)):
        offered = _offered(settings, normal, record)
        loads.append(verdicts.StageLoad(users, record.duration(settings.duration),
                                        offered[1] if offered else None))
    return loads[0], loads[1]


def _throughput(settings: LoadSettings, normal: StageRecord, peak: StageRecord) -> float | None:
    offered = _offered(settings, normal, peak)
    if offered is None:
        return None
    return 100 * _successes(peak) / offered[0]


def _figures(settings: LoadSettings, thresholds: Mapping[str, float],
             normal: StageRecord, peak: StageRecord) -> dict[str, StageFigures]:
    normal_load, peak_load = _loads(settings, normal, peak)
    args = (thresholds["endpoint_p95_ms"], thresholds["endpoint_error_rate"],
            thresholds["peak_throughput"])
    return {
        "normal": verdicts.stage_figures(normal, normal_load, *args),
        "peak": verdicts.stage_figures(peak, peak_load, *args),
    }


def _statistics(settings: LoadSettings, thresholds: Mapping[str, float],
                normal: StageRecord, peak: StageRecord) -> dict[str, ConditionStatistics]:
    found: dict[str, ConditionStatistics] = {}
    for condition_id, (stage, _) in verdicts.FIGURES.items():
        record = normal if stage == "normal" else peak
        stats = verdicts.condition_statistics(condition_id, record, thresholds[condition_id])
        if stats is not None:
            found[condition_id] = stats
    offered = _offered(settings, normal, peak)
    if offered:
        found["peak_throughput"] = verdicts.throughput_statistics(
            _successes(peak), round(offered[0]), thresholds["peak_throughput"]
        )
    return found


def judge(settings: LoadSettings, thresholds: Mapping[str, float],
          repeats: Sequence[tuple[StageRecord, StageRecord]], *, base: LoadDetails,
          tool_version: str, service_exit: str | None) -> Measurement:
    """Values (the median over repeats), each condition's statistics, and the details."""
    values, skipped = _medians(settings, repeats)
    normal = verdicts.merge([pair[0] for pair in repeats])
    peak = verdicts.merge([pair[1] for pair in repeats])
    statistics = _statistics(settings, thresholds, normal, peak)
    pooled = _figures(settings, thresholds, normal, peak)
    unsettled = _unsettled(settings, statistics, values, pooled)
    strict = settings.confidence == "strict"
    remarks = _Remarks(notes=[locust_run.ROUNDING_NOTE],
                       warnings=[] if strict else list(unsettled.values()))
    _remark_closed_model(settings, remarks)
    _remark_unheld_rates(pooled, remarks)
    _remark_worst_endpoints(normal, values, thresholds, remarks)
    _remark_service_exit(service_exit, remarks)
    per_repeat = tuple(_figures(settings, thresholds, n, p) for n, p in repeats)
    details = msgspec.structs.replace(
        base,
        model="open" if settings.open_model else "closed",
        stages=per_repeat[0] if len(per_repeat) == 1 else pooled,
        repeats=per_repeat if len(per_repeat) > 1 else (),
        statistics=statistics,
        confidence=settings.confidence,
        notes=tuple(remarks.notes),
    )
    return Measurement(
        values={k: v for k, v in values.items() if not math.isnan(v)},
        populations={
            NORMAL: Population("requests at normal load", normal.total.requests),
            PEAK: Population("requests at peak load", peak.total.requests),
        },
        details=details,
        tool_name="locust",
        tool_version=tool_version,
        skipped=skipped,
        warnings=remarks.warnings,
        inconclusive=unsettled if strict else {},
    )


def _medians(settings: LoadSettings, repeats: Sequence[tuple[StageRecord, StageRecord]]
             ) -> tuple[dict[str, float], dict[str, str]]:
    """Each condition's median over the repeats, or why it has none."""
    values: dict[str, float] = {}
    skipped: dict[str, str] = {}
    for condition_id, (stage, figure) in verdicts.FIGURES.items():
        median = verdicts.median([figure(pair[0 if stage == "normal" else 1]) for pair in repeats])
        if median is None:
            skipped[condition_id] = (
                f"no endpoint had {verdicts.MIN_ENDPOINT_REQUESTS} requests at normal load to "
                "judge its p95; raise `duration` or the load"
            )
        else:
            values[condition_id] = median
    throughput = verdicts.median([_throughput(settings, n, p) for n, p in repeats])
    if throughput is None:
        skipped["peak_throughput"] = "the normal stage achieved no successful request"
    else:
        values["peak_throughput"] = throughput
    return values, skipped


def _unsettled(settings: LoadSettings, statistics: Mapping[str, ConditionStatistics],
               values: Mapping[str, float], pooled: Mapping[str, StageFigures]) -> dict[str, str]:
    """Why each measured condition whose 95% interval reaches over its threshold is open."""
    reasons: dict[str, str] = {}
    for condition_id, stats in statistics.items():
        if stats.settled or condition_id not in values:
            continue
        stage = "peak" if condition_id.startswith("peak_") else "normal"
        rps = pooled[stage].rps
        per_repeat_rps = rps / settings.repeats if rps else None
        reasons[condition_id] = verdicts.unsettled_reason(condition_id, stats, per_repeat_rps)
    return reasons


@dataclass
class _Remarks:
    """What the details note and what the run warns about, in the order they are found."""

    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _remark_closed_model(settings: LoadSettings, remarks: _Remarks) -> None:
    if not settings.open_model and (settings.locustfile or settings.wait.pace_s() is None):
        remarks.notes.append(CLOSED_NOTE)
        remarks.warnings.append(CLOSED_NOTE)


def _remark_unheld_rates(pooled: Mapping[str, StageFigures], remarks: _Remarks) -> None:
    for name, figures in pooled.items():
        if figures.held:
            remarks.warnings.append(f"the {name} stage did not hold its rate: {figures.held}")


def _remark_worst_endpoints(normal: StageRecord, values: Mapping[str, float],
                            thresholds: Mapping[str, float], remarks: _Remarks) -> None:
    """Name the endpoint each endpoint condition judges, and what it did when it failed."""
    for condition_id in ("endpoint_p95_ms", "endpoint_error_rate"):
        worst = verdicts.worst_endpoint(normal, condition_id)
        if worst is None or condition_id not in values:
            continue
        named = f"`{condition_id}` is {worst.method} {worst.name}'s"
        remarks.notes.append(named)
        if not compare(values[condition_id], "<", thresholds[condition_id]):
            remarks.warnings.append(f"{named}: {_endpoint_shown(worst, condition_id)}")


def _endpoint_shown(worst: Samples, condition_id: str) -> str:
    if condition_id == "endpoint_p95_ms":
        return f"p95 {worst.percentile(0.95):g} ms"
    timeouts = f", {worst.timeouts} of them timeouts" if worst.timeouts else ""
    return f"{worst.failures} of {worst.requests} requests failed{timeouts}"


def _remark_service_exit(service_exit: str | None, remarks: _Remarks) -> None:
    if service_exit:
        remarks.warnings.append(service_exit)
        remarks.notes.append(service_exit.split(";")[0])


def stage_lines(details: LoadDetails) -> list[str]:
    """One line per stage for the terminal: offered vs achieved rate and the sample size."""
    lines = []
    for name, stage in details.stages.items():
        offered = f"offered {stage.offered_rps:.1f} req/s, " if stage.offered_rps else ""
        late = f", {stage.late} late" if stage.scheduled else ""
        lines.append(
            f"{name}: {offered}achieved {stage.achieved_rps or 0.0:.1f} req/s, "
            f"{stage.requests} requests ({stage.failures} failed, {stage.timeouts} timeouts"
            f"{late})"
        )
    return lines
