"""The `audit` command line."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from auditor import config as config_mod
from auditor import init_section, interpreter, runner, scorecard, scoring
from auditor.errors import ConfigError
from auditor.progress import LiveProgress, reason_lines, verdict_table, warning_lines
from auditor.safetext import visible
from gates.registry import GATES
from reports.writer import write_reports

app = typer.Typer(
    name="audit",
    help="Quality gates for Python projects: tests and coverage, lint, types, security and load.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DEFAULT_OUT = "audit-report"


def _err_console() -> Console:
    return Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def _say_error(message: str) -> None:
    sys.stderr.write(f"audit: error: {visible(message)}\n")


@app.command()
def run(
    path: Annotated[Path, typer.Argument(help="The project to audit.")] = Path(),
    gates: Annotated[
        str | None,
        typer.Option("--gates", help="Comma-separated subset of: " + ",".join(GATES) + "."),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="A TOML file with the same keys as [tool.audit]."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help=f"Where reports go (default: ./{DEFAULT_OUT}).")
    ] = None,
    formats: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Comma-separated subset of: " + ",".join(config_mod.FORMATS)
            + " (default: html,json). scorecard.json is always written.",
        ),
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="The target's interpreter or virtual environment "
            "(default: PATH/.venv, then the active virtual environment).",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", min=1, help="How many gates may run at once (default: all)."),
    ] = None,
) -> int:
    """Audit PATH against its quality gates; exit 0 passed, 1 failed, 2 usage error, 3 error."""
    if not path.exists():
        raise ConfigError(f"{path} does not exist; give the directory of the project to audit")
    if not path.is_dir():
        raise ConfigError(f"{path} is not a directory; give the directory of the project to audit")
    root = path.resolve()
    cfg = config_mod.load(root, config_file)
    selected = config_mod.parse_gate_list(gates, "--gates") if gates else cfg.selected
    chosen_formats = (
        config_mod.parse_format_list(formats, "--format")
        if formats
        else cfg.formats or config_mod.DEFAULT_FORMATS
    )
    out_dir = (out or Path(cfg.out or DEFAULT_OUT)).absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} is a file; give a directory for the reports")
    target_python, python_source = interpreter.resolve(root, python, cfg.python)
    plan = runner.Plan(
        root=root,
        python=target_python,
        python_source=python_source,
        out_dir=out_dir,
        gates=cfg.gates,
        selected=selected,
        enabled=cfg.enabled,
        jobs=jobs or cfg.jobs or len(selected),
    )
    err = _err_console()
    err.print(visible(f"Auditing {root} with {target_python} ({python_source})"))
    with LiveProgress(err, list(selected)) as progress:
        card = runner.run_audit(plan, progress)
    written = write_reports(card, chosen_formats, out_dir)
    console = Console(highlight=False, markup=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # CI logs are wider than rich's default of 80 columns for output that is not a terminal.
        console.width = 120
    console.print(verdict_table(card))
    for line in [*warning_lines(card), *reason_lines(card)]:
        console.print(line)
    if card.reason:
        console.print(visible(card.reason))
    console.print(
        f"{card.status.upper()}: score {card.score:g}, grade {card.grade} "
        f"in {card.duration_s:.1f}s; reports: {', '.join(str(p) for p in written)}"
    )
    return scoring.exit_code(card.status)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="The project to configure.")] = Path(),
    stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the section instead of writing it.")
    ] = False,
) -> int:
    """Write a commented [tool.audit] section with every default into PATH/pyproject.toml."""
    section = init_section.render()
    if stdout:
        sys.stdout.write(section)
        return 0
    if not path.is_dir():
        raise ConfigError(f"{path} is not a directory; give the project's directory")
    pyproject = path / "pyproject.toml"
    existing = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    if "[tool.audit" in existing:
        raise ConfigError(
            f"{pyproject} already has a [tool.audit] section; edit it, or use --stdout to see "
            "the defaults"
        )
    separator = "\n" if existing and not existing.endswith("\n\n") else ""
    if existing and not existing.endswith("\n"):
        separator = "\n\n"
    scorecard.write_atomic(pyproject, existing + separator + section)
    _err_console().print(f"Wrote [tool.audit] to {pyproject}")
    return 0


@app.command("gates")
def list_gates() -> int:
    """List gates, their conditions, operators and default thresholds."""
    console = Console(highlight=False, soft_wrap=True)
    for gate in GATES.values():
        alone = " (runs alone, after the others)" if gate.runs_alone else ""
        console.print(f"[bold]{gate.id}[/bold]  {gate.title}, runs {gate.tool}{alone}")
        for spec in gate.conditions:
            unit = spec.unit if spec.unit == "%" else f" {spec.unit}".rstrip()
            flag = "" if spec.blocking else "  (non-blocking by default)"
            console.print(
                f"  {spec.id:<24} {spec.op:>2} {spec.default:g}{unit:<4} {spec.help}{flag}"
            )
        for option in gate.options:
            console.print(f"  [dim]option[/dim] {option.name}: {option.help}")
        console.print(f"  [dim]option[/dim] timeout: seconds for the whole gate "
                      f"(default {gate.default_timeout:g})")
    console.print(f"\nPrecision: {scoring.PRECISION_TEXT}.")
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
