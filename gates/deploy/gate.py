"""The deploy gate: what is handed to the people who deploy the service, checked as they get it.

1. The tree is copied into the gate's work directory (setuptools writes `build/` and
   `*.egg-info` where it builds) and `python -m build` makes its sdist, then its wheel from
   the sdist: isolated as pip builds, or (`isolation = false`) with the target's environment.
2. check-wheel-contents checks the wheel and `twine check --strict` both distributions.
3. The wheel is installed into a fresh environment of the target's interpreter that sees the
   target environment's packages but not the source tree; every module of the source tree
   under the wheel's top-level packages is imported there, and every console script answers
   `--help` (install_run.py).
4. Alembic's migrations (alembic.ini) run against a throwaway database: upgrade to head,
   downgrade to base, upgrade again, one revision at a time; then `alembic check` compares the
   models with the database (migrations_run.py). Django's (manage.py) run the same way through
   a settings module of the gate's own, then `makemigrations --check` (django_run.py).
5. The service the load and api gates start (gates/service.py; the keys of
   `[tool.audit.deploy]`, else those of `[tool.audit.load]`) is started and its `health` path
   polled until it answers 2xx.
"""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor.cache import CacheSpec
from auditor.errors import ConfigError, GateError, SkipGateError
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec, Population, Severity
from auditor.plugin import BaseGate, GateConfig, GateContext, GateView, Preparation
from auditor.toolinfo import ResolvedTool
from gates import service as shared_service
from gates.deploy import build_run, database, django_run, install_run, parse, settings, wheel_run
from gates.deploy.details import (
    Artifact,
    BuildRun,
    DeployDetails,
    Drift,
    HealthCheck,
    InstallCheck,
    MigrationRun,
    MigrationStep,
)
from gates.deploy.migrations_run import MigrationOutcome, run_alembic
from gates.deploy.view import DeployReportView
from gates.django_project import SETTINGS_VAR
from gates.paths import relative_to_root

BUILDS, DISTRIBUTIONS, MODULES = "builds", "distributions", "modules"
REVISIONS, TABLES, SERVICES = "revisions", "tables", "services"
COUNTED = ("package_builds", "wheel_problems", "migrations_tested", "schema_drift", "health_check")
SERVICE_LOG = "deploy-service.log"


@dataclass
class Tally:
    """What the parts of a run add up to."""

    values: dict[str, float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    unmeasured: dict[str, str] = field(default_factory=dict)
    populations: dict[str, Population] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    tools: list[ResolvedTool] = field(default_factory=list)

    def find(
        self, condition: str, path: str, rule: str, message: str, severity: Severity = "critical"
    ) -> None:
        self.findings.append(
            Finding(
                path=path,
                line=None,
                rule=rule,
                severity=severity,
                message=message,
                tool="deploy",
                extra={"condition": condition},
            )
        )

    def count(self, condition: str) -> None:
        self.values[condition] = float(
            sum(f.extra.get("condition") == condition for f in self.findings)
        )

    def skip(self, conditions: Sequence[str], reason: str) -> None:
        self.skipped.update(dict.fromkeys(conditions, reason))


class DeployGate(BaseGate):
    view: GateView | None = DeployReportView()
    id = "deploy"
    title = "Deploy"
    tool = "build, check-wheel-contents, twine, alembic, django"
    order = 45
    build_conditions = ("package_builds",)
    default_timeout = 600.0
    details_type = DeployDetails
    cache = CacheSpec(tools=("build", "check-wheel-contents", "twine", "installer"),
                      environment=(SETTINGS_VAR,))
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec(
            "package_builds",
            "Build failures",
            "",
            "<=",
            0,
            "count",
            "`python -m build` of the sdist and the wheel (from the sdist) failed",
            population=BUILDS,
        ),
        ConditionSpec(
            "wheel_problems",
            "Wheel problems",
            "",
            "<=",
            0,
            "count",
            "problems check-wheel-contents finds in the wheel and `twine check "
            "--strict` in either distribution",
            population=DISTRIBUTIONS,
        ),
        ConditionSpec(
            "imports_after_install",
            "Imports after install",
            "%",
            ">=",
            100,
            "percent",
            "modules of the source tree that import from the installed "
            "wheel, and console scripts that answer --help",
            ratchets=False,
            population=MODULES,
        ),
        ConditionSpec(
            "migrations_tested",
            "Migration failures",
            "",
            "<=",
            0,
            "count",
            "revisions that fail to upgrade from empty to head, downgrade to base or "
            "upgrade again, and heads beyond one",
            population=REVISIONS,
        ),
        ConditionSpec(
            "schema_drift",
            "Schema drift",
            "",
            "<=",
            0,
            "count",
            "differences between the models and the database the migrations make (`alembic "
            "check`; Django's `makemigrations --check`)",
            population=TABLES,
        ),
        ConditionSpec(
            "health_check",
            "Health check failures",
            "",
            "<=",
            0,
            "count",
            "the service has no `health` path, or it does not answer 2xx once up",
            population=SERVICES,
        ),
    )
    options: tuple[OptionSpec, ...] = settings.OPTIONS

    def table(
        self, own: Mapping[str, object], tables: Mapping[str, object]
    ) -> Mapping[str, object]:
        """Without a `start` of its own, the deploy gate checks the service `[tool.audit.load]`
        defines."""
        return shared_service.inherit_service_keys("load", own, tables)

    def prepare(self, config: GateConfig, preparation: Preparation) -> GateConfig:
        root = preparation.root
        problem = settings.build_backend_error(root)
        if problem:
            raise ConfigError(problem)
        found = settings.find_migrations(root, config)
        if found is not None and found.framework == "alembic":
            settings.check_alembic_ini(root, found.path)
        url = settings.server(config, os.environ)
        if url is not None:
            database.check_reachable(url, settings.where_server(config))
        return config

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        counts = Counter(f.extra.get("condition") for f in findings)
        return {condition: float(counts[condition]) for condition in COUNTED}

    def measure(self, ctx: GateContext) -> Measurement:
        if not settings.is_package(ctx.root):
            raise SkipGateError(
                "nothing to build: no setup.py, and no [project] or "
                "[build-system] table in pyproject.toml"
            )
        tally = Tally()
        source = ctx.workdir / "source"
        ctx.progress("copying the tree")
        build_run.copy_tree(ctx, source)
        front = build_run.frontend(ctx)
        tally.tools.append(front.tool)
        isolated = ctx.config.option_bool("isolation") is not False
        ctx.progress("building the sdist and wheel" + (" (isolated)" if isolated else ""))
        built = build_run.build(ctx, front, source, isolated=isolated)
        build = _build_part(tally, built, isolated, ctx.root)
        install = _distributions_part(ctx, tally, built, source)
        migrations = _migrations_part(ctx, tally, source)
        health = _health_part(ctx, tally)
        tally.warnings.extend(shared_service.unused_key_warnings(ctx.config, settings.TABLE))
        details = DeployDetails(
            interpreter=str(ctx.python),
            tools=tuple(tally.tools),
            build=build,
            wheel_checks=2 if built.ok else None,
            install=install,
            migrations=migrations,
            health=health,
            warnings=tuple(tally.warnings),
        )
        return Measurement(
            values=tally.values,
            findings=tally.findings,
            details=details,
            tool_name="build",
            tool_version=front.tool.version,
            skipped=tally.skipped,
            unmeasured=tally.unmeasured,
            warnings=tally.warnings,
            populations=tally.populations,
        )


def _config_file(root: Path) -> str:
    return "pyproject.toml" if (root / "pyproject.toml").is_file() else "setup.py"


def _build_part(tally: Tally, built: build_run.Built, isolated: bool, root: Path) -> BuildRun:
    tally.populations[BUILDS] = Population("builds run", 1)
    if not built.ok:
        unmet = parse.unmet_build_requirements(built.result.stdout + built.result.stderr)
        why = (
            f"the build requirements are not installed in the target's environment: "
            f"{', '.join(unmet)}; install them there, or build isolated (`isolation = true`)"
            if unmet and not isolated else built.result.last_line()
        )
        tally.find(
            "package_builds",
            _config_file(root),
            "build-failed",
            f"`python -m build` failed (exit code {built.result.returncode}): {why}",
        )
    tally.count("package_builds")
    return BuildRun(
        isolated=isolated,
        duration_s=round(built.duration_s, 3),
        artifacts=tuple(Artifact(a.name, a.kind, a.size) for a in built.artifacts),
        log_tail=None if built.ok else built.log_tail(),
    )


def _distributions_part(
    ctx: GateContext,
    tally: Tally,
    built: build_run.Built,
    source: Path,
) -> InstallCheck | None:
    """The wheel's checks and its install: wheel_problems and imports_after_install."""
    wheel, sdist = built.artifact("wheel"), built.artifact("sdist")
    if wheel is None or sdist is None:
        tally.skip(
            ("wheel_problems", "imports_after_install"),
            "the build failed: there is no wheel to check",
        )
        return None
    problems, used = wheel_run.check(ctx, source, wheel, sdist)
    tally.tools.extend(used)
    config_file = _config_file(ctx.root)
    for problem in problems:
        files = f" ({', '.join(problem.files)})" if problem.files else ""
        rule = (
            problem.code
            if problem.tool == "check-wheel-contents"
            else (f"twine-{problem.code.lower()}")
        )
        tally.find(
            "wheel_problems",
            config_file,
            rule,
            f"{problem.distribution}: {problem.message}{files}",
            "critical" if problem.code == "ERROR" else "warning",
        )
    tally.populations[DISTRIBUTIONS] = Population("distributions checked", 2)
    tally.count("wheel_problems")
    return _install_part(ctx, tally, wheel)


def _install_part(ctx: GateContext, tally: Tally, wheel: Path) -> InstallCheck:
    contents = install_run.read_wheel(wheel)
    python = install_run.make_environment(ctx, wheel)
    modules, not_found = install_run.source_modules(ctx.root, contents.top_level)
    tally.warnings.extend(
        f"the wheel's top-level `{top}` is not in the source tree (looked at the root and in "
        "src/): its modules are not imported"
        for top in not_found
    )
    patterns = ctx.config.option_list("not_imported")
    programs = [
        m
        for m in modules
        if m.name.rsplit(".", 1)[-1] == "__main__"
        or any(fnmatch.fnmatchcase(m.name, p) for p in patterns)
    ]
    found = settings.find_migrations(ctx.root, ctx.config)
    django = (django_run.project_settings(ctx.root, found.path, ctx.env())
              if found is not None and found.framework == "django" else None)
    failures, imported = install_run.import_failures(
        ctx, python, modules, contents, not_imported={m.name for m in programs},
        django_settings=django,
    )
    scripts = install_run.run_scripts(ctx, python, contents.scripts)
    for failure in failures:
        rule = "missing-from-wheel" if failure.missing_from_wheel else "import-error"
        tally.find(
            "imports_after_install", failure.path, rule, f"{failure.module}: {failure.reason}"
        )
    for script in scripts:
        if script.exit_code != 0:
            tally.find(
                "imports_after_install",
                _config_file(ctx.root),
                "console-script",
                f"`{script.name} --help` exited with code {script.exit_code}",
            )
    # A module left out of the import is still judged: it must be in the wheel.
    judged = len(modules) + len(scripts)
    passed = (
        imported + len(programs) - sum(f.module in {m.name for m in programs} for f in failures)
    )
    passed += sum(s.exit_code == 0 for s in scripts)
    tally.populations[MODULES] = Population("modules and console scripts", judged)
    tally.values["imports_after_install"] = round(100.0 * passed / judged, 2) if judged else 0.0
    return InstallCheck(
        modules=len(modules),
        imported=imported,
        top_level=contents.top_level,
        failures=tuple(failures),
        scripts=tuple(scripts),
        not_imported=tuple(m.name for m in programs),
    )


def _migrations_part(ctx: GateContext, tally: Tally, source: Path) -> MigrationRun | None:
    found = settings.find_migrations(ctx.root, ctx.config)
    both = ("migrations_tested", "schema_drift")
    if found is None:
        tally.skip(
            both, "no alembic.ini or manage.py at the root (`migrations` names one elsewhere)"
        )
        return None
    server = settings.server(ctx.config, ctx.env())
    if found.framework == "django":
        project = django_run.project_settings(ctx.root, found.path, ctx.env())
        if project is None or not all(p.isidentifier() for p in project.split(".")):
            tally.unmeasured.update(
                dict.fromkeys(
                    both,
                    f"{found.path} names no settings module Django can import ({project}); "
                    "set DJANGO_SETTINGS_MODULE",
                )
            )
            return None
        with database.throwaway(ctx.workdir, server) as (url, kind):
            ran = django_run.run_django(ctx, source, found.path, url, project)
        return _django_findings(ctx, tally, ran, found.path, kind)
    with database.throwaway(ctx.workdir, server) as (url, kind):
        outcome = run_alembic(ctx, source, found.path, url)
    return _migration_findings(ctx, tally, outcome, found.path, kind)


def _revision_path(source: Path, files: Mapping[str, str], rev: str, ini: str) -> str:
    path = files.get(rev)
    if path is None:
        return ini
    return relative_to_root(path, source)


def _migration_findings(
    ctx: GateContext,
    tally: Tally,
    outcome: MigrationOutcome,
    ini: str,
    kind: str,
) -> MigrationRun | None:
    revisions = outcome.revisions
    if revisions is None:
        reason = f"alembic could not read the migrations of {ini}: {outcome.failure}"
        tally.unmeasured.update(dict.fromkeys(("migrations_tested", "schema_drift"), reason))
        return None
    source = ctx.workdir / "source"
    for step in outcome.steps:
        if not step.ok:
            path = _revision_path(source, revisions.files, step.revision, ini)
            tally.find(
                "migrations_tested",
                path,
                f"{step.phase.replace(' ', '-')}-failed",
                f"{step.phase} of revision {step.revision} failed: {step.error}",
            )
    if len(revisions.heads) > 1:
        tally.find(
            "migrations_tested",
            ini,
            "multiple-heads",
            f"{len(revisions.heads)} heads ({', '.join(revisions.heads)}): merge them "
            "(`alembic merge heads`)",
        )
    tally.populations[REVISIONS] = Population("revisions", len(revisions.revisions))
    tally.count("migrations_tested")
    _drift_part(tally, outcome, ini)
    return MigrationRun(
        framework="alembic",
        database=kind,
        config=ini,
        revisions=len(revisions.revisions),
        heads=revisions.heads,
        steps=tuple(MigrationStep(s.phase, s.revision, s.ok, s.error) for s in outcome.steps),
        drift=tuple(
            Drift(d.kind, d.table, d.column) for d in (outcome.check.drift if outcome.check else ())
        ),
        tables=outcome.check.tables if outcome.check else 0,
    )


def _drift_part(tally: Tally, outcome: MigrationOutcome, ini: str) -> None:
    check = outcome.check
    if check is None:
        if outcome.failure:
            tally.unmeasured["schema_drift"] = f"`alembic check` could not run: {outcome.failure}"
        else:
            tally.skipped["schema_drift"] = (
                "the migrations did not reach head, so the models were not compared"
            )
        return
    for item in check.drift:
        where = f"{item.table}.{item.column}" if item.column else item.table
        tally.find(
            "schema_drift",
            ini,
            item.kind,
            f"{item.kind} {where}: the models and the migrations disagree; "
            "`alembic revision --autogenerate` writes the migration",
        )
    added = sum(item.kind == "add_table" for item in check.drift)
    tally.populations[TABLES] = Population("tables compared", check.tables + added)
    tally.count("schema_drift")


def _django_file(outcome: django_run.DjangoOutcome, source: Path, app: str, name: str) -> str:
    """Where a migration of APP is (NAME empty: its folder), relative to the root; else ''."""
    folders = outcome.project.folders if outcome.project else {}
    if app not in folders:
        return ""
    folder = Path(folders[app])
    return relative_to_root(str(folder / f"{name}.py" if name else folder), source)


def _django_findings(
    ctx: GateContext, tally: Tally, outcome: django_run.DjangoOutcome, manage: str, kind: str
) -> MigrationRun | None:
    both = ("migrations_tested", "schema_drift")
    if outcome.failure is not None:
        tally.unmeasured.update(dict.fromkeys(both, outcome.failure))
        return None
    source = ctx.workdir / "source"
    for step in outcome.steps:
        if not step.ok:
            app, _, name = step.revision.partition(".")
            tally.find(
                "migrations_tested",
                _django_file(outcome, source, app, name) or manage,
                f"{step.phase.replace(' ', '-')}-failed",
                f"{step.phase} of migration {step.revision} failed: {step.error}",
            )
    for app, leaves in outcome.conflicts.items():
        tally.find(
            "migrations_tested",
            _django_file(outcome, source, app, "") or manage,
            "multiple-leaf-nodes",
            f"{app} has {len(leaves)} latest migrations ({', '.join(leaves)}): merge them "
            f"(`manage.py makemigrations --merge {app}`)",
        )
    tally.populations[REVISIONS] = Population("migrations", len(outcome.plan))
    tally.count("migrations_tested")
    drift = _django_drift(tally, outcome, source, manage)
    latest = {m.split(".", 1)[0]: m for m in outcome.plan}
    heads = [f"{app}.{leaf}" for app, leaves in outcome.conflicts.items() for leaf in leaves]
    return MigrationRun(
        framework="django",
        database=kind,
        config=manage,
        revisions=len(outcome.plan),
        heads=tuple(heads or latest.values()),
        steps=tuple(MigrationStep(s.phase, s.revision, s.ok, s.error) for s in outcome.steps),
        drift=drift,
        tables=outcome.project.models if outcome.project else 0,
    )


def _django_drift(
    tally: Tally, outcome: django_run.DjangoOutcome, source: Path, manage: str
) -> tuple[Drift, ...]:
    if outcome.changes is None:
        if outcome.drift_failure:
            tally.unmeasured["schema_drift"] = outcome.drift_failure
        else:
            tally.skipped["schema_drift"] = (
                "the migrations conflict, so makemigrations cannot compare the models with them"
            )
        return ()
    for change in outcome.changes:
        tally.find(
            "schema_drift",
            _django_file(outcome, source, change.app, "") or manage,
            change.kind,
            f"{change.description} ({change.app}): the models and the migrations disagree; "
            f"`manage.py makemigrations {change.app}` writes the migration",
        )
    models = outcome.project.models if outcome.project else 0
    tally.populations[TABLES] = Population("models compared", models)
    tally.count("schema_drift")
    return tuple(
        Drift(c.kind, f"{c.app}.{c.model}" if c.model else c.app, c.field) for c in outcome.changes
    )


def _health_part(ctx: GateContext, tally: Tally) -> HealthCheck | None:
    if not ctx.config.option_str("start"):
        tally.skip(
            ("health_check",), "no service: no `start` in [tool.audit.deploy] or [tool.audit.load]"
        )
        return None
    start = ctx.config.option_str("start")
    table = getattr(start, "table", "") or settings.TABLE
    tally.populations[SERVICES] = Population("services", 1)
    if ctx.config.option_str("health") is None:
        tally.find(
            "health_check",
            "pyproject.toml",
            "no-health-check",
            f"the service has no health check: set `health` in {table} to a path that "
            "answers 2xx once it is up (e.g. /health)",
        )
        tally.count("health_check")
        return None
    service = shared_service.parse_service(ctx.config, settings.TABLE)
    log = ctx.out_dir / SERVICE_LOG
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    ctx.progress("starting the service")
    health = HealthCheck(path=service.health, healthy=False, table=service.table, log=str(log))
    try:
        with shared_service.running(
            service,
            root=ctx.root,
            python=ctx.python,
            workdir=ctx.workdir,
            log_path=log,
            base_env=ctx.env(),
        ) as running:
            health = HealthCheck(
                path=service.health,
                healthy=True,
                startup_s=round(running.startup_s, 3),
                table=service.table,
                log=str(log),
            )
    except GateError as exc:
        tally.find("health_check", "pyproject.toml", "unhealthy", str(exc).splitlines()[0])
    tally.count("health_check")
    return health
