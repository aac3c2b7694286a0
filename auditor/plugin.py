"""The gate protocol and the context a gate runs in."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from auditor import procs
from auditor.errors import GateError, ProcessTimeoutError
from auditor.exclude import Exclusion
from auditor.model import (
    ConditionSpec,
    Details,
    Finding,
    GateResult,
    Measurement,
    OptionSpec,
)
from auditor.newcode import NewCode

if TYPE_CHECKING:
    from auditor.history.location import HistoryRef

SCRUBBED_ENV_PREFIXES = ("COVERAGE_", "PYTEST_CURRENT_TEST", "AUDIT_")
"""Never handed to a tool, the target's tests or its service: a coverage or pytest run of the
auditor itself (which would reach into the target's run), and the auditor's own settings and
secrets (`AUDIT_HISTORY_URL` holds a team store's password). What a gate means the target to
have (the api gate's credentials, the outcomes plugin's file) it passes explicitly."""


class ReadTable(dict[str, object]):
    """A gate's table as `Gate.table` reads it when it takes keys from another gate's table:
    `origins` names the table each taken key was written in, `unused` the keys of its own table
    it then leaves unread, each with why (the gate warns about them)."""

    def __init__(self, values: Mapping[str, object], origins: Mapping[str, str],
                 unused: Mapping[str, str]) -> None:
        super().__init__(values)
        self.origins = dict(origins)
        self.unused = dict(unused)


@dataclass(frozen=True)
class GateConfig:
    """One gate's validated configuration: thresholds, blocking flags, options and timeout."""

    thresholds: dict[str, float]
    blocking: dict[str, bool]
    options: dict[str, object]
    timeout: float
    origins: dict[str, str] = field(default_factory=dict, compare=False)
    """Options read from another gate's table (`Gate.table`): each one's table, as messages name
    it (`[tool.audit.load]`)."""
    unused: dict[str, str] = field(default_factory=dict, compare=False)
    """Keys of the gate's own table it does not read with this configuration, each with why."""

    # Options are validated against their OptionSpec's kind and hold its default when unset
    # (auditor.config), so these read them typed; None only where the OptionSpec's default is.

    def option_str(self, name: str) -> str | None:
        value = self.options.get(name)
        return value if isinstance(value, str) else None

    def option_int(self, name: str) -> int | None:
        value = self.options.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def option_number(self, name: str) -> float | None:
        value = self.options.get(name)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else None  # type: ignore[arg-type]

    def option_bool(self, name: str) -> bool | None:
        value = self.options.get(name)
        return value if isinstance(value, bool) else None

    def option_table(self, name: str) -> dict[str, object] | None:
        value = self.options.get(name)
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else None

    def option_list(self, name: str) -> list[str]:
        value = self.options.get(name)
        return [str(v) for v in value] if isinstance(value, list) else []


@dataclass
class GateContext:
    """Everything a gate may use while it measures."""

    root: Path
    """The target repository, absolute."""
    python: Path
    """The target's interpreter."""
    workdir: Path
    """A private directory of this gate for caches and tool output; never inside the target."""
    out_dir: Path
    """Where reports go; logs worth keeping (a service's output) are written here."""
    config: GateConfig
    deadline: float
    """time.monotonic() value by which the gate must be done."""
    exclude: Exclusion = field(default_factory=Exclusion)
    """`[tool.audit] exclude`: files no gate judges."""
    progress: Callable[[str], None] = field(default=lambda _msg: None)
    """Reports a short status line (a stage) to the live display."""
    history: HistoryRef | None = None
    """The history of earlier runs (store, target identity, main branch); None when it is off."""
    cache_dir: Path | None = None
    """A per-user directory of this target for tools' incremental caches (mypy's, ruff's),
    kept between audits and never inside the target; None when caching is off."""

    def tool_cache(self, tool: str) -> Path:
        """Where TOOL keeps its incremental cache: the per-target cache directory, else the
        gate's private work directory."""
        path = (self.cache_dir or self.workdir) / f"{tool}-cache"
        path.mkdir(parents=True, exist_ok=True)
        return path

    new_code: NewCode | None = None
    """The change under `--new-code`: changed lines by path; None judges the whole code."""
    yields_cpu: bool = False
    """The gate's tools run at a lower CPU priority (`Gate.yields_cpu`)."""

    def remaining(self) -> float:
        """Seconds left before the gate's timeout."""
        return self.deadline - time.monotonic()

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for tools: the auditor's own, without SCRUBBED_ENV_PREFIXES, plus
        `extra`."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(SCRUBBED_ENV_PREFIXES)
        }
        env.update(extra or {})
        return env

    def run(
        self,
        cmd: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> procs.ProcResult:
        """Run a tool within what is left of the gate's timeout."""
        try:
            return procs.run(
                cmd, cwd=cwd or self.root, timeout=self.remaining(), env=env or self.env(),
                niceness=procs.YIELDING_NICENESS if self.yields_cpu else 0,
            )
        except ProcessTimeoutError as exc:
            raise GateError(
                f"{exc}; the gate's timeout is {self.config.timeout:.0f} s "
                "(raise `timeout` in its [tool.audit.<gate>] table)"
            ) from None


@dataclass(frozen=True)
class InitKey:
    """A key `audit init` writes set, not commented, in a gate's table because this project
    needs it (a service's `start` for its framework), with the comment that says why."""

    name: str
    value: object
    comment: str


@dataclass(frozen=True)
class CliOption:
    """An option a gate adds to `audit run`, e.g. coverage's `--coverage-data PATTERN`. It may be
    given more than once; the gate's `prepare` receives every value, in order."""

    flag: str
    """`--coverage-data`: two dashes, lowercase words joined by dashes."""
    metavar: str
    help: str


@dataclass(frozen=True)
class Preparation:
    """What a gate's `prepare` may use, before any gate runs."""

    root: Path
    """The target repository, absolute."""
    cwd: Path
    """The directory `audit` was started in: command-line paths are relative to it."""
    python: Path
    """The target's interpreter."""
    cli: Mapping[str, tuple[str, ...]]
    """The values of the gate's `cli_options`, by flag (empty when not given)."""


class GateView(Protocol):
    """How the reports show one gate's details; reports find it through the gate (`Gate.view`)."""

    template: str
    """Its HTML partial, relative to the folder of the view's module (`view.html.j2`); it
    receives the built view as `v`."""
    findings_noun: str
    """What the gate's findings are called in the HTML (`findings`, `type errors`)."""

    def build(self, gate: GateResult) -> object | None:
        """The values the partial shows, read from the gate's typed details; None when the
        details are not of the gate's type (an errored gate's base details): the reports then
        show them generically."""
        ...

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        """Pointers for a failed condition (files, modules, endpoints), most important first."""
        ...


class Gate(Protocol):
    """A quality gate, found through the `auditor.gates` entry point group (auditor.registry).

    Subclass `BaseGate` for the defaults of everything a gate may leave out.
    """

    id: str
    """The gate's name on the command line and in `[tool.audit.<id>]`; equals its entry point's
    name."""
    title: str
    tool: str
    """The tool(s) it drives, for `audit gates`."""
    conditions: tuple[ConditionSpec, ...]
    options: tuple[OptionSpec, ...]

    @property
    def details_type(self) -> type[Details]:
        """The type of its details (`Measurement.details`): a `Details` subclass; scorecards are
        read back and the JSON Schema is made with it."""
        ...

    order: int
    """Where it is listed and reported among the gates, lowest first; gates that run alone also
    run in this order."""
    runs_alone: bool
    """True when other work would distort its figures (the load gate), or when it reads what the
    others did: it runs after the others, one at a time."""
    yields_cpu: bool
    """True when its tools are analyses nobody times (a linter, a type checker): they run at a
    lower CPU priority, so that a gate running beside them (the test suite, usually the longest)
    gets the CPU first and the audit ends sooner."""
    default_timeout: float
    view: GateView | None
    """Its section of the HTML report and its "where to look" hints; None: generic."""
    cli_options: tuple[CliOption, ...]
    """Options it adds to `audit run`; `prepare` receives their values."""
    build_conditions: tuple[str, ...]
    """Its count conditions that say whether the build succeeded when 0 (failing tests, critical
    errors: the tests passed, the code compiles), for the history's build success rate."""

    def skip_reason(self, config: GateConfig) -> str | None:
        """Why the gate is skipped with this configuration, or None when it runs."""
        ...

    def validate(self, config: GateConfig) -> None:
        """Raise ConfigError for option combinations that cannot work."""
        ...

    def table(
        self, own: Mapping[str, object], tables: Mapping[str, object]
    ) -> Mapping[str, object]:
        """Its config table as it reads it, from its own and every other `[tool.audit]` table: a
        gate that starts the service another gate's table defines takes that gate's keys."""
        ...

    def prepare(self, config: GateConfig, preparation: Preparation) -> GateConfig:
        """Its config completed before any gate runs (its command-line options applied, paths
        expanded); raise ConfigError for what cannot work."""
        ...

    def measure(self, ctx: GateContext) -> Measurement:
        """Run the tool and read its output. Raise GateError when it could not measure."""
        ...

    def init_keys(self, root: Path, python: Path) -> tuple[InitKey, ...]:
        """Keys `audit init` writes set in its table for the project at ROOT (whose interpreter
        is PYTHON), beyond the defaults; empty when the defaults fit."""
        ...

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        """The values of the conditions that count findings, from FINDINGS.

        The gate's `measure` uses it on every finding; the runner calls it again on the `new`
        findings once the baseline, waivers and new code have set each finding's state, and
        replaces those values. Figures from the tools (percentages) are not derived here.
        """
        ...


class BaseGate:
    """The defaults of what a gate may leave out; a gate class subclasses it and declares `id`,
    `title`, `tool`, `conditions` and `measure`."""

    options: tuple[OptionSpec, ...] = ()
    details_type: type[Details] = Details
    order: int = 100
    runs_alone: bool = False
    yields_cpu: bool = False
    default_timeout: float = 600.0
    view: GateView | None = None
    cli_options: tuple[CliOption, ...] = ()
    build_conditions: tuple[str, ...] = ()

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        return None

    def table(
        self, own: Mapping[str, object], tables: Mapping[str, object]
    ) -> Mapping[str, object]:
        return own

    def prepare(self, config: GateConfig, preparation: Preparation) -> GateConfig:
        return config

    def init_keys(self, root: Path, python: Path) -> tuple[InitKey, ...]:
        return ()

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        """Nothing counted from findings; a gate whose conditions count findings says how."""
        return {}
