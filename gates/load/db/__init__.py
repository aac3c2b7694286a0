"""Database statement timings for the load gate: `db_avg_ms` and `db_max_ms`.

What the gate uses of this part: `CONDITIONS` and `OPTIONS`, declared with its own; `parse`,
the options checked; `observer_for`, the observer of the configured mode, ready before the
service starts (`service_env()`: what the service's environment needs; `stage_file`: where the
generated locustfile names each stage as it begins; `watching()`: around the locust run;
`finish()`: what it observed); and `add_to`, which adds the conditions and details to the
gate's Measurement.

Modules: `settings` (options, conditions), `observer` (following the stages), `instrument`
(copied into the service's process, `db_timing = "python"`), `pg_stat` (pg_stat_statements,
`db_timing = "postgres"`), `aggregates` (the timing files merged), `report` (conditions and
details), `view` (its part of the report section).
"""

from gates.load.db.observer import Observed, Observer, observer_for
from gates.load.db.report import add_to
from gates.load.db.settings import CONDITIONS, OPTIONS, DbSettings, parse

__all__ = [
    "CONDITIONS", "OPTIONS", "DbSettings", "Observed", "Observer", "add_to", "observer_for",
    "parse",
]
