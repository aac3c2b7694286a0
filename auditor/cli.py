"""The `audit` command line."""

from __future__ import annotations

import inspect
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from auditor import (
    __version__,
    counting,
    init_section,
    interpreter,
    newcode,
    runner,
    scorecard,
    scoring,
)
from auditor import baseline as baseline_mod
from auditor import config as config_mod
from auditor import schema as schema_mod
from auditor.cache import ResultCache, cache_root
from auditor.errors import ConfigError
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
from reports.summary import held_line
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
    rules = _rules(
        root, cfg, new_code or cfg.new_code, baseline_mod.read(_baseline_file(root, cfg)),
        written=(out_dir, cache_root()),
    )
    compare_base = (
        base_run(scorecard.read(compare), "compare", compare.name)
        if compare is not None else None
    )
    ref = history_setup.history_ref(root, cfg, history, no_history)
    flags = {
        option.flag: tuple(gate_options.get(_flag_parameter(option.flag)) or ())
        for gate in registered_gates().values() for option in gate.cli_options
    }
    plan = _plan(root, cfg, gates, python, jobs, out_dir, rules, history=ref, cache=True,
                 reads_cache=not no_cache, gate_options=flags)
    prepare_out_dir(out_dir)  # with its .gitignore before any gate lists the target's files
    card = _audit(plan)
    if ref is not None or compare_base is not None:
        # The database layer loads only when there is a history or a scorecard to compare with.
        from auditor.history import recorder  # noqa: PLC0415

        card = recorder.attach_and_record(
            card, ref, compare_base, history_setup.metric_settings(cfg)
        )
    written = write_reports(card, chosen_formats, out_dir)
    _print_outcome(card, written)
    return scoring.exit_code(card.status)


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
) -> runner.Plan:
    # An empty --gates is a mistake, never "the default".
    selected = config_mod.parse_gate_list(gates, "--gates") if gates is not None else cfg.selected
    for warning in registry().warnings(selected):
        _err_console().print(visible(f"audit: warning: {warning}"), style="yellow")
    target_python, python_source = interpreter.resolve(root, python, cfg.python)
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
) -> int:
    """Write a commented [tool.audit] section with every default into PATH/pyproject.toml."""
    if stdout:
        sys.stdout.write(init_section.render())
        return 0
    if not path.is_dir():
        raise ConfigError(f"{path} is not a directory; give the project's directory")
    pyproject = path / "pyproject.toml"
    existing = pyproject.read_bytes() if pyproject.exists() else b""
    scorecard.write_atomic(pyproject, init_section.add_to(existing, str(pyproject)))
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
def print_schema() -> int:
    """Print the JSON Schema of scorecard.json, with the details of every installed gate."""
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


def _report_interrupt() -> None:
    sys.stderr.write("audit: interrupted; every process it started was stopped\n")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


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
