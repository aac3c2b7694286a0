"""The security gate in the reports: bandit's counts and the vulnerable dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import GateResult
from gates.security.details import BanditDetails, DependencyDetails, SecurityDetails
from reports import text
from reports.viewkit import LIST_LIMIT, count, files_by_findings, more


@dataclass(frozen=True)
class VulnerabilityRow:
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
    vulnerable: list[VulnerabilityRow]
    more_vulnerable: int
    django_settings: str = ""
    """The settings module Django's deployment checklist ran on; empty when it did not."""
    django_issues: tuple[tuple[str, str, str], ...] = ()
    """(id, level, message) of each issue it reported."""


class SecurityReportView:
    template = "view.html.j2"
    findings_noun = "code findings"

    def build(self, gate: GateResult) -> SecurityView | None:
        details = gate.details
        if not isinstance(details, SecurityDetails):
            return None
        bandit = details.bandit or BanditDetails()
        deps = details.dependencies
        vulnerable = list(deps.vulnerable) if deps else []
        skipped = list(deps.skipped) if deps else []
        order = {"HIGH": 0, "MEDIUM": 1, "LOW": 2, "UNDEFINED": 3}
        counts = sorted(bandit.counts.items(), key=lambda kv: order.get(kv[0], 9))
        return SecurityView(
            counts=[(k, text.number(v)) for k, v in counts],
            excluded=list(bandit.excluded),
            audited_dependencies=deps is not None and deps != DependencyDetails(),
            source=(deps.source or "") if deps else "",
            audited=count(deps.audited if deps else None),
            skipped=[
                (s.name, s.version, text.shorten(s.reason, 200)) for s in skipped[:LIST_LIMIT]
            ],
            more_skipped=more(len(skipped)),
            ignored=list(deps.ignored) if deps else [],
            vulnerable=[
                VulnerabilityRow(
                    name=v.name,
                    version=v.version,
                    id=v.id,
                    aliases=", ".join(v.aliases),
                    fixes=", ".join(v.fix_versions),
                    description=text.shorten(text.clean(v.description), 400),
                )
                for v in vulnerable[:LIST_LIMIT]
            ],
            more_vulnerable=more(len(vulnerable)),
            django_settings=details.django.settings if details.django else "",
            django_issues=tuple(
                (i.id, i.level, text.shorten(i.message, 300))
                for i in (details.django.issues if details.django else ())
            ),
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        if condition_id == "django_deploy_warnings":
            django = gate.details.django if isinstance(gate.details, SecurityDetails) else None
            return [
                f"{i.id}: {text.shorten(i.message, 120)}" for i in (django.issues if django else ())
            ]
        if condition_id != "vulnerabilities":
            return files_by_findings(gate, "critical") or files_by_findings(gate)
        details = gate.details
        deps = details.dependencies if isinstance(details, SecurityDetails) else None
        out: list[str] = []
        for vuln in deps.vulnerable if deps else ():
            fix = (
                f", fixed in {', '.join(vuln.fix_versions)}"
                if vuln.fix_versions else ", no fix released"
            )
            out.append(f"{vuln.name} {vuln.version}: {vuln.id}{fix}")
        return out
