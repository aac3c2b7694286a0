"""Reading the instrumentation's per-statement aggregates: pure functions over its JSON files.

Each process of the service writes `<stage>-<pid>.json` when a stage ends (see instrument.py);
a stage's figures are the merge of every process's file: counts and totals add up, the maximum
is the largest, histograms add bucket by bucket.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import GateError


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


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GateError(f"{where} holds {value!r} where a number belongs")
    return float(value)


def parse_dump(text: str, where: str) -> dict[str, object]:
    """One process's file, checked for the fields the merge needs."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GateError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("statements"), list):
        raise GateError(f"{where} has no `statements` list; it was not written by the timing")
    return data


def _statement(item: object, where: str) -> StatementStats:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise GateError(f"{where} holds a statement without its text")
    histogram = item.get("histogram")
    return StatementStats(
        text=item["text"],
        count=int(_number(item.get("count"), where)),
        total_ms=_number(item.get("total_ms"), where),
        max_ms=_number(item.get("max_ms"), where),
        histogram=tuple(int(n) for n in histogram) if isinstance(histogram, list) else (),
    )


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
        merged[s.text] = s if seen is None else StatementStats(
            s.text, seen.count + s.count, seen.total_ms + s.total_ms,
            max(seen.max_ms, s.max_ms), _add(seen.histogram, s.histogram),
        )
    return tuple(merged.values())


def merge_dumps(dumps: Iterable[tuple[dict[str, object], str]]) -> StageTimings:
    """Every process's file of one stage, merged."""
    statements: list[StatementStats] = []
    overheads: list[float] = []
    problems: list[str] = []
    bounds: tuple[float, ...] = ()
    hooked: set[str] = set()
    starts: list[float] = []
    ends: list[float] = []
    processes = 0
    for data, where in dumps:
        processes += 1
        items = data["statements"]
        statements += [_statement(item, where) for item in items] if isinstance(
            items, list) else []
        overhead = data.get("overhead_us")
        if isinstance(overhead, int | float) and not isinstance(overhead, bool) and overhead:
            overheads.append(float(overhead))
        raw_bounds = data.get("bounds_ms")
        if isinstance(raw_bounds, list):
            bounds = tuple(float(b) for b in raw_bounds)
        hooked.update(str_list(data.get("hooked")))
        started, ended = data.get("started_at"), data.get("ended_at")
        if isinstance(started, int | float) and isinstance(ended, int | float):
            starts.append(float(started))
            ends.append(float(ended))
        raw_problems = data.get("problems")
        if isinstance(raw_problems, list):
            problems += [str(p) for p in raw_problems if str(p) not in problems]
    return StageTimings(
        statements=merge(statements),
        processes=processes,
        overhead_us=max(overheads) if overheads else None,
        bounds_ms=bounds,
        problems=tuple(problems),
        hooked=tuple(sorted(hooked)),
        window=(min(starts), max(ends)) if starts else None,
    )


def read_stage(directory: Path, stage: str) -> StageTimings:
    """The merged `<stage>-<pid>.json` files of a timing directory."""
    dumps = [
        (parse_dump(path.read_text(encoding="utf-8"), path.name), path.name)
        for path in sorted(directory.glob(f"{stage}-*.json"))
    ]
    return merge_dumps(dumps)


def str_list(value: object) -> list[str]:
    """A JSON list of strings, or nothing."""
    return [str(v) for v in value] if isinstance(value, list) else []


def parse_hello(text: str, where: str) -> dict[str, object]:
    """A process's `hello-<pid>.json`: its pid, its measured overhead, the drivers it hooked."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GateError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
        raise GateError(f"{where} does not name its process")
    return data


def acknowledged(path: Path, stage: str) -> bool:
    """Whether a process's `ack-<pid>.json` says it reached `stage`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and data.get("stage") == stage
