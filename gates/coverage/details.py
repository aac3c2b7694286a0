"""The coverage gate's `details`, typed: what the gate writes into the scorecard and the report
view reads back.

The field names are the scorecard's JSON keys. A field left at its default (None, an empty
tuple) is left out of the JSON; a scorecard is read back with validation that names a field
holding the wrong type, and refuses a key no field declares (auditor.scorecard).
"""

from __future__ import annotations

import msgspec

from auditor.model import Details


class Record(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """A record nested in the coverage details: its defaults left out of the JSON."""


class SuiteOutcomes(Record, frozen=True):
    """Test outcomes, as pytest's summary counts them."""

    collected: int | None = None
    passed: int | None = None
    failed: int | None = None
    errors: int | None = None
    skipped: int | None = None
    xfailed: int | None = None
    xpassed: int | None = None

    def counts(self) -> list[tuple[str, int]]:
        """The outcomes known, in pytest's order: (`passed`, 12)."""
        return [
            (name, value)
            for name in self.__struct_fields__
            if isinstance(value := getattr(self, name), int)
        ]


class Totals(Record, frozen=True):
    """coverage's totals at the gate's precision."""

    percent: float | None = None
    percent_display: str | None = None
    """The total as the project's own `[report] precision` shows it."""
    statements: int | None = None
    missing: int | None = None
    statement_percent: float | None = None
    branches: int | None = None
    missing_branches: int | None = None
    branch_percent: float | None = None


class FileRow(Record, frozen=True):
    """One file of the report: measured by coverage, or a critical file it never measured."""

    path: str
    statements: int | None = None
    missing: int | None = None
    percent: float | None = None
    missing_lines: str | None = None
    """As coverage's Missing column shows them: `3-5, 9`."""
    critical: bool | None = None
    measured: bool | None = None
    branches: int | None = None
    missing_branches: int | None = None


class UncoveredLines(Record, frozen=True):
    """Changed executable lines of one file the tests never ran."""

    path: str
    lines: str
    """As coverage shows missing lines: `11, 16-18`."""


class NewLineCoverage(Record, frozen=True):
    """`new_line_coverage` under `--new-code`: the change and its executable lines."""

    ref: str
    merge_base: str
    files: int
    """Files the change touched."""
    lines: int
    """Lines the change added or touched."""
    executable_lines: int
    """Of those, the lines coverage counts a statement on."""
    covered_lines: int
    uncovered: tuple[UncoveredLines, ...] = ()


class Reused(Record, frozen=True):
    """Where the reused coverage data and test results came from (`--coverage-data`)."""

    coverage_data: tuple[str, ...]
    junit: tuple[str, ...] = ()


class SuiteRunner(Record, frozen=True):
    """The runner of a Django project's tests, why it was chosen, and its settings module."""

    name: str
    """`pytest` or `django` (`manage.py test`)."""
    chosen_because: str
    settings: str | None = None
    """The settings module, as the runner finds it; None when none was found."""
    settings_from: str | None = None
    """Where it was named: `environment`, `manage.py` or `pytest configuration`."""
    exit_code: int | None = None
    """`manage.py test`'s exit code (Django's runner only)."""


class EndpointCoverage(Record, frozen=True):
    """`endpoints_tested`: the schema's operations judged and those no test's request reached."""

    operations: int
    tested: int
    untested: tuple[str, ...] = ()
    """`GET /items/{item_id}`: the operations no routed request of the suite belonged to."""
    requests_routed: int = 0
    """Distinct requests (method, route, path) the application routed during the suite."""


class CoverageDetails(Details, frozen=True):
    """Everything the coverage gate reports beyond its conditions and findings."""

    python_version: str | None = None
    command: str | None = None
    """The coverage command the suite ran under."""
    tests: SuiteOutcomes | None = None
    pytest_exit_code: int | None = None
    pytest_args_added: tuple[str, ...] = ()
    """Arguments that kept installed plugins (pytest-cov, xdist) from hiding the run."""
    branch: bool | None = None
    """Whether the project measures branches."""
    line_coverage_figure: str | None = None
    """Which figure of coverage's report `line_coverage` is."""
    totals: Totals | None = None
    files: tuple[FileRow, ...] = ()
    measured_files: tuple[str, ...] = ()
    skipped_files: tuple[str, ...] = ()
    """Files coverage could not parse and left out of its report."""
    critical_paths: tuple[str, ...] = ()
    critical_unmeasured: tuple[str, ...] = ()
    combined_data_files: int | None = None
    precision: int | None = None
    """Decimal places of every percentage."""
    new_code: NewLineCoverage | None = None
    """The change `new_line_coverage` judged; None without `--new-code`."""
    reused: Reused | None = None
    """The data and JUnit files reused instead of running the suite; None when it ran."""
    endpoints: EndpointCoverage | None = None
    """What `endpoints_tested` judged; None when it was not measured."""
    runner: SuiteRunner | None = None
    """The test runner of a Django project; None for any other project."""
