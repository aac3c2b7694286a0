"""`undocumented_operations`: operations of the schema a client cannot learn to call from it.

An operation is undocumented when it has no description (a summary generated from the handler's
name, as FastAPI writes `Read Item` for `read_item`, describes nothing), or when one of its
parameters or its request body has no schema (gates/openapi.py says what counts as one). One
problem per operation, naming everything it lacks."""

from __future__ import annotations

from collections.abc import Iterable

from gates import openapi
from gates.api.details import Problem
from gates.api.problems import Found

CONDITION = "undocumented_operations"


def lacks(operation: openapi.Operation) -> list[str]:
    """What OPERATION's documentation lacks, in words; empty when nothing."""
    missing = [] if operation.documented else ["no description"]
    missing += [f"no schema for its {part}" for part in operation.unschematised]
    return missing


def found(operations: Iterable[openapi.Operation]) -> list[Found]:
    """A problem for each undocumented operation."""
    problems: list[Found] = []
    for operation in operations:
        missing = lacks(operation)
        if missing:
            problems.append(
                Found(
                    operation.name,
                    Problem(
                        condition=CONDITION,
                        code="undocumented",
                        title="; ".join(missing),
                        check=CONDITION,
                        status=None,
                        curl="",
                    ),
                    None,
                )
            )
    return problems
