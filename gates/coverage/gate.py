"""The coverage gate: the target's tests under pytest and coverage.py.

Figures (all at 2 decimal places, rounded as `coverage report --precision=2` rounds them):
- `line_coverage` is coverage's `totals.percent_covered`, the TOTAL `coverage report` prints.
  With `branch = true` in the project's coverage configuration it combines statements and
  branches ((covered statements + covered branches) / (statements + branches)), as coverage does.
- `branch_coverage` is covered branches / branches, only when branches were measured.
- `critical_coverage` is the lowest per-file figure (coverage's own per-file percent) of the
  files matching `critical_paths`. A Python file that matches but was never measured (the tests
  never imported it and it is outside coverage's `source`, or the project omits it) counts as 0%:
  an unmeasured critical file is not covered. Globs matching no file at all are an error, since
  nothing could be measured for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from auditor.cache import CacheSpec
from auditor.errors import ConfigError, GateError
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec
from auditor.plugin import BaseGate, CliOption, GateConfig, GateContext, GateView, Preparation
from gates.coverage import endpoints, reuse
from gates.coverage.critical import critical_candidates
from gates.coverage.details import CoverageDetails
from gates.coverage.django_route import (
    DJANGO_ARGS_OPTION,
    RUNNER_OPTION,
    check_option,
    choice_for,
    described,
    measure_django,
)
from gates.coverage.measurement import TESTS, build_measurement, finding_values
from gates.coverage.run import Toolchain, probe, run_suite
from gates.coverage.view import CoverageReportView
from gates.django_project import SETTINGS_VAR
from gates.service import env_table


class CoverageGate(BaseGate):
    view: GateView | None = CoverageReportView()
    id = "coverage"
    title = "Tests and coverage"
    tool = "pytest + coverage.py"
    order = 10
    runs_alone = False
    default_timeout = 900.0
    # The tests may read any file: every tracked and untracked, not ignored, file counts; so do
    # reused data and JUnit files wherever they lie.
    cache = CacheSpec(files=None, interpreter=True, inputs=reuse.inputs,
                      environment=(SETTINGS_VAR,))
    cli_options = (
        CliOption(reuse.DATA_FLAG, "PATTERN", "Reuse coverage.py data files (repeatable; shards "
                  "are combined) instead of running the suite."),
        CliOption(reuse.JUNIT_FLAG, "PATTERN",
                  "Reuse JUnit XML files for the test counts (repeatable)."),
    )
    build_conditions = ("tests_failed",)
    details_type = CoverageDetails
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec(
            "tests_failed",
            "Failing tests",
            "",
            "<=",
            0,
            "count",
            "tests that failed or errored",
            population=TESTS,
        ),
        ConditionSpec(
            "line_coverage",
            "Line coverage",
            "%",
            ">=",
            80,
            "percent",
            "coverage.py total for the measured files, as `coverage report` prints it "
            "(with branch = true: statements and branches combined)",
            population=TESTS,
        ),
        ConditionSpec(
            "critical_coverage",
            "Critical path coverage",
            "%",
            ">=",
            100,
            "percent",
            "lowest coverage of any file matching `critical_paths`",
            population=TESTS,
        ),
        ConditionSpec(
            "branch_coverage",
            "Branch coverage",
            "%",
            ">=",
            80,
            "percent",
            "covered branches of all branches, when the project measures branches",
            blocking=False,
            population=TESTS,
        ),
        ConditionSpec(
            "new_line_coverage",
            "New line coverage",
            "%",
            ">=",
            80,
            "percent",
            "covered changed executable lines of all changed executable lines (with --new-code)",
            ratchets=False,
            population=TESTS,
        ),
        ConditionSpec(
            endpoints.CONDITION,
            "Endpoints tested",
            "%",
            ">=",
            100,
            "percent",
            "operations of the OpenAPI schema the suite sent a request to that the "
            "application routed to them",
            population=endpoints.POPULATION,
        ),
    )
    options: tuple[OptionSpec, ...] = (
        OptionSpec(
            "critical_paths",
            "str_list",
            [],
            "globs relative to the target root that must be fully covered",
        ),
        OptionSpec(
            "pytest_args", "str_list", [], 'extra arguments for pytest, e.g. ["-m", "not slow"]'
        ),
        OptionSpec(
            "coverage_command",
            "str_list",
            [],
            "the command that runs coverage.py; default: the target's interpreter "
            "with `-m coverage`",
        ),
        OptionSpec(
            reuse.DATA_OPTION,
            "str_list",
            [],
            "coverage.py data files an earlier step wrote, reused instead of running "
            "the suite (globs relative to the target root; shards are combined with the "
            "project's [paths]); --coverage-data replaces it",
        ),
        OptionSpec(
            reuse.JUNIT_OPTION,
            "str_list",
            [],
            "JUnit XML files of the run that wrote `data`, for the test counts (globs); "
            "--junit replaces it",
        ),
        OptionSpec(
            "env",
            "table",
            None,
            "extra environment variables for the test run (a database URL, say)",
        ),
        OptionSpec(
            RUNNER_OPTION,
            "str",
            "auto",
            'the test runner: "pytest", "django" (`manage.py test`), or "auto": '
            "django for a manage.py without pytest-django configured, else pytest",
        ),
        OptionSpec(
            DJANGO_ARGS_OPTION,
            "str_list",
            [],
            'extra arguments for `manage.py test` (runner "django"), e.g. '
            '["catalog", "--parallel", "1"]',
        ),
        *endpoints.OPTIONS,
    )

    def table(
        self, own: Mapping[str, object], tables: Mapping[str, object]
    ) -> Mapping[str, object]:
        """`schema` and `app` default to the api gate's, for `endpoints_tested`."""
        return endpoints.inherit_api_keys(own, tables)

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        return finding_values(findings)

    def validate(self, config: GateConfig) -> None:
        env_table(config.option_table("env"), "[tool.audit.coverage]")
        check_option(str(config.options.get(RUNNER_OPTION, "auto")))
        for pattern in config.option_list("critical_paths"):
            where = f"`{pattern}` in `critical_paths` of [tool.audit.coverage]"
            posix = PurePosixPath(pattern.replace("\\", "/"))
            if not pattern.strip():
                raise ConfigError("an empty glob in `critical_paths` of [tool.audit.coverage] "
                                  "matches nothing; remove it")
            if posix.is_absolute() or ".." in posix.parts:
                raise ConfigError(f"{where} must be relative to the target root, inside it")

    def prepare(self, config: GateConfig, preparation: Preparation) -> GateConfig:
        return reuse.prepare(
            config, root=preparation.root, cwd=preparation.cwd, python=preparation.python,
            cli_data=preparation.cli.get(reuse.DATA_FLAG, ()),
            cli_junit=preparation.cli.get(reuse.JUNIT_FLAG, ()),
        )

    def measure(self, ctx: GateContext) -> Measurement:
        return endpoints.with_endpoints(ctx, self._suite_measurement(ctx))

    def _suite_measurement(self, ctx: GateContext) -> Measurement:
        globs = ctx.config.option_list("critical_paths")
        candidates = critical_candidates(ctx.root, globs)
        if globs and not candidates:
            # Checked before the suite runs: a measured file is always a file under the root.
            raise GateError(
                f"`critical_paths` ({', '.join(globs)}) match no file under {ctx.root}; "
                "fix the globs (relative to the target root) or remove them"
            )
        command = ctx.config.option_list("coverage_command")
        if reuse.requested(ctx.config):
            command = command or [str(ctx.python), "-m", "coverage"]
            reused, has_junit = reuse.reused_run(ctx, command)
            measurement = build_measurement(ctx, reused, None, command, candidates, has_junit)
            return reuse.adjust(ctx, measurement, has_junit)
        choice = choice_for(ctx)
        if choice.name == "django":
            return measure_django(ctx, command, candidates, choice)
        toolchain: Toolchain | None = None
        if not command:
            ctx.progress("checking the target's interpreter")
            toolchain = probe(ctx)
            command = [str(ctx.python), "-m", "coverage"]
        run = run_suite(ctx, command, ctx.config.option_list("pytest_args"), toolchain)
        return described(build_measurement(ctx, run, toolchain, command, candidates), choice)
