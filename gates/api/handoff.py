"""The api gate's conditions of an API handed to the people who build on it: every operation
documented (`undocumented_operations`) and every status it answers declared
(`undeclared_statuses`), judged over the schema's operations; under `--new-code`, over the
operations whose handler the change touched."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.model import Population
from auditor.newcode import NewCode
from gates import openapi
from gates.api import documentation, reproduce, statuses
from gates.api.details import Problem, Tally
from gates.api.fuzz import FuzzRun
from gates.api.problems import Found
from gates.api.settings import CHECK_GROUPS, ApiSettings

CONDITIONS = (documentation.CONDITION, statuses.CONDITION)
POPULATION = "schema_operations"
"""What the two conditions are judged over."""


def collect(
    settings: ApiSettings,
    run: FuzzRun,
    operations: Sequence[openapi.Operation],
    environ: Mapping[str, str],
) -> list[Found]:
    """The undocumented operations and undeclared statuses, as far as `checks` selects them."""
    secrets = reproduce.secrets(settings.headers, settings.auth, environ)
    found: list[Found] = []
    if documentation.CONDITION in settings.checks:
        found += documentation.found(operations)
    if statuses.CONDITION in settings.checks:
        # A served schema's own base path is where schemathesis sent its requests; a file's
        # requests went to the service's root (`--url`).
        served = settings.schema.startswith(("/", "http://", "https://"))
        base = operations[0].base if served and operations else ""
        found += statuses.found(run.interactions, operations, secrets, base)
    return found


def handlers(root: Path, locations: Mapping[str, tuple[str, int]]) -> dict[str, openapi.Handler]:
    """Each located handler's lines."""
    return {op: openapi.handler_span(root, path, line) for op, (path, line) in locations.items()}


@dataclass(frozen=True)
class Scope:
    """What the two conditions judge: the problems kept, the population, the handlers' lines to
    point at, and why they are skipped (None when judged)."""

    found: dict[str, list[Problem]]
    population: Population
    lines: dict[str, int]
    """Operation -> the first line of its handler the change touched (under --new-code)."""
    skipped: str | None = None
    note: str | None = None

    def located(
        self, locations: Mapping[str, tuple[str, int]], operation: str
    ) -> tuple[str, int | None]:
        """Where OPERATION's findings point: its handler's file, at the first line the change
        touched under --new-code, else where the handler starts."""
        path, line = locations.get(operation, ("", 0))
        return path, self.lines.get(operation, line or None)


def figures(
    tallies: Iterable[Tally], checks: Sequence[str], scope: Scope
) -> tuple[dict[str, float], dict[str, str]]:
    """The values of the measured conditions, and the reasons of those skipped: left out of
    `checks`, or (the two of this module) no operation's handler touched by the change."""
    values = {
        t.condition: float(t.value)
        for t in tallies
        if not (scope.skipped and t.condition in CONDITIONS)
    }
    skipped = {
        k: "not among the `checks` of [tool.audit.api]" for k in CHECK_GROUPS if k not in checks
    }
    skipped.update({k: scope.skipped for k in CONDITIONS if scope.skipped and k in checks})
    return values, skipped


def scoped(
    found: Mapping[str, list[Problem]],
    operations: Sequence[openapi.Operation],
    handlers: Mapping[str, openapi.Handler],
    new_code: NewCode | None,
) -> Scope:
    """FOUND with the two conditions' problems kept only for the operations judged."""
    names = [op.name for op in operations]
    if new_code is None:
        return Scope(dict(found), Population("operations in the schema", len(names)), {})
    if not handlers:
        return Scope(
            dict(found),
            Population("operations in the schema", len(names)),
            {},
            note="--new-code: the handlers' lines are unknown, so every operation was judged",
        )
    touched = openapi.changed(handlers, names, new_code)
    kept = {
        op: [p for p in problems if p.condition not in CONDITIONS or op in touched]
        for op, problems in found.items()
    }
    population = Population("operations whose handler the change touched", len(touched))
    skipped = (
        None if touched else (f"the change since {new_code.ref} touches no operation's handler")
    )
    return Scope({k: v for k, v in kept.items() if v}, population, touched, skipped)
