"""The lint gate in the reports: the rule selection, findings by rule and by file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from auditor.model import GateResult
from gates.lint.details import LintDetails
from reports import text
from reports.viewkit import LIST_LIMIT, files_by_findings, more


@dataclass(frozen=True)
class LintView:
    selection: str
    critical_rules: list[str]
    rules: list[tuple[str, str, bool]]
    more_rules: int
    files: list[tuple[str, str, str]]
    more_files: int


class LintReportView:
    template = "view.html.j2"
    findings_noun = "findings"

    def build(self, gate: GateResult) -> LintView | None:
        details = gate.details
        if not isinstance(details, LintDetails):
            return None
        rules = sorted(details.by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
        by_file = sorted(
            details.by_file.items(),
            key=lambda kv: (-kv[1].critical, -kv[1].warnings, kv[0]),
        )
        critical_seen = {f.rule for f in gate.findings if f.severity == "critical"}
        return LintView(
            selection=details.selection or "",
            critical_rules=list(details.critical_rules),
            rules=[(rule, text.number(n), rule in critical_seen) for rule, n in rules[:LIST_LIMIT]],
            more_rules=more(len(rules)),
            files=[
                (p, text.number(v.critical), text.number(v.warnings))
                for p, v in by_file[:LIST_LIMIT]
            ],
            more_files=more(len(by_file)),
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        if condition_id == "critical_errors":
            return files_by_findings(gate, "critical")
        # The warnings that count: baselined, waived and old ones are in the findings, not here.
        by_file = Counter(
            f.path for f in gate.findings if f.state == "new" and f.severity != "critical"
        )
        ranked = sorted(by_file.items(), key=lambda kv: (-kv[1], kv[0]))
        return [f"{path} ({text.plural(int(n), 'warning')})" for path, n in ranked[:5] if n]
