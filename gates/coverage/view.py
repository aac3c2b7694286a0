"""The coverage gate in the reports: tests, per-file coverage, critical files, where to look."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from auditor.model import GateResult
from reports import access, text
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
    template = "coverage/view.html.j2"
    findings_noun = "findings"
    details_keys: Mapping[str, type] = MappingProxyType(
        {
            "interpreter": str,
            "tests": dict,
            "branch": bool,
            "files": list,
            "skipped_files": list,
            "precision": int,
        }
    )

    def build(self, gate: GateResult) -> CoverageView:
        details = gate.details
        line_target = threshold(gate, "line_coverage")
        critical_target = threshold(gate, "critical_coverage")
        records = access.records(details.get("files"))
        records.sort(
            key=lambda f: (access.num(f.get("percent")) or 0.0, access.text(f.get("path")))
        )
        files: list[CoverageFile] = []
        for record in records[:LIST_LIMIT]:
            critical = record.get("critical") is True
            branches = access.num(record.get("branches"))
            missing_branches = access.num(record.get("missing_branches"))
            target = critical_target if critical and critical_target is not None else line_target
            files.append(
                CoverageFile(
                    path=access.text(record.get("path")),
                    bar=bar(access.num(record.get("percent")), target),
                    statements=count(record.get("statements")),
                    missing=count(record.get("missing")),
                    missing_lines=text.shorten(access.text(record.get("missing_lines")), 160),
                    branches=(
                        f"{text.number(branches - (missing_branches or 0))}/{text.number(branches)}"
                        if branches is not None
                        else ""
                    ),
                    critical=critical,
                )
            )
        tests = access.mapping(details.get("tests"))
        skipped = access.strings(details.get("skipped_files"))
        precision = access.num(details.get("precision"))
        return CoverageView(
            tests=[(k, count(v)) for k, v in tests.items()],
            interpreter=access.text(details.get("interpreter")),
            branch=details.get("branch") is True,
            precision=f"{text.number(precision)} decimal places" if precision is not None else "",
            files=files,
            more_files=more(len(records)),
            measured=len(records),
            critical_files=sum(r.get("critical") is True for r in records),
            skipped_files=skipped[:LIST_LIMIT],
            more_skipped=more(len(skipped)),
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        files = access.records(gate.details.get("files"))
        if condition_id == "critical_coverage":
            files = [f for f in files if f.get("critical") is True]
        elif condition_id == "tests_failed":
            return files_by_findings(gate) or ["the failing tests in the test run's output"]
        elif condition_id == "new_line_coverage":
            new_code = access.mapping(gate.details.get("new_code"))
            return [
                f"{access.text(u.get('path'))} changed lines {access.text(u.get('lines'))} "
                "never ran"
                for u in access.records(new_code.get("uncovered"))
            ]
        ranked = sorted(
            (f for f in files if access.num(f.get("percent")) is not None),
            key=lambda f: access.num(f.get("percent")) or 0.0,
        )
        return [
            f"{access.text(f.get('path'))} at {text.with_unit(access.num(f.get('percent')), '%')}"
            for f in ranked[:5]
            if (access.num(f.get("percent")) or 0.0) < 100
        ]
