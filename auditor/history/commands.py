"""`audit history`: listing the recorded runs and importing saved scorecards; and the history
settings `audit run` uses."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor import config as config_mod
from auditor import scorecard
from auditor.errors import ConfigError
from auditor.history import location
from auditor.history.location import StoreLocation
from auditor.history.recorder import describe
from auditor.history.section import key_condition
from auditor.history.store import Run, Store, opened
from auditor.safetext import visible

FORMATS = ("table", "json", "csv")


def _missing_file(where: StoreLocation) -> bool:
    return where.file is not None and not where.file.exists()


def _read_runs(where: StoreLocation, target: str, branch: str | None, limit: int) -> list[Run]:
    if _missing_file(where):
        return []
    try:
        with opened(where) as store:
            return store.runs(target, branch=branch, limit=limit)
    except Exception as exc:  # one sentence, never a traceback
        raise ConfigError(
            f"the history at {where.shown} could not be read: {describe(exc)}"
        ) from None


def _key_figures(found: Sequence[Run]) -> list[str]:
    """Each gate's key figure (`gate.condition`), in the order the runs list them."""
    by_gate: dict[str, list[tuple[str, str]]] = {}
    for run in found:
        for key, figure in run.figures.items():
            gate, cid = key.split(".", 1)
            pairs = by_gate.setdefault(gate, [])
            if cid not in (c for c, _ in pairs):
                pairs.append((cid, figure.unit))
    return [f"{gate}.{key_condition(pairs)}" for gate, pairs in by_gate.items() if pairs]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    shown = f"{value:g}"
    return f"{shown}%" if unit == "%" else f"{shown} {unit}".rstrip()


def _arrow(value: float | None, older: float | None) -> str:
    if value is None or older is None or value == older:
        return ""
    return " ↑" if value > older else " ↓"


def _others_failed(run: Run, key: str) -> str:
    """` (max_warnings_per_file failed)`: the gate's other conditions that failed in RUN, which
    its key figure's column would otherwise hide."""
    gate = key.split(".", 1)[0]
    failed = [
        other.split(".", 1)[1] for other, figure in run.figures.items()
        if other != key and other.startswith(f"{gate}.") and figure.status in ("failed", "error")
    ]
    return f" ({', '.join(failed)} failed)" if failed else ""


def _table(found: Sequence[Run], target: str, shown: str) -> str:
    keys = _key_figures(found)
    table = Table(title=None)
    for column in ("time (UTC)", "branch", "commit", "status", "score", *keys):
        table.add_column(column, justify="right" if column in ("score", *keys) else "left")
    for i, run in enumerate(found):
        older = found[i + 1] if i + 1 < len(found) else None
        cells = [
            run.started_at.strftime("%Y-%m-%d %H:%M"), visible(run.branch or "—"),
            (run.commit or "")[:10] or "—", run.status,
            f"{run.score:g}" + _arrow(run.score, older.score if older else None),
        ]
        for key in keys:
            figure = run.figures.get(key)
            before = older.figures.get(key) if older else None
            value = figure.value if figure else None
            cells.append(_fmt(value, figure.unit if figure else "")
                         + _arrow(value, before.value if before else None)
                         + _others_failed(run, key))
        table.add_row(*(Text(c) for c in cells))
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, highlight=False, markup=False)
    console.print(visible(f"{len(found)} run(s) of {target}, newest first, from {shown}"))
    console.print(table)
    return buffer.getvalue()


def _as_data(run: Run) -> dict[str, Any]:
    return {
        "started_at": run.started_at.isoformat(timespec="seconds") + "Z",
        "branch": run.branch, "commit": run.commit, "status": run.status,
        "score": run.score, "grade": run.grade,
        "figures": {k: {"value": f.value, "status": f.status, "unit": f.unit}
                    for k, f in run.figures.items()},
    }


def _csv(found: Sequence[Run]) -> str:
    keys = list(dict.fromkeys(k for run in found for k in run.figures))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["started_at", "branch", "commit", "status", "score", "grade", *keys])
    for run in found:
        data = _as_data(run)
        writer.writerow([
            data["started_at"], run.branch or "", run.commit or "", run.status,
            f"{run.score:g}", run.grade,
            *("" if (f := run.figures.get(k)) is None or f.value is None else f"{f.value:g}"
              for k in keys),
        ])
    return buffer.getvalue()


def listing(path: Path, option: str | None, branch: str | None, limit: int, output: str) -> str:
    """The runs of the project at PATH, newest first, as a table, JSON or CSV."""
    if not path.is_dir():
        raise ConfigError(f"{path} is not a directory; give the directory of an audited project")
    root = path.resolve()
    cfg = config_mod.load(root, None)
    target = location.identity(root)
    where = location.resolve(option, cfg.history, root, target)
    found = _read_runs(where, target, branch, limit)
    if output == "json":
        return json.dumps([_as_data(r) for r in found], indent=2, ensure_ascii=False) + "\n"
    if output == "csv":
        return _csv(found)
    if not found:
        return visible(f"No runs of {target} are recorded in {where.shown}.") + "\n"
    return _table(found, target, where.shown)


def import_scorecards(paths: Sequence[Path], option: str | None, console: Console) -> int:
    """Record saved scorecards (CI artifacts) in the history; one already there is left alone."""
    if not paths:
        raise ConfigError("`audit history import` needs at least one scorecard.json to record")
    cards = [(p, scorecard.read(p)) for p in paths]
    cwd = Path.cwd()
    cfg = config_mod.load(cwd, None)
    here = location.identity(cwd)
    stores: dict[str, Store] = {}
    added = 0
    try:
        for path, card in cards:
            named = card.history.target if card.history is not None else None
            target = named or here
            where = location.resolve(option, cfg.history, None, target)
            try:
                store = stores.get(where.url) or stores.setdefault(where.url, Store(where))
                new = store.record(card, target)
            except Exception as exc:  # one sentence, never a traceback
                raise ConfigError(
                    f"{path} could not be recorded in the history at {where.shown}: "
                    f"{describe(exc)}"
                ) from None
            added += new
            console.print(visible(
                f"{'recorded' if new else 'already recorded'}: {path} "
                f"({card.started_at}, {card.status}) for {target} in {where.shown}"
            ))
    finally:
        for store in stores.values():
            store.close()
    console.print(f"Recorded {added} of {len(cards)} scorecard(s).")
    return 0
