"""Formatting shared by every report: values with units, targets, gaps, times, clean text."""

from __future__ import annotations

import re
from datetime import datetime

from auditor.model import Condition, GateResult

OP_SYMBOLS = {"<": "<", "<=": "≤", ">=": "≥", "==": "="}
"""Operators as a reader writes them."""

STATUS_LABELS = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "skipped": "skipped",
    "inconclusive": "inconclusive",
}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# Characters XML 1.0 forbids (C0 controls but tab, newline, carriage return; surrogates; FFFE/FFFF).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Text without terminal colour codes and without characters XML cannot hold."""
    return _XML_ILLEGAL.sub("\ufffd", _ANSI.sub("", text))


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, marking a cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def tail(text: str, max_lines: int, max_chars: int) -> tuple[str, int]:
    """The last lines of a log, cleaned; also how many lines were left out."""
    lines = clean(text).rstrip("\n").splitlines()
    kept = lines[-max_lines:]
    cut = len(lines) - len(kept)
    joined = "\n".join(kept)
    if len(joined) > max_chars:
        joined = "…" + joined[-(max_chars - 1):]
    return joined, cut


def number(value: float) -> str:
    """A figure as people write it: no trailing zeros, thousands separated for big counts."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) >= 1000 else f"{value:.4g}"


def with_unit(value: float | None, unit: str) -> str:
    """`74.38%`, `142 ms`, `3`; a missing value is an em dash."""
    if value is None:
        return "—"
    text = number(value)
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}".rstrip()


def applied(condition: Condition) -> float:
    """The threshold the value was held against: the baseline's ratchet when it lowers it."""
    return condition.ratchet if condition.ratchet is not None else condition.threshold


def target(condition: Condition) -> str:
    """The threshold with its operator, e.g. `≥ 80%`."""
    symbol = OP_SYMBOLS.get(condition.op, condition.op)
    if condition.ratchet is not None:
        return (
            f"{symbol} {with_unit(condition.ratchet, condition.unit)} (baseline; "
            f"threshold {with_unit(condition.threshold, condition.unit)})"
        )
    return f"{symbol} {with_unit(condition.threshold, condition.unit)}"


def target_ascii(condition: Condition) -> str:
    """The threshold with a plain ASCII operator, e.g. `>= 80%` (for XML attributes and logs)."""
    if condition.ratchet is not None:
        return (
            f"{condition.op} {with_unit(condition.ratchet, condition.unit)} (baseline; "
            f"threshold {with_unit(condition.threshold, condition.unit)})"
        )
    return f"{condition.op} {with_unit(condition.threshold, condition.unit)}"


def gap(condition: Condition) -> str | None:
    """How far a failed condition is from its threshold, e.g. `5.62 points short`."""
    if condition.status != "failed" or condition.value is None:
        return None
    limit = condition.threshold if condition.ratchet is None else condition.ratchet
    diff = condition.value - limit
    if condition.op in (">=",):
        amount, word = -diff, "short"
    elif condition.op in ("<", "<="):
        amount, word = diff, "over"
    else:
        return f"off by {with_unit(abs(diff), condition.unit)}"
    if amount == 0:
        # `< 5` fails at exactly 5: the value sits on the limit it must stay under.
        return "at the limit"
    shown = f"{number(amount)} points" if condition.unit == "%" else with_unit(
        amount, condition.unit
    )
    return f"{shown} {word}"


def duration(seconds: float) -> str:
    """`0.4 s`, `42.1 s`, `3 min 05 s`, `1 h 02 min`."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def gate_duration(gate: GateResult) -> str:
    """How long a gate took; for a result reused from the cache, which run measured it."""
    if gate.cached is None:
        return duration(gate.duration_s)
    commit = gate.cached.commit
    at = f" at {commit[:8]}" if commit else ""
    return f"cached, measured {timestamp(gate.cached.measured_at)}{at}"


def timestamp(iso: str) -> str:
    """`2025-06-02 09:14 UTC` from the scorecard's ISO-8601 UTC time; unparsable text as is."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def short_commit(commit: str | None) -> str | None:
    """The first 10 characters of a commit hash, as git shows them."""
    return commit[:10] if commit else None


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 finding`, `3 findings`."""
    return f"{number(count)} {word if count == 1 else (many or word + 's')}"
