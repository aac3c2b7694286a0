"""Operations the audit never got past authentication on: every recorded answer 401 or 403,
or schemathesis's own warning that they answered only 401/403 (`missing_auth`).

Nothing was judged there (not its server errors, its contract, its input validation, not even
whether it ignores authentication: it never answered anything else), so such operations are
outside the population of every condition. A few are a warning naming them; most of the API
is no measurement at all, since its figures would read as a pass over operations no request
reached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import msgspec

from auditor.model import Measurement, Population
from gates.api import parse
from gates.api.settings import TABLE

LOCKED_STATUSES = frozenset({401, 403})
NAMED = 10
"""At most this many operations named in the warning (details list them all)."""
CREDENTIALS_HINT = (
    f"give the audit credentials: `headers` in {TABLE} (header name = the environment variable "
    'holding its value, e.g. Authorization = "API_TOKEN") or `auth` (the variable holding '
    "`user:password`)"
)


def locked_operations(
    interactions: Iterable[parse.Interaction],
    operations: Sequence[str],
    warned: Iterable[str] = (),
) -> tuple[str, ...]:
    """The OPERATIONS whose every recorded answer was 401 or 403, and those schemathesis WARNED
    of (`missing_auth`: 90% of the answers 401/403 and no valid request served, as when the
    requests it makes with a malformed path parameter are answered 404 by the router before
    authentication)."""
    statuses: dict[str, set[int]] = {}
    for item in interactions:
        operation = parse.match_operation(item.method, item.path, operations)
        if operation is not None:
            statuses.setdefault(operation, set()).add(item.status)
    only = {op for op, seen in statuses.items() if seen <= LOCKED_STATUSES}
    return tuple(sorted(only | set(warned)))


@dataclass(frozen=True)
class Reach:
    """How many of the operations tested answered anything but 401/403."""

    tested: int
    locked: tuple[str, ...]

    @property
    def reached(self) -> int:
        return self.tested - len(self.locked)

    def most_locked(self) -> bool:
        """Whether most of the API answered only 401/403."""
        return len(self.locked) * 2 > self.tested

    def summary(self) -> str:
        named = ", ".join(self.locked[:NAMED])
        more = f" and {len(self.locked) - NAMED} more" if len(self.locked) > NAMED else ""
        return (
            f"{len(self.locked)} of {self.tested} operations answered only 401/403 ({named}{more})"
        )

    def warning(self) -> str | None:
        """A few operations locked: named, outside every condition's population."""
        if not self.locked or self.most_locked():
            return None
        return (
            f"{self.summary()}: they are outside every condition's population, since no "
            f"request got past authentication; {CREDENTIALS_HINT}"
        )

    def unmeasured(self) -> str | None:
        """Most of the API locked: why no condition is measured."""
        if not self.most_locked():
            return None
        return f"{self.summary()}, so the API was not tested; {CREDENTIALS_HINT}"


def apply(measurement: Measurement, reach: Reach, population: str) -> Measurement:
    """MEASUREMENT with the locked operations out of POPULATION, named in its details and a
    warning; with most of the API locked, every condition unmeasured."""
    noun = "operations fuzzed that answered other than 401/403"
    populations = {**measurement.populations, population: Population(noun, reach.reached)}
    details = msgspec.structs.replace(measurement.details, unauthenticated_operations=reach.locked)
    warning = reach.warning()
    changed = dataclasses.replace(
        measurement,
        populations=populations,
        details=details,
        warnings=[*measurement.warnings, *([warning] if warning else [])],
    )
    reason = reach.unmeasured()
    if reason is None:
        return changed
    judged = {*measurement.values, *measurement.unmeasured}
    return dataclasses.replace(
        changed,
        values={},
        unmeasured=dict.fromkeys(judged, reason),
    )
