"""The live display of an audit: which gate is running, done or failed, with timings."""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from auditor.model import GateResult, Scorecard
from auditor.safetext import one_line, visible
from reports.hints import where_to_look
from reports.viewkit import tools_used

STATUS_STYLE = {
    "passed": "green",
    "failed": "red",
    "error": "magenta",
    "skipped": "dim",
    "inconclusive": "red",
    "running": "cyan",
    "waiting": "dim",
}


def _fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    text = f"{value:g}"
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}".strip()


class LiveProgress:
    """Shows gate states on stderr: a live table on a terminal, plain lines otherwise."""

    def __init__(self, console: Console, gate_ids: list[str]) -> None:
        self._console = console
        self._lock = threading.Lock()
        waiting: tuple[str, str, float | None] = ("waiting", "", None)
        self._state: dict[str, tuple[str, str, float | None]] = dict.fromkeys(gate_ids, waiting)
        self._started: dict[str, float] = {}
        self._live: Live | None = None

    def __enter__(self) -> LiveProgress:
        if self._console.is_terminal:
            self._live = Live(
                self._table(), console=self._console, refresh_per_second=4, transient=True
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def _table(self) -> Table:
        table = Table(show_header=False, box=None, pad_edge=False)
        now = time.monotonic()
        for gate_id, (state, message, finished_in) in self._state.items():
            duration = (
                now - self._started.get(gate_id, now) if state == "running" else finished_in
            )
            timing = f"{duration:.1f}s" if duration is not None else ""
            table.add_row(
                Text(gate_id, style="bold"),
                Text(state, style=STATUS_STYLE.get(state, "")),
                Text(timing, style="dim"),
                Text(one_line(message), style="dim"),
            )
        return table

    def _update(self) -> None:
        if self._live is not None:
            self._live.update(self._table())

    def gate_started(self, gate_id: str) -> None:
        with self._lock:
            self._started[gate_id] = time.monotonic()
            self._state[gate_id] = ("running", "", None)
            if self._live is None:
                self._console.print(f"{gate_id}: running", highlight=False)
            self._update()

    def gate_progress(self, gate_id: str, message: str) -> None:
        with self._lock:
            self._state[gate_id] = ("running", message, None)
            if self._live is None:
                self._console.print(Text(f"{gate_id}: {visible(message)}"), highlight=False)
            self._update()

    def gate_finished(self, result: GateResult) -> None:
        with self._lock:
            note = result.reason or ("cached" if result.cached else "")
            self._state[result.id] = (result.status, note, result.duration_s)
            if self._live is None:
                self._console.print(
                    f"{result.id}: {result.status} ({result.duration_s:.1f}s"
                    f"{', cached' if result.cached else ''})", highlight=False
                )
            self._update()


def verdict_table(scorecard: Scorecard) -> Table:
    """The short table printed at the end of `audit run`."""
    table = Table(title=None, show_lines=False)
    table.add_column("gate")
    table.add_column("condition")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("status")
    for gate in scorecard.gates:
        style = STATUS_STYLE.get(gate.status, "")
        if gate.reason or not gate.conditions:
            table.add_row(
                gate.id, Text(one_line(gate.reason or "")), "", "", Text(gate.status, style=style)
            )
        for cond in gate.conditions:
            cstyle = STATUS_STYLE.get(cond.status, "")
            label = cond.status if cond.blocking else f"{cond.status} (non-blocking)"
            table.add_row(
                gate.id,
                cond.id,
                _fmt_value(cond.value, cond.unit),
                f"{cond.op} {_fmt_value(cond.threshold, cond.unit)}"
                + ("" if cond.ratchet is None
                   else f" (baseline {_fmt_value(cond.ratchet, cond.unit)})"),
                Text(label, style=cstyle),
            )
    return table


def tool_lines(scorecard: Scorecard) -> list[Text]:
    """Each gate's tools with their versions and where they came from, one line a gate."""
    lines: list[Text] = []
    for gate in scorecard.gates:
        used = tools_used(gate)
        if used:
            lines.append(Text(f"tools: {gate.id}: {one_line('; '.join(used))}", style="dim"))
    return lines


def reason_lines(scorecard: Scorecard) -> list[Text]:
    """The whole reason of each errored gate whose reason has more lines than the table shows
    (a service's last log lines), and why each inconclusive condition is."""
    lines: list[Text] = []
    for gate in scorecard.gates:
        if gate.status == "error" and gate.reason and len(gate.reason.splitlines()) > 1:
            first, *rest = gate.reason.splitlines()
            lines.append(Text(f"{gate.id}: {visible(first)}", style="magenta"))
            lines.extend(Text(visible(line)) for line in rest)
        for cond in gate.conditions:
            if cond.status == "inconclusive" and cond.reason:
                lines.append(Text(f"inconclusive: {gate.id}: {one_line(cond.reason)}",
                                  style="red"))
    return lines


WHERE_LIMIT = 3
"""Pointers shown per failed condition, and findings per passing gate, at the end of a run."""


def where_lines(scorecard: Scorecard) -> list[Text]:
    """Where to look for each failed condition (the worst files and rules), one line each."""
    lines: list[Text] = []
    for gate in scorecard.gates:
        for cond in gate.conditions:
            pointers = where_to_look(gate, cond.id) if cond.status == "failed" else []
            if pointers:
                shown = "; ".join(one_line(p) for p in pointers[:WHERE_LIMIT])
                lines.append(Text(f"where: {gate.id} {cond.id}: {shown}", style="red"))
    return lines


def passing_finding_lines(scorecard: Scorecard) -> list[Text]:
    """New findings of gates that passed (under their limits), which would otherwise pass
    silently: a count and the first few, as warnings."""
    lines: list[Text] = []
    for gate in scorecard.gates:
        new = [f for f in gate.findings if f.state == "new"]
        if gate.status != "passed" or not new:
            continue
        lines.append(Text(f"warning: {gate.id}: {len(new)} new finding(s) within its limits",
                          style="yellow"))
        lines.extend(
            Text(f"  {f.path or '(no file)'}{f':{f.line}' if f.line else ''} [{f.rule}] "
                 f"{one_line(f.message)}", style="yellow")
            for f in new[:WHERE_LIMIT]
        )
    return lines


def warning_lines(scorecard: Scorecard) -> list[Text]:
    """What the tools warned about while they measured, and files an audit left in the target,
    one line each, for the end of `audit run`."""
    lines: list[Text] = []
    for gate in scorecard.gates:
        for warning in gate.details.warnings:
            first, *rest = str(warning).splitlines() or [""]
            lines.append(Text(f"warning: {gate.id}: {visible(first)}", style="yellow"))
            # Continuation lines (a service's last log lines) are shown, not cut off.
            lines.extend(Text(visible(line)) for line in rest)
    lines.extend(
        Text(f"warning: {visible(left.describe())}", style="yellow")
        for left in scorecard.left_in_target or []
    )
    return lines
