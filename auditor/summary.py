"""The summary of a monorepo's audit: one row per component, one verdict, one exit code.

Built from the components' own scorecards (audited in this run, reused, or gathered from CI
jobs by `audit summary`), compared with the component list: a selected component without a
scorecard is `missing`, an error, never left out. `summary.json` is its one serialisation; every
other summary format derives from the same typed Summary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import msgspec

from auditor import __version__, scoring
from auditor.components import Component
from auditor.errors import ConfigError
from auditor.model import GitInfo, NonNegative, Percentage, Scorecard, Status

SUMMARY_SCHEMA_VERSION: Final = 1
RowStatus = Literal["passed", "failed", "error", "skipped", "not_selected", "missing"]
"""A component's outcome: its scorecard's status; `not_selected` (left out by --components) or
`missing` (selected, but no scorecard came: an error)."""


class SummaryGate(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """One gate of one component."""

    id: str
    title: str
    status: Status
    score: Percentage
    failing: tuple[str, ...] = ()
    """The blocking conditions that failed (or were inconclusive), by id."""
    reason: str | None = None
    cached: bool = False


class ReusedResult(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A component the change did not touch: whose earlier result stands, and why."""

    source: str
    """`the cache` or `the history at STORE`."""
    started_at: str
    commit: str | None
    why: str
    """`unchanged since the merge base of main (abc1234)`."""


class ComponentRow(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    name: str
    path: str
    """Relative to the repository root, with forward slashes."""
    status: RowStatus
    score: Percentage | None = None
    grade: str | None = None
    reason: str | None = None
    scorecard: str | None = None
    """Its scorecard.json, relative to the summary's folder."""
    report: str | None = None
    """Its scorecard.html, relative to the summary's folder, when written."""
    started_at: str | None = None
    duration_s: NonNegative | None = None
    gates: tuple[SummaryGate, ...] = ()
    reused: ReusedResult | None = None


class Repository(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    path: str
    name: str
    git: GitInfo | None


class Summary(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The verdict over every component: the contract the summary reports derive from."""

    schema_version: Literal[1]
    auditor_version: str
    repository: Repository
    started_at: str
    duration_s: NonNegative
    status: Status
    """`error` when a selected component could not measure or is missing, else `failed` when
    one failed, else `passed`."""
    reason: str | None
    components: tuple[ComponentRow, ...]


@dataclass(frozen=True)
class Outcome:
    """A selected component's scorecard, where its reports are, and whether it was reused."""

    card: Scorecard
    scorecard: str | None = None
    report: str | None = None
    reused: ReusedResult | None = None


def _gates(card: Scorecard) -> tuple[SummaryGate, ...]:
    return tuple(
        SummaryGate(
            id=g.id,
            title=g.title,
            status=g.status,
            score=g.score,
            failing=tuple(
                c.id for c in g.conditions if c.blocking and c.status in ("failed", "inconclusive")
            ),
            reason=g.reason,
            cached=g.cached is not None,
        )
        for g in card.gates
    )


def _row(component: Component, outcome: Outcome | None, selected: bool) -> ComponentRow:
    if not selected:
        return ComponentRow(
            component.name, component.path, "not_selected", reason="not selected with --components"
        )
    if outcome is None:
        return ComponentRow(
            component.name,
            component.path,
            "missing",
            reason="its scorecard is missing: the job that audits it did not deliver one",
        )
    card = outcome.card
    status: RowStatus = "failed" if card.status == "inconclusive" else card.status
    return ComponentRow(
        name=component.name,
        path=component.path,
        status=status,
        score=card.score,
        grade=card.grade,
        reason=card.reason,
        scorecard=outcome.scorecard,
        report=outcome.report,
        started_at=card.started_at,
        duration_s=card.duration_s,
        gates=_gates(card),
        reused=outcome.reused,
    )


def verdict(rows: Sequence[ComponentRow]) -> tuple[Status, str | None]:
    """The overall status and, unless it passed, why: the components and gates at fault."""
    judged = [r for r in rows if r.status != "not_selected"]
    broken = [r for r in judged if r.status in ("error", "missing")]
    failed = [r for r in judged if r.status == "failed"]
    if not judged:
        return "error", "no component was selected, so nothing was audited"
    if all(r.status == "skipped" for r in judged):
        return "error", "every selected component was skipped, so nothing was measured"
    if broken:
        return "error", "could not measure: " + "; ".join(_fault(r) for r in broken)
    if failed:
        return "failed", "failed: " + "; ".join(_fault(r) for r in failed)
    return "passed", None


def _fault(row: ComponentRow) -> str:
    if row.status == "missing":
        return f"{row.name} (no scorecard)"
    gates = [
        g.id + (f" ({', '.join(g.failing)})" if g.failing else "")
        for g in row.gates
        if g.status in ("failed", "error")
    ]
    return f"{row.name}: {', '.join(gates) or row.reason or row.status}"


def build(
    repo: Path,
    components: Sequence[Component],
    selected: Sequence[Component],
    outcomes: Mapping[str, Outcome],
    started: datetime,
    duration_s: float,
    git: GitInfo | None,
) -> Summary:
    """The summary of SELECTED (of COMPONENTS), with the OUTCOMES by component path; GIT is the
    repository's checkout."""
    chosen = {c.path for c in selected}
    rows = tuple(_row(c, outcomes.get(c.path), c.path in chosen) for c in components)
    status, reason = verdict(rows)
    return Summary(
        schema_version=SUMMARY_SCHEMA_VERSION,
        auditor_version=__version__,
        repository=Repository(str(repo), repo.name, git),
        started_at=started.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_s=round(max(duration_s, 0.0), 3),
        status=status,
        reason=reason,
        components=rows,
    )


def exit_code(summary: Summary) -> int:
    """0 passed, 1 a blocking gate failed, 3 a component could not measure or is missing."""
    return scoring.exit_code(summary.status)


_ENCODER = msgspec.json.Encoder()


def dumps(summary: Summary) -> str:
    """The summary as JSON text: the one place it is serialised."""
    return msgspec.json.format(_ENCODER.encode(summary), indent=2).decode("utf-8") + "\n"


def loads(data: bytes, where: str) -> Summary:
    try:
        return msgspec.json.decode(data, type=Summary)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{where} is not a valid summary: {exc}") from None


def schema() -> dict[str, Any]:
    """The JSON Schema of summary.json that ships with the package."""
    text = resources.files("auditor").joinpath("schema/summary.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def generated_schema() -> dict[str, Any]:
    """The JSON Schema of summary.json, made from its types (`audit schema --summary`)."""
    (top,), defs = msgspec.json.schema_components([Summary], ref_template="#/$defs/{name}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://auditor.invalid/summary.schema.json",
        "title": "Auditor summary, schema version 1",
        **top,
        "$defs": dict(sorted(defs.items())),
    }
