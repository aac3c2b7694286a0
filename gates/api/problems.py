"""The problems of each operation: schemathesis's failures and the error bodies that leak the
service's internals, each 5xx sent once more for the log lines it causes."""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping

import msgspec

from auditor.plugin import GateContext
from gates import service as api_service
from gates.api import parse
from gates.api.details import Problem
from gates.api.fuzz import FuzzRun
from gates.api.settings import ApiSettings

REPLAY_LIMIT = 20
"""At most this many 5xx are sent again for their log lines."""
LOG_LINES = 40
LOG_SETTLE_S = 0.3


def collect(settings: ApiSettings, run: FuzzRun, ctx: GateContext) -> dict[str, list[Problem]]:
    """The problems by operation: the run's failures, then (when `leaky_errors` is among the
    checks) a leaky error body per operation."""
    problems = _failures(settings, run)
    if "leaky_errors" in settings.checks:
        service_paths = (str(ctx.root.resolve()), str(ctx.python.parent.parent))
        for operation, leak in _leaks(settings, run, service_paths).items():
            problems.setdefault(operation, []).append(leak)
    return problems


def _failures(settings: ApiSettings, run: FuzzRun) -> dict[str, list[Problem]]:
    """schemathesis's unique failures by operation, with the request that caused each."""
    cases = parse.by_case(run.interactions)
    problems: dict[str, list[Problem]] = {}
    for failure in run.failures:
        item = cases.get(failure.case_id)
        operation = failure.operation
        if item is not None and " /" not in operation:
            operation = parse.match_operation(item.method, item.path, run.operations) or operation
        problems.setdefault(operation, []).append(Problem(
            condition=parse.condition_of(failure.code),
            code=failure.code,
            title=failure.title,
            check=parse.CODE_CHECKS.get(failure.code, failure.code),
            status=item.status if item else None,
            curl=parse.curl(item, settings.headers) if item else "",
        ))
    return problems


def _leaks(
    settings: ApiSettings, run: FuzzRun, service_paths: tuple[str, ...]
) -> dict[str, Problem]:
    """The first 4xx/5xx body of each operation that shows a traceback, a path of the service
    (SERVICE_PATHS) or SQL text."""
    leaks: dict[str, Problem] = {}
    for item in run.interactions:
        if item.status < 400:
            continue
        kind = parse.leak_kind(item.body_text(), service_paths)
        leaked_at = parse.match_operation(item.method, item.path, run.operations)
        if kind is None or leaked_at is None or leaked_at in leaks:
            continue
        leaks[leaked_at] = Problem(
            condition="leaky_errors", code="leak", title=f"error body shows a {kind}",
            check="leaky_errors", status=item.status,
            curl=parse.curl(item, settings.headers),
        )
    return leaks


def replayed(problems: dict[str, list[Problem]], interactions: list[parse.Interaction],
             service: api_service.RunningService, settings: ApiSettings,
             environ: Mapping[str, str]) -> dict[str, list[Problem]]:
    """Each 5xx sent once more, with the log lines it caused (up to REPLAY_LIMIT)."""
    by_curl = {parse.curl(i, settings.headers): i for i in interactions if i.status >= 500}
    budget = REPLAY_LIMIT
    out: dict[str, list[Problem]] = {}
    for operation, found in problems.items():
        out[operation] = []
        for problem in found:
            item = by_curl.get(problem.curl)
            if item is None or budget <= 0 or (problem.status or 0) < 500:
                out[operation].append(problem)
                continue
            budget -= 1
            status, lines = _replay(item, service, settings, environ)
            out[operation].append(
                msgspec.structs.replace(problem, log_lines=lines, reproduced_status=status)
            )
    return out


def _replay(
    item: parse.Interaction, service: api_service.RunningService, settings: ApiSettings,
    environ: Mapping[str, str],
) -> tuple[int | None, tuple[str, ...]]:
    headers = {k: v for k, v in item.request_headers.items() if k.lower() == "content-type"}
    headers.update({name: environ.get(env, "") for name, env in settings.headers.items()})
    path = item.uri.split(f"127.0.0.1:{service.port}", 1)[-1] or "/"
    before = service.log_path.stat().st_size if service.log_path.exists() else 0
    conn = http.client.HTTPConnection(api_service.LOOPBACK, service.port, timeout=10)
    try:
        conn.request(item.method, path, body=item.request_body, headers=headers)
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
