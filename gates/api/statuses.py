"""`undeclared_statuses`: statuses the service answered to a request routed to an operation
that the operation's `responses` do not declare (exactly, by class such as `4XX`, or by
`default`), read from every request schemathesis recorded.

Each operation and status is one problem, with the smallest recorded request that got it. A
request matching no operation (a method the path does not have, answered 405) belongs to none.
A 5xx is a server error, which `server_errors` counts: one problem, one condition. schemathesis's
own check of undocumented statuses (ST103) finds a subset of these; its failures are counted
here, never as contract violations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gates import openapi
from gates.api import parse, reproduce
from gates.api.details import Problem
from gates.api.problems import Found

CONDITION = "undeclared_statuses"
CODE = "undeclared"


def undeclared(
    interactions: Iterable[parse.Interaction],
    operations: Sequence[openapi.Operation],
    base: str = "",
) -> dict[tuple[str, int], parse.Interaction]:
    """(operation, status) -> the smallest recorded request answered so, for every status below
    500 the operation does not declare; requests went to BASE (the base path) and the
    operation's template."""
    by_name = {op.name: op for op in operations}
    names = list(by_name)
    smallest: dict[tuple[str, int], parse.Interaction] = {}
    for item in interactions:
        if item.status >= 500:
            continue
        name = openapi.match_path(item.method, item.path, names, base=base)
        if name is None or by_name[name].declares(item.status):
            continue
        key = (name, item.status)
        if key not in smallest or item.size < smallest[key].size:
            smallest[key] = item
    return smallest


def found(
    interactions: Iterable[parse.Interaction],
    operations: Sequence[openapi.Operation],
    secrets: reproduce.Secrets,
    base: str = "",
) -> list[Found]:
    """A problem for each operation and undeclared status, with its request as `curl`."""
    problems: list[Found] = []
    for (name, status), item in sorted(undeclared(interactions, operations, base).items()):
        request = item.request(secrets)
        problems.append(
            Found(
                name,
                Problem(
                    condition=CONDITION,
                    code=CODE,
                    title=f"answered {status}, which its responses do not declare",
                    check=CONDITION,
                    status=status,
                    curl=request.curl(),
                ),
                request,
            )
        )
    return problems
