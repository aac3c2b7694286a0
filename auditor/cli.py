"""The `audit` command line."""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import importlib
import inspect
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import msgspec
import typer
from rich.console import Console
from rich.text import Text

from auditor import (
    __version__,
    component_results,
    counting,
    gitinfo,
    init_section,
    interpreter,
    newcode,
    procs,
    runner,
    scorecard,
    scoring,
)
from auditor import baseline as baseline_mod
from auditor import components as components_mod
from auditor import config as config_mod
from auditor import schema as schema_mod
from auditor import summary as summary_mod
from auditor.cache import ResultCache, cache_root
from auditor.errors import ConfigError
from auditor.history import location as history_location
from auditor.history import setup as history_setup
from auditor.history.location import HistoryRef
from auditor.history.section import base_run
from auditor.model import Scorecard
from auditor.plugin import GateConfig, Preparation
from auditor.progress import (
    LiveProgress,
    passing_finding_lines,
    reason_lines,
    tool_lines,
    verdict_table,
    warning_lines,
    where_lines,
)
from auditor.registry import gates as registered_gates
from auditor.registry import registry
from auditor.safetext import visible
from auditor.sections import BaseRun
from reports import templating
from reports.summary import held_line
from reports.summary_writer import write_summary
from reports.writer import prepare_out_dir, write_reports

app = typer.Typer(
    name="audit",
    help="Quality gates for Python projects: tests and coverage, lint, types, security and load.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DEFAULT_OUT = "audit-report"
HISTORY_OPTION = typer.Option(
    "--history", metavar="FILE|URL",
    help="Where runs are recorded: a SQLite file or a postgresql:// URL (default: "
    "$AUDIT_HISTORY_URL, else `history` in [tool.audit], else a file per project in the "
    "user's data directory).",
)
NO_HISTORY_OPTION = typer.Option("--no-history", help="Record nothing and read no history.")
GatesOption = Annotated[
    str | None,
    typer.Option(
        "--gates",
        help="Comma-separated subset of the installed gates (`audit gates` lists them).",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="A TOML file with the same keys as [tool.audit]."),
]
PythonOption = Annotated[
    str | None,
    typer.Option(
        "--python",
        help="The target's interpreter or virtual environment "
        "(default: PATH/.venv, then the active virtual environment).",
    ),
]
JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs", min=1, help="How many gates may run at once (default: one per CPU core)."
    ),
]


def _err_console() -> Console:
    return Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def _say_error(message: str) -> None:
    sys.stderr.write(f"audit: error: {visible(message)}\n")


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"audit {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True,
            help="Print the auditor's version and exit.",
        ),
    ] = False,
) -> None:
    """Quality gates for Python projects: tests and coverage, lint, types, security and load."""


OutOption = Annotated[
    Path | None, typer.Option("--out", help=f"Where reports go (default: ./{DEFAULT_OUT}).")
]
FormatsOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Comma-separated subset of: " + ",".join(config_mod.FORMATS)
        + " (default: html,json). scorecard.json is always written.",
    ),
]
CompareOption = Annotated[
    Path | None,
    typer.Option(
        "--compare", metavar="SCORECARD",
        help="Deltas against this scorecard.json instead of the previous run on the base branch.",
    ),
]
NoCacheOption = Annotated[
    bool, typer.Option("--no-cache", help="Measure every gate again; reuse no result.")
]
NewCodeOption = Annotated[
    str | None,
    typer.Option(
        "--new-code", metavar="REF",
        help="Judge the change since the merge base of REF and HEAD (`auto`: CI's base "
        "branch); findings on lines it did not touch do not count.",
    ),
]


def _flag_parameter(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def _with_gate_options(command: Callable[..., int]) -> Callable[..., int]:
    """COMMAND, whose `**gate_options` become the options the installed gates add to it
    (`Gate.cli_options`), each repeatable, shown in its --help like its own."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    added = [
        inspect.Parameter(
            _flag_parameter(option.flag), inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[
                list[str] | None,
                typer.Option(option.flag, metavar=option.metavar, help=option.help),
            ],
        )
        for gate in registered_gates().values()
        for option in gate.cli_options
    ]
    command.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*own, *added]
    )
    return command


ComponentsOption = Annotated[
    str | None,
    typer.Option(
        "--components",
        metavar="LIST",
        help="In a monorepo's root: only these components (comma-separated names, or paths); "
        "the summary lists the others as not selected.",
    ),
]


@dataclass(frozen=True)
class RunOptions:
    """What `audit run` was asked, for each target it audits (one, or each component)."""

    gates: str | None
    python: str | None
    jobs: int | None
    history: str | None
    no_history: bool
    no_cache: bool
    new_code: str | None
    flags: Mapping[str, tuple[str, ...]]

    @classmethod
    def reading(cls, gates: str | None, history: str | None, no_history: bool,
                new_code: str | None) -> RunOptions:
        """The options of a command that reads components' results without running a gate
        (`audit components`, `audit summary`)."""
        return cls(gates=gates, python=None, jobs=None, history=history,
                   no_history=no_history, no_cache=False, new_code=new_code, flags={})


@app.command()
@_with_gate_options
def run(
    path: Annotated[Path, typer.Argument(help="The project to audit.")] = Path(),
    gates: GatesOption = None,
    config_file: ConfigOption = None,
    out: OutOption = None,
    formats: FormatsOption = None,
    python: PythonOption = None,
    jobs: JobsOption = None,
    history: Annotated[str | None, HISTORY_OPTION] = None,
    no_history: Annotated[bool, NO_HISTORY_OPTION] = False,
    compare: CompareOption = None,
    no_cache: NoCacheOption = False,
    new_code: NewCodeOption = None,
    components: ComponentsOption = None,
    **gate_options: list[str] | None,
) -> int:
    """Audit PATH against its quality gates; exit 0 passed, 1 failed, 2 usage error, 3 error."""
    root, cfg = _load(path, config_file)
    chosen_formats = (
        config_mod.parse_format_list(formats, "--format")
        if formats is not None
        else cfg.formats or config_mod.DEFAULT_FORMATS
    )
    out_dir = (out or Path(cfg.out or DEFAULT_OUT)).absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} is a file; give a directory for the reports")
    options = RunOptions(
        gates=gates,
        python=python,
        jobs=jobs,
        history=history,
        no_history=no_history,
        no_cache=no_cache,
        new_code=new_code or cfg.new_code,
        flags={
            option.flag: tuple(gate_options.get(_flag_parameter(option.flag)) or ())
            for gate in registered_gates().values()
            for option in gate.cli_options
        },
    )
    declared = _checked_declaration(root, cfg, components, compare)
    if declared is not None:
        return _run_components(
            root, config_file, cfg, declared, components, options, out_dir, chosen_formats
        )
    compare_base = (
        base_run(scorecard.read(compare), "compare", compare.name) if compare is not None else None
    )
    card = _audit_target(root, cfg, options, out_dir, compare_base=compare_base,
                         formats=chosen_formats)
    written = write_reports(card, chosen_formats, out_dir)
    _print_outcome(card, written)
    return scoring.exit_code(card.status)


def _checked_declaration(
    root: Path, cfg: config_mod.AuditConfig, components: str | None, compare: Path | None
) -> components_mod.Declaration | None:
    """The components ROOT declares, if any; --compare with them, or --components without
    them, is a usage error."""
    declared = components_mod.declaration(root, cfg)
    if declared is not None and compare is not None:
        raise ConfigError(
            "--compare takes the scorecard of one project; a monorepo's components each "
            "compare with their own history (leave out --compare, or audit one component)"
        )
    if declared is None and components is not None:
        raise ConfigError(
            f"--components: {root} lists no components (`components` in [tool.audit], or a uv "
            "workspace's members); leave out --components, or give the monorepo's root"
        )
    return declared


def _audit_target(
    root: Path,
    cfg: config_mod.AuditConfig,
    options: RunOptions,
    out_dir: Path,
    *,
    compare_base: BaseRun | None = None,
    repo: Path | None = None,
    shared_python: Path | None = None,
    live: bool = True,
    formats: Sequence[str] = (),
) -> Scorecard:
    """Audit one target (a project, or a component of the monorepo at REPO, whose interpreter
    SHARED_PYTHON comes after the component's own), with its history attached and recorded."""
    rules = _rules(
        root,
        cfg,
        options.new_code,
        baseline_mod.read(_baseline_file(root, cfg)),
        written=(out_dir, cache_root()),
    )
    ref = history_setup.history_ref(root, cfg, options.history, options.no_history)
    plan = _plan(
        root,
        cfg,
        options.gates,
        options.python,
        options.jobs,
        out_dir,
        rules,
        history=ref,
        cache=True,
        reads_cache=not options.no_cache,
        gate_options=options.flags,
        outer=shared_python,
    )
    prepare_out_dir(out_dir)  # with its .gitignore before any gate lists the target's files
    _in_background(*_warm_up(list(plan.gates), ref is not None or compare_base is not None,
                             formats))
    card = _audit(plan) if live else runner.run_audit(plan)
    if repo is not None:
        component = root.relative_to(repo).as_posix()
        card = msgspec.structs.replace(
            card, target=msgspec.structs.replace(card.target, component=component)
        )
    if ref is not None or compare_base is not None:
        # The database layer loads only when there is a history or a scorecard to compare with.
        from auditor.history import recorder  # noqa: PLC0415

        card = recorder.attach_and_record(
            card, ref, compare_base, history_setup.metric_settings(cfg)
        )
    return card


def _warm_up(
    gate_ids: list[str], history: bool, formats: Sequence[str]
) -> list[Callable[[], object]]:
    """What the end of an audit of GATE_IDS needs loaded: the database layer when it reads or
    records a HISTORY, the HTML report's templates when FORMATS has it."""
    work: list[Callable[[], object]] = []
    if history:
        work.append(functools.partial(importlib.import_module, "auditor.history.recorder"))
    if "html" in formats:
        work.append(functools.partial(templating.warm_up, gate_ids))
    return work


def _in_background(*work: Callable[[], object]) -> None:
    """Do WORK (loading what the end of the audit needs) in a thread while the gates run, off
    the audit's critical path; what fails here fails again, and is reported, where it is used."""

    def run() -> None:
        for step in work:
            with contextlib.suppress(Exception):
                step()

    threading.Thread(target=run, name="warm-up", daemon=True).start()


def _print_outcome(card: Scorecard, written: list[Path]) -> None:
    """The verdict table, tools, warnings and reasons, and the line CI logs end with."""
    console = _out_console()
    console.print(verdict_table(card))
    for line in [*tool_lines(card), *warning_lines(card), *passing_finding_lines(card),
                 *where_lines(card), *reason_lines(card)]:
        console.print(line)
    history = card.history
    for warning in history.warnings if history is not None else ():
        console.print(visible(f"warning: history: {warning}"), style="yellow")
    if history is not None and history.recorded:
        console.print(visible(f"history: recorded in {history.store}"))
    held = held_line(card)
    if held:
        console.print(visible(held), soft_wrap=True)
    if card.reason:
        console.print(visible(card.reason))
    console.print(
        f"{card.status.upper()}: score {card.score:g}, grade {card.grade} "
        f"in {card.duration_s:.1f}s; reports: {', '.join(str(p) for p in written)}"
    )


def _out_console() -> Console:
    console = Console(highlight=False, markup=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # CI logs are wider than rich's default of 80 columns for output that is not a terminal.
        console.width = 120
    return console


def _load(path: Path, config_file: Path | None) -> tuple[Path, config_mod.AuditConfig]:
    if not path.exists():
        raise ConfigError(f"{path} does not exist; give the directory of the project to audit")
    if not path.is_dir():
        raise ConfigError(f"{path} is not a directory; give the directory of the project to audit")
    root = path.resolve()
    return root, config_mod.load(root, config_file)


def _baseline_file(root: Path, cfg: config_mod.AuditConfig) -> Path:
    return root / cfg.baseline


def _rules(
    root: Path,
    cfg: config_mod.AuditConfig,
    ref: str | None,
    baseline: baseline_mod.Baseline | None,
    written: Sequence[Path] = (),
) -> counting.Rules:
    """The baseline, waivers and new-code change of this audit (leaving out the WRITTEN
    directories, the auditor's own); git errors are exit 2."""
    change = newcode.changed_lines(root, newcode.resolve_ref(ref), written) if ref else None
    return counting.Rules(
        baseline=baseline,
        baseline_file=_baseline_file(root, cfg),
        waivers=cfg.waivers,
        new_code=change,
        tolerance=cfg.ratchet_tolerance,
        stale="fail" if cfg.stale_baseline == "fail" else "warn",
    )


def _prepared(
    selected: tuple[str, ...], cfg: config_mod.AuditConfig, root: Path, python: Path,
    values: Mapping[str, tuple[str, ...]],
) -> dict[str, GateConfig]:
    """Every gate's config, the selected ones completed by the gate (`Gate.prepare`) with the
    VALUES of its command-line options, by flag."""
    configs = dict(cfg.gates)
    for gate_id in selected:
        gate = registered_gates()[gate_id]
        flags = {o.flag: values.get(o.flag, ()) for o in gate.cli_options}
        preparation = Preparation(root=root, cwd=Path.cwd(), python=python, cli=flags)
        configs[gate_id] = gate.prepare(cfg.gates[gate_id], preparation)
    return configs


def _plan(
    root: Path,
    cfg: config_mod.AuditConfig,
    gates: str | None,
    python: str | None,
    jobs: int | None,
    out_dir: Path,
    rules: counting.Rules,
    *,
    history: HistoryRef | None = None,
    cache: bool = False,
    reads_cache: bool = True,
    gate_options: Mapping[str, tuple[str, ...]] | None = None,
    outer: Path | None = None,
) -> runner.Plan:
    # An empty --gates is a mistake, never "the default".
    selected = config_mod.parse_gate_list(gates, "--gates") if gates is not None else cfg.selected
    for warning in registry().warnings(selected):
        _err_console().print(visible(f"audit: warning: {warning}"), style="yellow")
    target_python, python_source = interpreter.resolve(root, python, cfg.python, outer)
    return runner.Plan(
        root=root,
        python=target_python,
        python_source=python_source,
        out_dir=out_dir,
        gates=_prepared(selected, cfg, root, target_python, gate_options or {}),
        selected=selected,
        enabled=cfg.enabled,
        jobs=jobs or cfg.jobs or min(len(selected), os.cpu_count() or 1),
        exclude=cfg.exclude,
        history=history,
        cache=ResultCache(root, target_python, excluded=(out_dir,), reads=reads_cache)
        if cache else None,
        counting=rules,
        requested=selected if gates is not None else (),
    )


def _audit(plan: runner.Plan) -> Scorecard:
    err = _err_console()
    err.print(visible(f"Auditing {plan.root} with {plan.python} ({plan.python_source})"))
    with LiveProgress(err, list(plan.selected)) as progress:
        return runner.run_audit(plan, progress)


def _ratcheting() -> set[str]:
    """`gate.condition` of the figures a baseline holds: `>=` conditions that ratchet."""
    return {
        f"{gate.id}.{spec.id}"
        for gate in registered_gates().values()
        for spec in gate.conditions
        if spec.op == ">=" and spec.ratchets
    }


@app.command("baseline")
def write_baseline(
    path: Annotated[Path, typer.Argument(help="The project to baseline.")] = Path(),
    gates: GatesOption = None,
    config_file: ConfigOption = None,
    python: PythonOption = None,
    jobs: JobsOption = None,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Only remove fixed entries and raise improved figures; never add an entry.",
        ),
    ] = False,
) -> int:
    """Audit PATH, then write its findings and figures to audit-baseline.json at its root
    (entries of gates that did not run are kept)."""
    root, cfg = _load(path, config_file)
    target = _baseline_file(root, cfg)
    old = baseline_mod.read(target)
    if prune and old is None:
        raise ConfigError(
            f"--prune: there is no baseline at {target} yet; write one with `audit baseline`"
        )
    rules = _rules(root, cfg, None, old if prune else None)
    work_out = Path(DEFAULT_OUT).absolute()
    card = _audit(_plan(root, cfg, gates, python, jobs, work_out, rules))
    console = _out_console()
    console.print(verdict_table(card))
    failed = [g.id for g in card.gates if g.status == "error"]
    if failed:
        _say_error(
            f"{', '.join(failed)} could not measure, so {target} was not written; "
            "fix that first (see above) or leave the gate out with --gates"
        )
        return scoring.EXIT_ERROR
    if old is not None and prune:
        new = baseline_mod.prune(old, card.gates, _ratcheting())
        removed = len(old.entries) - len(new.entries)
        raised = sorted(k for k, v in new.figures.items() if v > old.figures.get(k, v))
        what = f"removed {removed} fixed entr{'y' if removed == 1 else 'ies'}" + (
            f", raised {', '.join(f'{k} to {new.figures[k]:g}' for k in raised)}" if raised else ""
        )
    else:
        new = baseline_mod.capture(card.gates, _ratcheting(), old)
        by_gate = {g.id: sum(e.gate == g.id for e in new.entries) for g in card.gates}
        what = f"{len(new.entries)} findings (" + ", ".join(
            f"{gid} {n}" for gid, n in by_gate.items()
        ) + ")" + "".join(f", {k} {v:g}" for k, v in sorted(new.figures.items()))
    scorecard.write_atomic(target, baseline_mod.render(new))
    console.print(visible(f"Wrote {target}: {what}"), soft_wrap=True)
    return scoring.EXIT_PASSED


@app.command(
    "history",
    context_settings={"allow_interspersed_args": True},
)
def history_command(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            help="PATH (default: the current directory), or `import SCORECARD...` to record "
            "saved scorecards.", metavar="[PATH] | import SCORECARD...",
        ),
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Only runs of this branch.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="How many runs, newest first (default 20).")
    ] = 20,
    output: Annotated[
        str, typer.Option("--format", help="table, json or csv (default table).")
    ] = "table",
    history: Annotated[str | None, HISTORY_OPTION] = None,
) -> int:
    """The recorded runs of PATH; `audit history import SCORECARD...` records saved scorecards."""
    from auditor.history import commands as history_commands  # noqa: PLC0415

    words = list(args or [])
    if words and words[0] == "import":
        return history_commands.import_scorecards(
            [Path(w) for w in words[1:]], history, _err_console()
        )
    if len(words) > 1:
        raise ConfigError(
            f"`audit history` takes one PATH, not {len(words)}; to record saved scorecards "
            "use `audit history import SCORECARD...`"
        )
    if output not in history_commands.FORMATS:
        raise ConfigError(
            f"--format {output} is not one of {', '.join(history_commands.FORMATS)}"
        )
    path = Path(words[0]) if words else Path()
    sys.stdout.write(history_commands.listing(path, history, branch, limit, output))
    return 0


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="The project to configure.")] = Path(),
    stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the section instead of writing it.")
    ] = False,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="The project's interpreter or virtual environment, "
            "asked which servers it has (default: PATH/.venv, then the active one).",
        ),
    ] = None,
) -> int:
    """Write a [tool.audit] section into PATH/pyproject.toml: every default as a comment, and
    what the project needs beyond them (a Django project's service definition)."""
    if not path.is_dir():
        raise ConfigError(f"{path} is not a directory; give the project's directory")
    target_python, _ = interpreter.resolve(path, python, None)
    keys = init_section.suggested(path, target_python)
    if stdout:
        sys.stdout.write(init_section.render(keys))
        return 0
    pyproject = path / "pyproject.toml"
    existing = pyproject.read_bytes() if pyproject.exists() else b""
    scorecard.write_atomic(pyproject, init_section.add_to(existing, str(pyproject), keys))
    _err_console().print(f"Wrote [tool.audit] to {pyproject}")
    return 0


@app.command("gates")
def list_gates() -> int:
    """List gates, their conditions, operators and default thresholds."""
    # Help texts hold brackets ([paths], ["-m", "not slow"]): printed as text, never as markup.
    console = Console(highlight=False, soft_wrap=True, markup=False)
    for broken in registry().broken.values():
        console.print(visible(f"warning: {broken.message()}"), style="yellow")
    for gate in registered_gates().values():
        alone = " (runs alone, after the others)" if gate.runs_alone else ""
        console.print(Text.assemble((gate.id, "bold"), f"  {gate.title}, runs {gate.tool}{alone}"))
        for spec in gate.conditions:
            unit = spec.unit if spec.unit == "%" else f" {spec.unit}".rstrip()
            flag = "" if spec.blocking else "  (non-blocking by default)"
            console.print(
                f"  {spec.id:<24} {spec.op:>2} {spec.default:g}{unit:<4} {spec.help}{flag}"
            )
        options = [(o.name, o.help) for o in gate.options]
        timeout = f"seconds for the whole gate (default {gate.default_timeout:g})"
        options.append(("timeout", timeout))
        for name, help_text in options:
            console.print(Text.assemble("  ", ("option", "dim"), f" {name}: {help_text}"))
    console.print(f"\nPrecision: {scoring.PRECISION_TEXT}.")
    return 0


@app.command("schema")
def print_schema(
    summary: Annotated[
        bool, typer.Option("--summary", help="The schema of a monorepo's summary.json instead.")
    ] = False,
) -> int:
    """Print the JSON Schema of scorecard.json, with the details of every installed gate."""
    if summary:
        sys.stdout.write(schema_mod.text(summary_mod.generated_schema()))
        return 0
    types = {gate_id: gate.details_type for gate_id, gate in registered_gates().items()}
    sys.stdout.write(schema_mod.text(schema_mod.scorecard_schema(types)))
    return 0


@app.command()
def report(
    scorecard_path: Annotated[
        Path, typer.Argument(help="A saved scorecard.json.", metavar="SCORECARD")
    ],
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated subset of: "
                          + ",".join(config_mod.FORMATS) + ".")
    ] = "html",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where reports go (default: the scorecard's directory)."),
    ] = None,
) -> int:
    """Re-render reports from a saved scorecard.json without re-running the audit."""
    card = scorecard.read(scorecard_path)
    chosen = config_mod.parse_format_list(formats, "--format")
    out_dir = (out or scorecard_path.parent).absolute()
    written = write_reports(card, chosen, out_dir)
    _err_console().print("Wrote " + ", ".join(str(p) for p in written))
    return 0


@dataclass(frozen=True)
class Change:
    """What `--new-code` changed in a monorepo: the paths (relative to its root), and why a
    component it did not touch may reuse its last result."""

    paths: frozenset[str]
    why: str


@dataclass(frozen=True)
class Monorepo:
    """A monorepo's root, its components, the selected ones and the root's settings."""

    root: Path
    found: list[components_mod.Component]
    chosen: list[components_mod.Component]
    section: dict[str, object]
    shared_python: Path
    """The repository's interpreter or environment: `python` of the root's config, else .venv."""


def _monorepo(
    root: Path,
    cfg: config_mod.AuditConfig,
    config_file: Path | None,
    declared: components_mod.Declaration,
    names: str | None,
) -> Monorepo:
    found = components_mod.discover(root, declared)
    chosen = components_mod.select(found, names) if names is not None else found
    if config_file is not None:
        data = config_mod.load_toml(config_file)
        tool = data.get("tool")
        section = tool["audit"] if isinstance(tool, dict) and "audit" in tool else data
    else:
        section = config_mod.section(root)[0]
    shared = root / (cfg.python or ".venv")
    return Monorepo(root, found, chosen, dict(section), shared)


def _declared(root: Path, cfg: config_mod.AuditConfig) -> components_mod.Declaration:
    declared = components_mod.declaration(root, cfg)
    if declared is None:
        raise ConfigError(
            f"{root} lists no components: set `components` (globs) in its [tool.audit], or "
            "make it a uv workspace ([tool.uv.workspace] members)"
        )
    return declared


def _component_config(
    repo: Monorepo, component: components_mod.Component
) -> config_mod.AuditConfig:
    """The component's configuration: its own [tool.audit] over the root's."""
    own, _ = config_mod.section(component.root)
    merged = components_mod.settings(repo.root, repo.section, own)
    return config_mod.from_mapping(merged, str(component.root / "pyproject.toml"), "tool.audit")


def _change(root: Path, ref: str | None, written: Sequence[Path]) -> Change | None:
    if ref is None:
        return None
    resolved = newcode.resolve_ref(ref)
    base, paths = newcode.changed_paths(root, resolved, written)
    return Change(paths, f"unchanged since the merge base of {resolved} ({base[:10]})")


def _reusable(
    repo: Monorepo,
    component: components_mod.Component,
    cfg: config_mod.AuditConfig,
    options: RunOptions,
    change: Change | None,
) -> component_results.Reused | None:
    """The component's last result, when the change did not touch it and that result holds."""
    if change is None or components_mod.touched(component, repo.found, change.paths):
        return None
    gates = (
        config_mod.parse_gate_list(options.gates, "--gates")
        if options.gates is not None
        else cfg.selected
    )
    ref = history_setup.history_ref(component.root, cfg, options.history, options.no_history)
    identity = ref.target if ref is not None else history_location.identity(component.root)
    paths = [
        *components_mod.depends_closure(component, repo.found),
        *(f for f in components_mod.SHARED_FILES if (repo.root / f).exists()),
    ]
    return component_results.last_result(identity, ref, repo.root, paths, gates)


def _reused_outcome(
    reused: component_results.Reused,
    why: str,
    out_dir: Path,
    formats: Sequence[str],
) -> summary_mod.Outcome:
    card = reused.card
    write_reports(card, formats, out_dir)
    git = card.target.git
    return summary_mod.Outcome(
        card,
        *_links(out_dir, out_dir.parent),
        reused=summary_mod.ReusedResult(
            source=reused.source,
            started_at=card.started_at,
            commit=git.commit if git is not None else None,
            why=why,
        ),
    )


def _links(folder: Path, summary_dir: Path) -> tuple[str, str | None]:
    """A component's scorecard.json and scorecard.html, relative to the summary's folder."""
    html = folder / "scorecard.html"
    return (
        Path(os.path.relpath(folder / "scorecard.json", summary_dir)).as_posix(),
        Path(os.path.relpath(html, summary_dir)).as_posix() if html.is_file() else None,
    )


def _audit_component(
    repo: Monorepo,
    component: components_mod.Component,
    cfg: config_mod.AuditConfig,
    options: RunOptions,
    out_dir: Path,
    formats: Sequence[str],
) -> summary_mod.Outcome:
    folder = out_dir / component.name.replace("/", "-")
    card = _audit_target(
        component.root,
        cfg,
        options,
        folder,
        repo=repo.root,
        shared_python=repo.shared_python,
        live=False,
    )
    write_reports(card, formats, folder)
    identity = (
        card.history.target
        if card.history is not None and card.history.target
        else (history_location.identity(component.root))
    )
    component_results.remember(card, identity)
    _err_console().print(
        visible(
            f"{component.name}: {card.status.upper()}, score {card.score:g} "
            f"in {card.duration_s:.1f}s"
        )
    )
    return summary_mod.Outcome(card, *_links(folder, out_dir))


def _audit_all(
    repo: Monorepo,
    todo: list[tuple[components_mod.Component, config_mod.AuditConfig]],
    options: RunOptions,
    out_dir: Path,
    formats: Sequence[str],
    total_jobs: int,
) -> dict[str, summary_mod.Outcome]:
    """Audit TODO beside each other, within TOTAL_JOBS gates at once in all."""
    if not todo:
        return {}
    workers = max(1, min(total_jobs, len(todo)))
    each = replace(options, jobs=max(1, total_jobs // workers))
    _err_console().print(
        visible(
            f"Auditing {len(todo)} components of {repo.root} ({workers} at once): "
            + ", ".join(c.name for c, _ in todo)
        )
    )
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="component")
    try:
        futures = {
            c.path: executor.submit(_audit_component, repo, c, cfg, each, out_dir, formats)
            for c, cfg in todo
        }
        return {path: future.result() for path, future in futures.items()}
    except BaseException:
        procs.shutdown()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        executor.shutdown(wait=True)


def _run_components(
    root: Path,
    config_file: Path | None,
    cfg: config_mod.AuditConfig,
    declared: components_mod.Declaration,
    names: str | None,
    options: RunOptions,
    out_dir: Path,
    formats: Sequence[str],
) -> int:
    """`audit run` of a monorepo's root: each selected component audited as a project of its
    own (reports in OUT/NAME), then the summary in OUT."""
    started, clock = datetime.now(UTC), time.monotonic()
    repo = _monorepo(root, cfg, config_file, declared, names)
    configs = [(c, _component_config(repo, c)) for c in repo.chosen]
    change = _change(root, options.new_code, (out_dir, cache_root()))
    outcomes: dict[str, summary_mod.Outcome] = {}
    todo: list[tuple[components_mod.Component, config_mod.AuditConfig]] = []
    for component, component_cfg in configs:
        reused = _reusable(repo, component, component_cfg, options, change)
        if reused is not None and change is not None:
            folder = out_dir / component.name.replace("/", "-")
            outcomes[component.path] = _reused_outcome(reused, change.why, folder, formats)
            _err_console().print(
                visible(
                    f"{component.name}: {change.why}; its result of "
                    f"{reused.card.started_at} is reused from {reused.source}"
                )
            )
        else:
            todo.append((component, component_cfg))
    total_jobs = options.jobs or cfg.jobs or os.cpu_count() or 1
    outcomes.update(_audit_all(repo, todo, options, out_dir, formats, total_jobs))
    return _finish_summary(repo, outcomes, out_dir, formats, started, clock)


def _finish_summary(
    repo: Monorepo,
    outcomes: Mapping[str, summary_mod.Outcome],
    out_dir: Path,
    formats: Sequence[str],
    started: datetime,
    clock: float,
) -> int:
    made = summary_mod.build(
        repo.root,
        repo.found,
        repo.chosen,
        outcomes,
        started,
        time.monotonic() - clock,
        gitinfo.describe(repo.root),
    )
    cards = {path: outcome.card for path, outcome in outcomes.items()}
    written = write_summary(made, cards, formats, out_dir)
    console = _out_console()
    for row in made.components:
        detail = row.reason or ""
        failing = [
            g.id + (f" ({', '.join(g.failing)})" if g.failing else "")
            for g in row.gates
            if g.status in ("failed", "error")
        ]
        if failing:
            detail = "failed: " + ", ".join(failing)
        if row.reused is not None:
            detail = f"{detail}; reused: {row.reused.why}".lstrip("; ")
        score = f" {row.score:g}" if row.score is not None else ""
        console.print(visible(f"  {row.name:<20} {row.status.upper():<12}{score}  {detail}"))
    if made.reason:
        console.print(visible(made.reason))
    console.print(
        f"{made.status.upper()}: {len(made.components)} components; "
        f"summary: {', '.join(str(p) for p in written)}"
    )
    return summary_mod.exit_code(made)


ListFormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="text, json (a GitHub Actions matrix for fromJSON) or "
        "gitlab (a child pipeline to trigger); default text.",
    ),
]
ChangedOption = Annotated[
    str | None,
    typer.Option(
        "--new-code",
        metavar="REF",
        help="Only the components the change since the merge base of REF and HEAD touched "
        "(or without a last result to reuse).",
    ),
]
GitlabIncludeOption = Annotated[
    str,
    typer.Option(
        "--gitlab-include",
        metavar="FILE",
        help="With --format gitlab: the project's file that defines the hidden `.audit` job "
        "(image, install).",
    ),
]
JobReportsOption = Annotated[
    str,
    typer.Option(
        "--reports", metavar="DIR", help="With --format gitlab: the folder the jobs write to."
    ),
]


@app.command("components")
def list_components(
    path: Annotated[Path, typer.Argument(help="The monorepo's root.")] = Path(),
    output: ListFormatOption = "text",
    new_code: ChangedOption = None,
    components: ComponentsOption = None,
    gates: GatesOption = None,
    config_file: ConfigOption = None,
    history: Annotated[str | None, HISTORY_OPTION] = None,
    no_history: Annotated[bool, NO_HISTORY_OPTION] = False,
    gitlab_include: GitlabIncludeOption = ".gitlab/audit.yml",
    reports: JobReportsOption = "reports",
) -> int:
    """The components of the monorepo at PATH, to spread its audit over CI jobs."""
    if output not in ("text", "json", "gitlab"):
        raise ConfigError(f"--format {output} is not one of text, json, gitlab")
    root, cfg = _load(path, config_file)
    repo = _monorepo(root, cfg, config_file, _declared(root, cfg), components)
    options = RunOptions.reading(gates, history, no_history, new_code)
    change = _change(root, new_code, (cache_root(),))
    listed = [
        c
        for c in repo.chosen
        if _reusable(repo, c, _component_config(repo, c), options, change) is None
    ]
    if output == "json":
        sys.stdout.write(components_mod.matrix(listed))
    elif output == "gitlab":
        sys.stdout.write(
            components_mod.gitlab_pipeline(
                listed, include=gitlab_include, new_code=new_code, out=reports
            )
        )
    else:
        for c in listed:
            needs = f"  (depends on {', '.join(c.depends_on)})" if c.depends_on else ""
            sys.stdout.write(f"{c.name}\t{c.path}{needs}\n")
    return 0


def _gathered(
    repo: Monorepo,
    patterns: Sequence[str],
    out_dir: Path,
) -> dict[str, summary_mod.Outcome]:
    """The components' scorecards the PATTERNS match, by component path; a scorecard of no
    component of REPO, or two of one component, is a ConfigError."""
    # A user's pattern may climb (`../jobs/*/scorecard.json`), which Path.glob refuses.
    matched = (glob.glob(p, recursive=True) for p in patterns)  # noqa: PTH207
    files = sorted({Path(m).absolute() for found in matched for m in found})
    known = {c.path: c for c in repo.found}
    seen: dict[str, Path] = {}
    outcomes: dict[str, summary_mod.Outcome] = {}
    for file in files:
        card = scorecard.read(file)
        component = card.target.component
        if component is None or component not in known:
            what = f"component {component}" if component else card.target.name
            raise ConfigError(
                f"{file} is the scorecard of {what}, which is no component of {repo.root}; "
                "give the scorecards `audit run ROOT --components NAME` wrote"
            )
        if component in seen:
            raise ConfigError(
                f"{seen[component]} and {file} are both scorecards of {known[component].name}; "
                "give one scorecard per component"
            )
        seen[component] = file
        outcomes[component] = summary_mod.Outcome(card, *_links(file.parent, out_dir))
    return outcomes


@app.command("summary")
def summarize(
    patterns: Annotated[
        list[str],
        typer.Argument(
            help="Globs of the components' scorecard.json files "
            "(quoted, e.g. 'reports/*/scorecard.json').",
            metavar="PATTERN...",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where the summary goes.")] = Path(DEFAULT_OUT),
    root_path: Annotated[
        Path, typer.Option("--root", help="The monorepo's root (default: the current directory).")
    ] = Path(),
    formats: FormatsOption = None,
    components: ComponentsOption = None,
    gates: GatesOption = None,
    new_code: NewCodeOption = None,
    config_file: ConfigOption = None,
    history: Annotated[str | None, HISTORY_OPTION] = None,
    no_history: Annotated[bool, NO_HISTORY_OPTION] = False,
) -> int:
    """Merge the components' scorecards (from parallel CI jobs) into one summary and exit code;
    a selected component without a scorecard is an error."""
    started, clock = datetime.now(UTC), time.monotonic()
    root, cfg = _load(root_path, config_file)
    repo = _monorepo(root, cfg, config_file, _declared(root, cfg), components)
    chosen_formats = (
        config_mod.parse_format_list(formats, "--format")
        if formats is not None
        else cfg.formats or config_mod.DEFAULT_FORMATS
    )
    out_dir = out.absolute()
    outcomes = _gathered(repo, patterns, out_dir)
    options = RunOptions.reading(gates, history, no_history, new_code)
    change = _change(root, new_code or cfg.new_code, (out_dir, cache_root()))
    for component in repo.chosen:
        if component.path in outcomes:
            continue
        reused = _reusable(repo, component, _component_config(repo, component), options, change)
        if reused is not None and change is not None:
            folder = out_dir / component.name.replace("/", "-")
            outcomes[component.path] = _reused_outcome(reused, change.why, folder, chosen_formats)
        else:
            _say_error(
                f"no scorecard of component {component.name} ({component.path}) among "
                f"{' '.join(patterns)}: the summary counts it as missing"
            )
    return _finish_summary(repo, outcomes, out_dir, chosen_formats, started, clock)


def _report_interrupt() -> None:
    sys.stderr.write("audit: interrupted; every process it started was stopped\n")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def entry() -> NoReturn:
    """The `audit` command (and `python -m auditor`): `main`, then `exit_now`."""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """Exit with CODE without the interpreter's teardown of every module it loaded (a tenth of a
    second of CPU after all the work is done). What was registered to run at exit still runs
    first (pending finalizers), then the output is flushed; everything the audit writes is
    closed by then, and every child process it started has been waited for. A traced process
    (coverage.py measuring it, a debugger) exits the usual way, so its tracer finishes too."""
    if sys.gettrace() is not None:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream
            stream.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    command = typer.main.get_command(app)
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        result = command.main(
            args=sys.argv[1:] if argv is None else argv,
            prog_name="audit",
            standalone_mode=False,
        )
    except ConfigError as exc:
        _say_error(str(exc))
        return scoring.EXIT_USAGE
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", getattr(exc, "code", 0)))
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _say_error(str(exc))
        return int(getattr(exc, "exit_code", scoring.EXIT_USAGE))
    except (KeyboardInterrupt, typer.Abort):
        _report_interrupt()
        return scoring.EXIT_INTERRUPTED
    except Exception:
        log = Path(os.environ.get("TMPDIR", "/tmp")) / "audit-crash.log"  # noqa: S108
        log.write_text(traceback.format_exc(), encoding="utf-8")
        _err_console().print(f"audit: internal error; the traceback is in {log}")
        return scoring.EXIT_ERROR
    finally:
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    code = int(result) if isinstance(result, int) else 0
    if code == scoring.EXIT_INTERRUPTED:
        # typer turns Ctrl-C inside a command into this exit code.
        _report_interrupt()
    return code
