"""From observed statements to the two conditions and the details the reports show."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from auditor.model import Details, Measurement, Population
from gates.load.db.aggregates import StageTimings, StatementStats
from gates.load.db.observer import MEASURED, Observed
from gates.load.db.settings import STATEMENTS
from gates.load.details import DatabaseDetails, DbStage, DbStatement, LoadDetails
from gates.load.precision import kept

TOP = 10
"""Statements listed per stage, by total time."""
N_PLUS_ONE_PER_REQUEST = 5.0
"""A statement run this many times per HTTP request (on average over the stage) is flagged."""
CONDITION_IDS = ("db_avg_ms", "db_max_ms")
PLACES = 3
"""Decimal places of the milliseconds in the details (1 µs), or more for a figure they would
make 0 (`precision.kept`)."""
NOT_LOADED = (
    "no process of the service loaded the timing instrumentation: a Python service started "
    "with -E or -I ignores PYTHONPATH, and a service in another language cannot be timed this "
    'way (use db_timing = "postgres" with its database)'
)


TIMED = "sqlite3, psycopg, psycopg2, SQLAlchemy or Django"
"""What the python mode times, in words."""


def unhooked_drivers(observed: Observed) -> tuple[str, ...]:
    """The database drivers the service loaded that the python mode does not time."""
    if observed.mode != "python":
        return ()
    return tuple(d for d in observed.drivers if d not in observed.hooked)


def _untimed_reason(untimed: tuple[str, ...], hooked: tuple[str, ...], answered: int) -> str:
    timed = ", ".join(hooked) if hooked else "nothing"
    return (
        f"the service answered {answered} requests during the normal stage and loaded "
        f"{', '.join(untimed)}, which the instrumentation does not time (it timed: {timed}), "
        "and no statement was seen: its database was not measured. For PostgreSQL set "
        '`db_timing = "postgres"` and `database_url_env` (pg_stat_statements); '
        'otherwise `db_timing = "off"` states that the database is not timed'
    )


@dataclass
class DbMeasurement:
    """The database part of the load gate's Measurement."""

    values: dict[str, float] = field(default_factory=dict)
    populations: dict[str, Population] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    unmeasured: dict[str, str] = field(default_factory=dict)
    details: DatabaseDetails | None = None
    """The `database` details; None when the timing is off."""
    notes: list[str] = field(default_factory=list)


def _both(reason: str) -> dict[str, str]:
    return dict.fromkeys(CONDITION_IDS, reason)


def _statement(s: StatementStats, requests: int) -> DbStatement:
    per_request = s.count / requests if requests else None
    return DbStatement(
        text=s.text,
        count=s.count,
        total_ms=kept(s.total_ms, PLACES),
        mean_ms=kept(s.mean_ms, PLACES),
        max_ms=kept(s.max_ms, PLACES),
        per_request=round(per_request, 2) if per_request is not None else None,
        n_plus_one=per_request is not None and per_request >= N_PLUS_ONE_PER_REQUEST,
        histogram=s.histogram,
    )


def stage_details(timings: StageTimings, requests: int) -> DbStage:
    """One stage's figures, its top statements by total time and its likely N+1 patterns."""
    ranked = sorted(timings.statements, key=lambda s: (-s.total_ms, s.text))
    flagged = [s for s in ranked
               if requests and s.count / requests >= N_PLUS_ONE_PER_REQUEST]
    window = timings.window
    return DbStage(
        statements=timings.count,
        distinct=len(timings.statements),
        total_ms=kept(timings.total_ms, PLACES),
        avg_ms=kept(timings.avg_ms, PLACES),
        max_ms=kept(timings.max_ms, PLACES),
        requests=requests,
        per_request=round(timings.count / requests, 2) if requests else None,
        top=tuple(_statement(s, requests) for s in ranked[:TOP]),
        n_plus_one=tuple(_statement(s, requests) for s in flagged[:TOP]),
        window=(round(window[0], 3), round(window[1], 3)) if window is not None else None,
    )


def _note(observed: Observed) -> str:
    if observed.mode == "postgres":
        return (
            "database times are PostgreSQL's own execution times (pg_stat_statements), "
            "without the network and the driver"
        )
    overhead = (f"about {observed.overhead_us:g} µs" if observed.overhead_us is not None
                else "an unmeasured amount")
    return (
        "database times are measured in the service's process around each driver call (and, "
        f"for SQLite, the fetches that follow); the timing adds {overhead} per statement"
    )


def _details(observed: Observed, requests: Mapping[str, int]) -> DatabaseDetails:
    """The `database` details of an observation that could be read."""
    bounds = next((s.bounds_ms for s in observed.stages.values() if s.bounds_ms), ())
    python = observed.mode == "python"
    return DatabaseDetails(
        mode=observed.mode,
        source=observed.source,
        overhead_us=observed.overhead_us if python else None,
        hooked=observed.hooked if python else (),
        problems=observed.problems,
        n_plus_one_per_request=N_PLUS_ONE_PER_REQUEST,
        stages={
            name: stage_details(observed.stages[name], requests.get(name, 0))
            for name in MEASURED if name in observed.stages
        },
        histogram_bounds_ms=bounds,
    )


def measurement(observed: Observed, requests: Mapping[str, int]) -> DbMeasurement:
    """Conditions, reasons and details from what the observer saw."""
    result = DbMeasurement()
    if observed.mode == "off":
        result.skipped = _both('database timing is off (`db_timing = "off"`)')
        return result
    if observed.error:
        result.details = DatabaseDetails(mode=observed.mode, source=observed.source,
                                         error=observed.error)
        result.unmeasured = _both(observed.error)
        return result
    result.details = _details(observed, requests)
    normal = observed.stages.get("normal")
    if not observed.loaded:
        result.skipped = _both(NOT_LOADED)
    elif normal is None or normal.count == 0:
        untimed = unhooked_drivers(observed)
        answered = requests.get("normal", 0)
        if untimed and answered:
            result.unmeasured = _both(_untimed_reason(untimed, observed.hooked, answered))
        else:
            what = TIMED if observed.mode == "python" else "PostgreSQL"
            result.skipped = _both(
                f"the service ran no database statement through {what} that {observed.source} "
                "could observe during the normal stage"
            )
    else:
        result.values = {"db_avg_ms": kept(normal.avg_ms, PLACES),
                         "db_max_ms": kept(normal.max_ms, PLACES)}
        result.populations = {STATEMENTS: Population("database statements at normal load",
                                                     normal.count)}
        result.notes.append(_note(observed))
    return result


def _load_details(details: Details) -> LoadDetails:
    """DETAILS as the load gate's own: a Measurement built without them has the base type."""
    if isinstance(details, LoadDetails):
        return details
    return LoadDetails(**msgspec.structs.asdict(details))


def add_to(load: Measurement, observed: Observed, requests: Mapping[str, int]) -> Measurement:
    """The load gate's Measurement with the database conditions added: their values, populations
    and reasons, the `database` details and the notes on how the times were taken."""
    database = measurement(observed, requests)
    details = _load_details(load.details)
    details = msgspec.structs.replace(
        details,
        database=database.details if database.details is not None else details.database,
        notes=(*details.notes, *database.notes),
    )
    return dataclasses.replace(
        load,
        values={**load.values, **database.values},
        populations={**load.populations, **database.populations},
        skipped={**load.skipped, **database.skipped},
        unmeasured={**load.unmeasured, **database.unmeasured},
        details=details,
    )
