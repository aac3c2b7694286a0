"""The problems of each operation: schemathesis's failures and the error bodies that leak the
service's internals, each with the smallest recorded request that shows it (as a `curl` command),
and each 5xx sent once more for the log lines it causes."""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import msgspec

from auditor.plugin import GateContext
from gates import service as api_service
from gates.api import parse, reproduce
from gates.api.details import Problem
from gates.api.fuzz import FuzzRun
from gates.api.settings import ApiSettings

REPLAY_LIMIT = 20
"""At most this many 5xx are sent again for their log lines."""
LOG_LINES = 40
LOG_SETTLE_S = 0.3


@dataclass(frozen=True)
class Found:
    """A problem at an operation, with the request that shows it (None when none was recorded)."""

    operation: str
    problem: Problem
    request: reproduce.Request | None


def collect(settings: ApiSettings, run: FuzzRun, ctx: GateContext) -> list[Found]:
    """The run's failures, then (when `leaky_errors` is among the checks) a leaky error body per
    operation."""
    secrets = reproduce.secrets(settings.headers, settings.auth, ctx.env())
    found = _failures(run, secrets)
    if "leaky_errors" in settings.checks:
        service_paths = (str(ctx.root.resolve()), str(ctx.python.parent.parent))
        found += _leaks(run, service_paths, secrets)
    return found


def _failures(run: FuzzRun, secrets: reproduce.Secrets) -> list[Found]:
    """schemathesis's unique failures, each with the smallest request that failed the same way."""
    cases = parse.by_case(run.interactions)
    found: list[Found] = []
    for failure in run.failures:
        if failure.code == parse.UNDECLARED_STATUS_CODE:
            continue  # one problem per operation and status, from every response (statuses.py)
        item = cases.get(failure.case_id)
        operation = failure.operation
        if item is not None and " /" not in operation:
            operation = parse.match_operation(item.method, item.path, run.operations) or operation
        check = parse.CODE_CHECKS.get(failure.code, failure.code)
        if item is not None:
            item = parse.smallest_like(item, check, failure.title, run.interactions, run.operations)
        request = (
            item.request(
                secrets,
                invalid_credentials=failure.title in reproduce.INVALID_AUTH_TITLES,
            )
            if item is not None
            else None
        )
        found.append(
            Found(
                operation,
                Problem(
                    condition=parse.condition_of(failure.code),
                    code=failure.code,
                    title=failure.title,
                    check=check,
                    status=item.status if item else None,
                    curl=request.curl() if request else "",
                ),
                request,
            )
        )
    return found


def _leaks(
    run: FuzzRun, service_paths: tuple[str, ...], secrets: reproduce.Secrets,
) -> list[Found]:
    """The smallest 4xx/5xx response of each operation whose body shows a traceback, a path of
    the service (SERVICE_PATHS) or SQL text."""
    leaks: dict[str, tuple[parse.Interaction, str]] = {}
    for item in run.interactions:
        if item.status < 400:
            continue
        kind = parse.leak_kind(item.body_text(), service_paths)
        leaked_at = parse.match_operation(item.method, item.path, run.operations)
        if kind is None or leaked_at is None:
            continue
        if leaked_at not in leaks or item.size < leaks[leaked_at][0].size:
            leaks[leaked_at] = (item, kind)
    found: list[Found] = []
    for operation, (item, kind) in leaks.items():
        request = item.request(secrets)
        found.append(Found(operation, Problem(
            condition="leaky_errors", code="leak", title=f"error body shows a {kind}",
            check="leaky_errors", status=item.status, curl=request.curl(),
        ), request))
    return found


def replayed(found: list[Found], service: api_service.RunningService,
             environ: Mapping[str, str]) -> dict[str, list[Problem]]:
    """The problems by operation, each 5xx sent once more with the log lines it caused (up to
    REPLAY_LIMIT)."""
    budget = REPLAY_LIMIT
    out: dict[str, list[Problem]] = {}
    for item in found:
        problem = item.problem
        if item.request is not None and budget > 0 and (problem.status or 0) >= 500:
            budget -= 1
            status, lines = _replay(item.request, service, environ)
            problem = msgspec.structs.replace(problem, log_lines=lines, reproduced_status=status)
        out.setdefault(item.operation, []).append(problem)
    return out


def _replay(
    request: reproduce.Request, service: api_service.RunningService,
    environ: Mapping[str, str],
) -> tuple[int | None, tuple[str, ...]]:
    url = urlsplit(request.url)
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    before = service.log_path.stat().st_size if service.log_path.exists() else 0
    conn = http.client.HTTPConnection(api_service.LOOPBACK, service.port, timeout=10)
    try:
        conn.request(request.method, target, body=request.body,
                     headers=request.resolved_headers(environ))
        status: int | None = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        status = None
    finally:
        conn.close()
    time.sleep(LOG_SETTLE_S)
    with service.log_path.open("rb") as log:
        log.seek(before)
        text = log.read().decode("utf-8", errors="replace")
    return status, tuple(text.splitlines()[-LOG_LINES:])
