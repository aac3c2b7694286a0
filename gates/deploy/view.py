"""The deploy gate in the reports: the build, the install's imports, the migrations, the
health check; and where to look for each failed condition."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import GateResult
from gates.deploy.details import DeployDetails
from reports import text
from reports.viewkit import LIST_LIMIT, more

CONDITIONS_FINDINGS = {
    "package_builds",
    "wheel_problems",
    "imports_after_install",
    "migrations_tested",
    "schema_drift",
    "health_check",
}


@dataclass(frozen=True)
class DeployView:
    build: str
    artifacts: list[tuple[str, str, str]]
    build_log: str
    install: str
    failures: list[tuple[str, str, str]]
    more_failures: int
    scripts: list[tuple[str, int]]
    migrations: str
    steps: list[tuple[str, str, bool, str]]
    health: str


def _build_text(details: DeployDetails) -> str:
    if details.build is None:
        return ""
    how = "isolated, as pip builds" if details.build.isolated else "in the target's environment"
    return f"Built {how} in {text.duration(details.build.duration_s)}."


def _install_text(details: DeployDetails) -> str:
    install = details.install
    if install is None:
        return ""
    tops = ", ".join(install.top_level)
    programs = (
        f"; in the wheel, not imported: {', '.join(install.not_imported)}"
        if install.not_imported
        else ""
    )
    return (
        f"The wheel ({tops}) installed into a fresh environment: {install.imported} of "
        f"{install.modules} modules of the source tree imported{programs}."
    )


def _migrations_text(details: DeployDetails) -> str:
    run = details.migrations
    if run is None:
        return ""
    heads = ", ".join(run.heads) or "none"
    return (
        f"{run.framework} ({run.config}) on a throwaway {run.database} database: "
        f"{text.plural(run.revisions, 'revision')}, heads: {heads}; "
        f"{text.plural(run.tables, 'table')} at head."
    )


def _health_text(details: DeployDetails) -> str:
    health = details.health
    if health is None:
        return ""
    if not health.healthy:
        return f"{health.path} did not answer 2xx (service keys of {health.table})."
    startup = f" {health.startup_s:.2f} s after the start" if health.startup_s is not None else ""
    return f"{health.path} answered 2xx{startup} (service keys of {health.table})."


class DeployReportView:
    template = "view.html.j2"
    findings_noun = "problems"

    def build(self, gate: GateResult) -> DeployView | None:
        details = gate.details
        if not isinstance(details, DeployDetails):
            return None
        failures = details.install.failures if details.install else ()
        steps = details.migrations.steps if details.migrations else ()
        return DeployView(
            build=_build_text(details),
            artifacts=[
                (a.name, a.kind, text.number(a.size))
                for a in (details.build.artifacts if details.build else ())
            ],
            build_log=(details.build.log_tail or "") if details.build else "",
            install=_install_text(details),
            failures=[(f.module, f.path, f.reason) for f in failures[:LIST_LIMIT]],
            more_failures=more(len(failures)),
            scripts=[
                (s.name, s.exit_code) for s in (details.install.scripts if details.install else ())
            ],
            migrations=_migrations_text(details),
            steps=[(s.phase, s.revision, s.ok, s.error) for s in steps],
            health=_health_text(details),
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        if condition_id not in CONDITIONS_FINDINGS:
            return []
        found = [
            f
            for f in gate.findings
            if f.state == "new" and f.extra.get("condition") == condition_id
        ]
        return [f"{f.path}: {text.shorten(f.message, 160)}" for f in found[:5]]
