"""The coverage gate in the reports: tests, per-file coverage, critical files, where to look."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import GateResult
from gates.coverage.details import CoverageDetails
from reports import text
from reports.viewkit import LIST_LIMIT, Bar, bar, count, files_by_findings, more, threshold


@dataclass(frozen=True)
class CoverageFile:
    path: str
    bar: Bar
    statements: str
    missing: str
    missing_lines: str
    branches: str
    critical: bool


@dataclass(frozen=True)
class CoverageView:
    tests: list[tuple[str, str]]
    interpreter: str
    branch: bool
    precision: str
    files: list[CoverageFile]
    more_files: int
    measured: int
    critical_files: int
    skipped_files: list[str]
    more_skipped: int


class CoverageReportView:
    template = "view.html.j2"
    findings_noun = "findings"

    def build(self, gate: GateResult) -> CoverageView | None:
        details = gate.details
        if not isinstance(details, CoverageDetails):
            return None
        line_target = threshold(gate, "line_coverage")
        critical_target = threshold(gate, "critical_coverage")
        records = sorted(details.files, key=lambda f: (f.percent or 0.0, f.path))
        files: list[CoverageFile] = []
        for record in records[:LIST_LIMIT]:
            critical = record.critical is True
            target = critical_target if critical and critical_target is not None else line_target
            files.append(
                CoverageFile(
                    path=record.path,
                    bar=bar(record.percent, target),
                    statements=count(record.statements),
                    missing=count(record.missing),
                    missing_lines=text.shorten(record.missing_lines or "", 160),
                    branches=(
                        f"{text.number(record.branches - (record.missing_branches or 0))}"
                        f"/{text.number(record.branches)}"
                        if record.branches is not None
                        else ""
                    ),
                    critical=critical,
                )
            )
        tests = details.tests.counts() if details.tests else []
        skipped = list(details.skipped_files)
        precision = details.precision
        return CoverageView(
            tests=[(k, count(v)) for k, v in tests],
            interpreter=details.interpreter or "",
            branch=details.branch is True,
            precision=f"{text.number(precision)} decimal places" if precision is not None else "",
            files=files,
            more_files=more(len(records)),
            measured=len(records),
            critical_files=sum(r.critical is True for r in records),
            skipped_files=skipped[:LIST_LIMIT],
            more_skipped=more(len(skipped)),
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        details = gate.details
        if not isinstance(details, CoverageDetails):
            return []
        if condition_id == "tests_failed":
            return files_by_findings(gate) or ["the failing tests in the test run's output"]
        if condition_id == "endpoints_tested":
            untested = details.endpoints.untested if details.endpoints else ()
            return [
                f"{name}: no test sent it a request the application routed" for name in untested[:5]
            ]
        if condition_id == "new_line_coverage":
            uncovered = details.new_code.uncovered if details.new_code else ()
            return [f"{u.path} changed lines {u.lines} never ran" for u in uncovered]
        files = details.files
        if condition_id == "critical_coverage":
            files = tuple(f for f in files if f.critical is True)
        ranked = sorted((f for f in files if f.percent is not None), key=lambda f: f.percent or 0.0)
        return [
            f"{f.path} at {text.with_unit(f.percent, '%')}"
            for f in ranked[:5]
            if (f.percent or 0.0) < 100
        ]
