"""The api gate's details in the scorecard, typed: what the view and the reports read.

`from_dict` is tolerant (a scorecard from another version, or edited by hand, gives defaults for
what is missing or mistyped) while `to_dict` is the JSON the scorecard carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strs(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _records(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list | tuple) else []


@dataclass(frozen=True)
class Problem:
    """One failure at an operation: what broke, the answer, and how to send the request again."""

    condition: str
    code: str
    """schemathesis's failure code (`ST101`), or `leak` for an error body giving internals away."""
    title: str
    check: str
    status: int | None
    curl: str
    log_lines: tuple[str, ...] = ()
    """The service's log while the request was sent again (for a 5xx)."""
    reproduced_status: int | None = None
    """The status the request got when the gate sent it again, or None when not replayed."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        return cls(
            condition=_str(data, "condition"),
            code=_str(data, "code"),
            title=_str(data, "title"),
            check=_str(data, "check"),
            status=_int(data, "status"),
            curl=_str(data, "curl"),
            log_lines=_strs(data.get("log_lines")),
            reproduced_status=_int(data, "reproduced_status"),
        )


@dataclass(frozen=True)
class FailingOperation:
    """An operation with at least one problem, where its handler is when known."""

    operation: str
    path: str
    line: int | None
    problems: tuple[Problem, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FailingOperation:
        return cls(
            operation=_str(data, "operation"),
            path=_str(data, "path"),
            line=_int(data, "line"),
            problems=tuple(Problem.from_dict(p) for p in _records(data.get("problems"))),
        )


@dataclass(frozen=True)
class ApiDetails:
    """What the run was (seed, examples, schema, checks) and the failing operations."""

    seed: int | None = None
    max_examples: int | None = None
    schema: str = ""
    checks: tuple[str, ...] = ()
    operations_tested: int | None = None
    test_cases: int | None = None
    failing: tuple[FailingOperation, ...] = ()
    service_log: str = ""
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApiDetails:
        return cls(
            seed=_int(data, "seed"),
            max_examples=_int(data, "max_examples"),
            schema=_str(data, "schema"),
            checks=_strs(data.get("checks")),
            operations_tested=_int(data, "operations_tested"),
            test_cases=_int(data, "test_cases"),
            failing=tuple(FailingOperation.from_dict(f) for f in _records(data.get("failing"))),
            service_log=_str(data, "service_log"),
            notes=_strs(data.get("notes")),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in data.items()}
