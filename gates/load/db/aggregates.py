"""Reading the instrumentation's per-statement aggregates: pure functions over its JSON files.

Each process of the service writes `<stage>-<pid>.json` when a stage ends (see instrument.py);
a stage's figures are the merge of every process's file: counts and totals add up, the maximum
is the largest, histograms add bucket by bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import msgspec

from auditor.errors import GateError

_T = TypeVar("_T")


@dataclass(frozen=True)
class StatementStats:
    """One normalised statement's executions in a stage."""

    text: str
    count: int
    total_ms: float
    max_ms: float
    histogram: tuple[int, ...] = ()
    """Executions per latency bucket (bounds in StageTimings.bounds_ms, then one above)."""

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.count if self.count else 0.0


@dataclass(frozen=True)
class StageTimings:
    """Every statement the service ran in one stage, as one source observed them."""

    statements: tuple[StatementStats, ...]
    processes: int = 0
    """How many processes reported (python mode)."""
    overhead_us: float | None = None
    """The instrumentation's measured cost per statement, in microseconds (python mode)."""
    bounds_ms: tuple[float, ...] = ()
    problems: tuple[str, ...] = field(default=())
    hooked: tuple[str, ...] = ()
    """The drivers the instrumentation had hooked (python mode)."""
    drivers: tuple[str, ...] = ()
    """The database drivers the service's processes had loaded (python mode)."""
    window: tuple[float, float] | None = None
    """When the stage began and ended (seconds since the epoch), as the source saw it."""

    @property
    def count(self) -> int:
        return sum(s.count for s in self.statements)

    @property
    def total_ms(self) -> float:
        return sum(s.total_ms for s in self.statements)

    @property
    def avg_ms(self) -> float:
        return self.total_ms / self.count if self.count else 0.0

    @property
    def max_ms(self) -> float:
        return max((s.max_ms for s in self.statements), default=0.0)


class StatementDump(msgspec.Struct):
    """One statement of a stage file, as instrument.py's `_Stages._dump` writes it."""

    text: str
    count: int
    total_ms: float
    max_ms: float
    histogram: tuple[int, ...] = ()
    """Executions per latency bucket; a statement written without one merges as none."""

    def stats(self) -> StatementStats:
        return StatementStats(self.text, self.count, self.total_ms, self.max_ms, self.histogram)


class StageDump(msgspec.Struct):
    """One process's `<stage>-<pid>.json` (instrument.py, `_Stages._dump`): the fields read,
    each always written."""

    started_at: float
    ended_at: float
    overhead_us: float
    """0 until the instrumentation measured its cost (at the first stage switch)."""
    hooked: list[str]
    problems: list[str]
    bounds_ms: tuple[float, ...]
    statements: list[StatementDump]
    drivers: list[str] = []
    """The database drivers loaded in the process (written since the Django and psycopg2
    hooks)."""


class Hello(msgspec.Struct):
    """A process's `hello-<pid>.json` (instrument.py, `_Stages._hello`): the fields read."""

    pid: int
    problems: list[str]


class Ack(msgspec.Struct):
    """A process's `ack-<pid>.json`: the stage it reached."""

    stage: str | None
    """None: the stage file was gone (instrument.py's `_read_stage`)."""


def _decode(text: str, kind: type[_T], where: str) -> _T:
    """TEXT decoded as KIND; GateError naming WHERE and, when a field is wrong, the field."""
    try:
        return msgspec.json.decode(text, type=kind)
    except msgspec.ValidationError as exc:
        raise GateError(f"{where} is not what the timing writes: {exc}") from None
    except msgspec.DecodeError as exc:
        raise GateError(f"{where} is not valid JSON: {exc}") from None


def parse_dump(text: str, where: str) -> StageDump:
    """One process's stage file."""
    return _decode(text, StageDump, where)


def _add(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if not a:
        return b
    if not b:
        return a
    return tuple(x + y for x, y in zip(a, b, strict=True))


def merge(statements: Iterable[StatementStats]) -> tuple[StatementStats, ...]:
    """Statements of the same text merged: counts and totals summed, the largest maximum."""
    merged: dict[str, StatementStats] = {}
    for s in statements:
        seen = merged.get(s.text)
        merged[s.text] = (
            s
            if seen is None
            else StatementStats(
                s.text,
                seen.count + s.count,
                seen.total_ms + s.total_ms,
                max(seen.max_ms, s.max_ms),
                _add(seen.histogram, s.histogram),
            )
        )
    return tuple(merged.values())


def merge_dumps(dumps: Iterable[StageDump]) -> StageTimings:
    """Every process's file of one stage, merged."""
    dumps = list(dumps)
    problems: list[str] = []
    for dump in dumps:
        problems += [p for p in dump.problems if p not in problems]
    overheads = [d.overhead_us for d in dumps if d.overhead_us]
    return StageTimings(
        statements=merge(s.stats() for d in dumps for s in d.statements),
        processes=len(dumps),
        overhead_us=max(overheads) if overheads else None,
        bounds_ms=dumps[-1].bounds_ms if dumps else (),
        problems=tuple(problems),
        hooked=tuple(sorted({name for d in dumps for name in d.hooked})),
        drivers=tuple(sorted({name for d in dumps for name in d.drivers})),
        window=(min(d.started_at for d in dumps), max(d.ended_at for d in dumps))
        if dumps else None,
    )


def read_stage(directory: Path, stage: str) -> StageTimings:
    """The merged `<stage>-<pid>.json` files of a timing directory."""
    return merge_dumps(
        parse_dump(path.read_text(encoding="utf-8"), path.name)
        for path in sorted(directory.glob(f"{stage}-*.json"))
    )


def parse_hello(text: str, where: str) -> Hello:
    """A process's `hello-<pid>.json`: its pid and the problems it met while hooking."""
    return _decode(text, Hello, where)


def acknowledged(path: Path, stage: str) -> bool:
    """Whether a process's `ack-<pid>.json` says it reached `stage` (False while it wrote none);
    GateError when the file is not what the timing writes."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return _decode(text, Ack, path.name).stage == stage
