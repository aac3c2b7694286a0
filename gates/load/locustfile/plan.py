"""The stage plan: warm-up, then normal and peak load `repeats` times, as the phases the
generated load shape walks, and where each stage's files go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gates.load.settings import LoadSettings

NORMAL_PREFIX = "load-normal"
PEAK_PREFIX = "load-peak"
SETTLE_S = 1.0
DRAIN_MARGIN_S = 2.0
"""Beyond the request timeout, time for timed-out requests to be reported after a stage."""
DISTRIBUTED_SETTLE_S = 4.0
"""Workers report every 3 s; a pause this long lets every sample of a stage arrive."""
STOP_RATE = 100000.0
"""Users stopped per second at a stage's end: all at once, so the stage ends when it should
(a ramp-down at the spawn rate would keep users sending into the pause after it)."""


@dataclass(frozen=True)
class Stage:
    """One measured stage of the load."""

    name: str
    users: int
    spawn_rate: float
    duration_s: float


@dataclass(frozen=True)
class StagePlan:
    """The measured stages (normal then peak, `repeats` times), the pauses between them and
    where each stage's files go."""

    normal: Stage
    peak: Stage
    settle_s: float
    """Seconds with no user between and after the stages, so every sample is reported."""
    warmup_s: float
    """Seconds of normal load before the normal stage, not measured: the generator's first
    requests (its lazy set-up, new connections) would otherwise count as the service's."""
    distributed: bool
    """Whether statistics arrive from workers (late), so warm-up needs a settle pause too."""
    prefixes: tuple[tuple[Path, Path], ...]
    """(normal, peak) file prefixes of each repeat: `<prefix>_stats.csv`, `<prefix>_audit.json`."""
    drain_s: float = 0.0
    """At most this long after a stage, requests still in flight are waited for (counted in
    the stage they were sent in): the request timeout."""
    stage_file: Path | None = None
    """Where the shape names the stage that runs (`warmup`, `normal`, `peak`) as it begins,
    for the database timing (gates/load/db); None: not written."""

    def total_s(self) -> float:
        """Seconds all phases take at most (the shape ticks each second)."""
        return sum(seconds for _, _, _, seconds, _ in phases(self))


Phase = tuple[str, int, float, float, str]
"""(action, users, spawn rate, seconds, file prefix), as the generated shape reads it."""


def phases(plan: StagePlan) -> list[Phase]:
    """What the shape does, in order: warm up, then per repeat measure normal, drain, write,
    reset, measure peak, drain, write, reset."""
    normal, peak = plan.normal, plan.peak
    drain_s = plan.settle_s + plan.drain_s
    steps: list[Phase] = []
    if plan.warmup_s > 0:
        steps.append(("mark:warmup", 0, 0.0, 0.0, ""))
        steps.append(("run", normal.users, normal.spawn_rate, plan.warmup_s, ""))
        steps.append(("drain", 0, STOP_RATE, drain_s, ""))
        steps.append(("reset", 0, 0.0, 0.0, ""))
    for normal_prefix, peak_prefix in plan.prefixes:
        for stage, prefix in ((normal, normal_prefix), (peak, peak_prefix)):
            steps += [
                ("mark:" + stage.name, 0, 0.0, 0.0, ""),
                ("run", stage.users, stage.spawn_rate, stage.duration_s, ""),
                ("drain", 0, STOP_RATE, drain_s, ""),
                ("write", 0, 0.0, 0.0, str(prefix)),
                ("reset", 0, 0.0, 0.0, ""),
            ]
    return steps


def stage_plan(settings: LoadSettings, out_dir: Path, stage_file: Path | None = None) -> StagePlan:
    """The plan the settings ask for, its stages' files under `out_dir`."""
    if settings.open_model:
        normal_users, peak_users, _ = settings.open_streams()
        normal_rate, peak_rate = float(normal_users), float(peak_users)
    else:
        normal_users, peak_users = settings.users, settings.peak_users
        normal_rate, peak_rate = settings.spawn_rate, settings.peak_spawn_rate
    prefixes = tuple(
        (out_dir / f"{NORMAL_PREFIX}{_suffix(i)}", out_dir / f"{PEAK_PREFIX}{_suffix(i)}")
        for i in range(settings.repeats)
    )
    return StagePlan(
        normal=Stage("normal", normal_users, normal_rate, settings.duration),
        peak=Stage("peak", peak_users, peak_rate, settings.duration),
        settle_s=DISTRIBUTED_SETTLE_S if settings.distributed else SETTLE_S,
        warmup_s=settings.warmup,
        distributed=settings.distributed,
        prefixes=prefixes,
        drain_s=settings.request_timeout + DRAIN_MARGIN_S
        + (DISTRIBUTED_SETTLE_S if settings.distributed else 0),
        stage_file=stage_file,
    )


def _suffix(index: int) -> str:
    return "" if index == 0 else f"-{index + 1}"


def remove_stale_outputs(out_dir: Path) -> None:
    """Delete statistics files of an earlier audit, so one locust did not write is never read."""
    for prefix in (NORMAL_PREFIX, PEAK_PREFIX):
        for pattern in (f"{prefix}_*.csv", f"{prefix}-*_*.csv", f"{prefix}*_audit.json"):
            for path in out_dir.glob(pattern):
                path.unlink(missing_ok=True)
