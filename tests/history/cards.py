"""Scorecards made for history tests: known times, branches, statuses and figures."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.model import (
    SCHEMA_VERSION,
    Condition,
    Details,
    GateResult,
    GitInfo,
    Op,
    Scorecard,
    Status,
    Target,
    ToolRun,
)
from auditor.scorecard import dumps
from auditor.scoring import compare


def _condition(cid: str, title: str, value: float, unit: str, op: Op, threshold: float) -> (
    Condition
):
    ok = compare(value, op, threshold)
    return Condition(cid, title, value, unit, op, threshold, "passed" if ok else "failed", True)


def card(
    at: datetime, *, branch: str | None = "main", commit: str = "3f2a1c4d5e6f",
    tests_failed: float = 0, line_coverage: float = 85.0, critical_errors: float = 0,
) -> Scorecard:
    """A scorecard of a coverage and a lint gate; its status follows from the figures."""
    coverage = [
        _condition("tests_failed", "Failed tests", tests_failed, "", "<=", 0),
        _condition("line_coverage", "Line coverage", line_coverage, "%", ">=", 80),
    ]
    lint = [_condition("critical_errors", "Critical lint errors", critical_errors, "", "<=", 0)]
    gates = [
        GateResult(gid, gid.title(), "failed" if any(c.status == "failed" for c in conds)
                   else "passed", 100.0, 1.0, None, ToolRun(name=gid, version="1"), conds, [],
                   Details())
        for gid, conds in (("coverage", coverage), ("lint", lint))
    ]
    status: Status = "failed" if any(g.status == "failed" for g in gates) else "passed"
    return Scorecard(
        schema_version=SCHEMA_VERSION,
        auditor_version="0.1.0",
        target=Target(path="/somewhere/proj", name="proj",
                      git=GitInfo(commit=commit, branch=branch, dirty=False),
                      python="/usr/bin/python3", python_source="test"),
        started_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        duration_s=1.0, status=status, score=100.0 if status == "passed" else 50.0,
        grade="A" if status == "passed" else "C", gates=gates, reason=None,
    )


def save(cards: list[Scorecard], directory: Path) -> list[Path]:
    """Each scorecard as DIRECTORY/NN.json."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, one in enumerate(cards):
        path = directory / f"{i:02d}.json"
        path.write_text(dumps(one), encoding="utf-8")
        paths.append(path)
    return paths


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """`audit ARGS` in this process: the exit code, stdout and stderr."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
