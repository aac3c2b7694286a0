"""Targets no repository can show: what the report lists under "not audited here, and why"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotAudited:
    target: str
    why: str
    where: str
    """Where the figure does live."""


NOT_AUDITED: tuple[NotAudited, ...] = (
    NotAudited(
        "Uptime >= 99.9%",
        "availability is a property of the running production service over weeks, not of the "
        "code in a repository or of a test run",
        "the service's uptime monitoring (synthetic checks, load balancer health, SLO reports)",
    ),
    NotAudited(
        "Database queries fast in production",
        "the load gate times statements against the test database at the audit's load; "
        "production data volumes, plans and contention are not there",
        "the database's own statistics (pg_stat_statements, slow query log) or APM traces",
    ),
    NotAudited(
        "Error rate and latency of real traffic",
        "the load gate drives a scenario on this machine; real users, networks and data differ",
        "request metrics and traces of the production service",
    ),
    NotAudited(
        "Time to recover from production incidents",
        "the MTTR here counts from a failing audit to a passing one on the main branch; an "
        "outage starts and ends in production",
        "the incident tracker or on-call tool",
    ),
)
