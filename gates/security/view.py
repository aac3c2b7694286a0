"""The security gate in the reports: bandit's counts and the vulnerable dependencies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from auditor.model import GateResult
from reports import access, text
from reports.viewkit import LIST_LIMIT, count, files_by_findings, more


@dataclass(frozen=True)
class Vulnerability:
    name: str
    version: str
    id: str
    aliases: str
    fixes: str
    description: str


@dataclass(frozen=True)
class SecurityView:
    counts: list[tuple[str, str]]
    excluded: list[str]
    audited_dependencies: bool
    """False when the dependency audit did not run or failed: its section is left out."""
    source: str
    audited: str
    skipped: list[tuple[str, str, str]]
    more_skipped: int
    ignored: list[str]
    vulnerable: list[Vulnerability]
    more_vulnerable: int


class SecurityReportView:
    template = "security/view.html.j2"
    findings_noun = "code findings"
    details_keys: Mapping[str, type] = MappingProxyType({"bandit": dict, "dependencies": dict})

    def build(self, gate: GateResult) -> SecurityView:
        bandit = access.mapping(gate.details.get("bandit"))
        deps = access.mapping(gate.details.get("dependencies"))
        vulnerable = access.records(deps.get("vulnerable"))
        skipped = access.records(deps.get("skipped"))
        order = {"HIGH": 0, "MEDIUM": 1, "LOW": 2, "UNDEFINED": 3}
        counts = sorted(
            access.counts(bandit.get("counts")).items(), key=lambda kv: order.get(kv[0], 9)
        )
        return SecurityView(
            counts=[(k, text.number(v)) for k, v in counts],
            excluded=access.strings(bandit.get("excluded")),
            audited_dependencies=bool(deps),
            source=access.text(deps.get("source")),
            audited=count(deps.get("audited")),
            skipped=[
                (
                    access.text(s.get("name")),
                    access.text(s.get("version")),
                    text.shorten(access.text(s.get("reason")), 200),
                )
                for s in skipped[:LIST_LIMIT]
            ],
            more_skipped=more(len(skipped)),
            ignored=access.strings(deps.get("ignored")),
            vulnerable=[
                Vulnerability(
                    name=access.text(v.get("name")),
                    version=access.text(v.get("version")),
                    id=access.text(v.get("id")),
                    aliases=", ".join(access.strings(v.get("aliases"))),
                    fixes=", ".join(access.strings(v.get("fix_versions"))),
                    description=text.shorten(text.clean(access.text(v.get("description"))), 400),
                )
                for v in vulnerable[:LIST_LIMIT]
            ],
            more_vulnerable=more(len(vulnerable)),
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        if condition_id != "vulnerabilities":
            return files_by_findings(gate, "critical") or files_by_findings(gate)
        deps = access.mapping(gate.details.get("dependencies"))
        out: list[str] = []
        for vuln in access.records(deps.get("vulnerable")):
            fixes = access.strings(vuln.get("fix_versions"))
            fix = f", fixed in {', '.join(fixes)}" if fixes else ", no fix released"
            out.append(
                f"{access.text(vuln.get('name'))} {access.text(vuln.get('version'))}: "
                f"{access.text(vuln.get('id'))}{fix}"
            )
        return out
