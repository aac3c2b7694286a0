"""Pure readers of schemathesis's reports, and what the gate concludes from them.

- The JUnit XML (`--report junit`) names each unique failure: the operation (a test case), the
  failure codes (`message="ST101, ST103"`) and, per failure, its test case id with the codes it
  broke.
- The VCR cassette (`--report vcr --report-preserve-bytes`) records every request and response,
  keyed by the same test case id, with the exact bytes (base64) of both bodies.
- The JSON run report (`--report json`) says whether the run completed, how many operations were
  tested and which errors stopped it; its per-code failure counts are what the conditions equal.
"""

from __future__ import annotations

import base64
import re
import shlex
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from auditor.errors import GateError
from gates.tools import NotAReportError

CODE_CHECKS: dict[str, str] = {
    "ST101": "not_a_server_error",
    "ST102": "not_a_server_error",
    "ST103": "status_code_conformance",
    "ST104": "content_type_conformance",
    "ST105": "content_type_conformance",
    "ST106": "content_type_conformance",
    "ST107": "response_headers_conformance",
    "ST108": "response_schema_conformance",
    "ST109": "response_schema_conformance",
    "ST110": "response_schema_conformance",
    "ST111": "response_schema_conformance",
    "ST112": "max_response_time",
    "ST201": "negative_data_rejection",
    "ST202": "positive_data_acceptance",
    "ST203": "missing_required_header",
    "ST204": "unsupported_method",
    "ST205": "allow_header_conformance",
    "ST301": "use_after_free",
    "ST302": "ensure_resource_availability",
    "ST401": "ignored_auth",
    "ST402": "object_level_authorization",
}
"""schemathesis's failure codes (`st explain CODE`) and the check that reports each."""

SERVER_ERROR_CODES = frozenset({"ST101", "ST102"})
INVALID_INPUT_CODES = frozenset({"ST201", "ST203"})
AUTH_CODES = frozenset({"ST401", "ST402"})


def condition_of(code: str) -> str:
    """The condition a failure code counts in; every other code breaks the contract."""
    if code in SERVER_ERROR_CODES:
        return "server_errors"
    if code in INVALID_INPUT_CODES:
        return "invalid_input_accepted"
    if code in AUTH_CODES:
        return "auth_ignored"
    return "contract_violations"


@dataclass(frozen=True)
class Failure:
    """One unique failure schemathesis reported: a code broken by one test case."""

    operation: str
    """`POST /items`, as schemathesis names the operation."""
    case_id: str
    code: str
    title: str


_CASE = re.compile(r"^\d+\. Test Case ID: (\S+)\s*$")
_CODE = re.compile(r"^- (ST\d{3}) (.+?)\s*$")


def _codes(message: str) -> set[str]:
    return {part.strip() for part in message.split(",") if part.strip()}


def parse_junit(text: str) -> list[Failure]:
    """Every unique failure of schemathesis's JUnit report, in report order.

    Each `<failure>` lists its codes in `message`; its text numbers the test cases
    (`1. Test Case ID: Bs70Yh`), each followed by the codes it broke (`- ST205 Allow header
    mismatch`). A code of `message` that no test case claims means the format changed: that is
    an unreadable report, not a pass.
    """
    try:
        root = ET.fromstring(text)  # noqa: S314  # nosec B314 - written by schemathesis here
    except ET.ParseError as exc:
        raise NotAReportError(f"schemathesis's JUnit report is not XML: {exc}") from None
    failures: list[Failure] = []
    for case in root.iter("testcase"):
        operation = case.get("name", "")
        for failure in case.iter("failure"):
            declared = _codes(failure.get("message", ""))
            found: list[Failure] = []
            case_id = ""
            for line in (failure.text or "").splitlines():
                if match := _CASE.match(line):
                    case_id = match[1]
                elif (match := _CODE.match(line)) and case_id:
                    found.append(Failure(operation, case_id, match[1], match[2]))
            missing = declared - {f.code for f in found}
            if missing:
                raise NotAReportError(
                    f"schemathesis's JUnit report names {', '.join(sorted(missing))} for "
                    f"{operation} without a test case; its format is not the one this gate reads"
                )
            failures.extend(found)
    return failures


def junit_errors(text: str) -> list[str]:
    """The operations schemathesis could not test (`<error>` elements), with their message."""
    root = ET.fromstring(text)  # noqa: S314  # nosec B314 - written by schemathesis here
    return [
        f"{case.get('name', '')}: {error.get('message', '') or (error.text or '').strip()[:200]}"
        for case in root.iter("testcase")
        for error in case.iter("error")
    ]


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its response."""

    case_id: str
    method: str
    uri: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    failed_checks: tuple[str, ...] = field(default=())

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    def body_text(self) -> str:
        return self.response_body.decode("utf-8", errors="replace")


def _body(data: object) -> bytes | None:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("base64_string"), str):
        return base64.b64decode(data["base64_string"])
    if isinstance(data.get("string"), str):
        return str(data["string"]).encode("utf-8", errors="surrogatepass")
    return None


def _headers(data: object) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    out: dict[str, str] = {}
    for name, values in data.items():
        value = values[0] if isinstance(values, list) and values else values
        out[str(name)] = str(value)
    return out


def _status(data: object) -> int:
    code = data.get("code") if isinstance(data, dict) else None
    try:
        return int(str(code))
    except ValueError:
        return 0


def _interaction(item: dict[str, Any]) -> Interaction:
    request = item.get("request") if isinstance(item.get("request"), dict) else {}
    response = item.get("response") if isinstance(item.get("response"), dict) else {}
    assert isinstance(request, dict)  # noqa: S101 - narrowed above
    assert isinstance(response, dict)  # noqa: S101 - narrowed above
    checks = item.get("checks") if isinstance(item.get("checks"), list) else []
    assert isinstance(checks, list)  # noqa: S101 - narrowed above
    return Interaction(
        case_id=str(item.get("id", "")),
        method=str(request.get("method", "")).upper(),
        uri=str(request.get("uri", "")),
        request_headers=_headers(request.get("headers")),
        request_body=_body(request.get("body")),
        status=_status(response.get("status")),
        response_headers=_headers(response.get("headers")),
        response_body=_body(response.get("body")) or b"",
        failed_checks=tuple(
            str(c.get("name")) for c in checks
            if isinstance(c, dict) and str(c.get("status", "")).upper() == "FAILURE"
        ),
    )


def parse_cassette(text: str) -> list[Interaction]:
    """Every interaction of a schemathesis VCR cassette, in recording order."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506  # nosec B506 - a safe loader
    except yaml.YAMLError as exc:
        raise NotAReportError(f"schemathesis's cassette is not YAML: {exc}") from None
    items = data.get("http_interactions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise NotAReportError("schemathesis's cassette has no `http_interactions` list")
    return [_interaction(item) for item in items if isinstance(item, dict)]


def by_case(interactions: Iterable[Interaction]) -> dict[str, Interaction]:
    """Interactions by test case id; a failing one wins over a passing one with the same id."""
    found: dict[str, Interaction] = {}
    for item in interactions:
        if item.case_id not in found or (item.failed_checks and not found[item.case_id]
                                         .failed_checks):
            found[item.case_id] = item
    return found


@dataclass(frozen=True)
class RunReport:
    """What schemathesis's JSON run report says about the run itself."""

    complete: bool
    stop_reason: str
    seed: int | None
    operations_tested: int
    operations_selected: int
    test_cases: int
    errors: list[str]
    failure_counts: dict[str, int]
    """Unique failures per code, as schemathesis counts them."""
    failure_operations: dict[str, list[str]]
    """Operations per code."""
    version: str


def parse_run_report(data: Mapping[str, Any]) -> RunReport:
    """schemathesis's JSON run report (`--report json`)."""
    if "schemathesis_version" not in data:
        raise NotAReportError("schemathesis's JSON report has no `schemathesis_version`")
    operations = data.get("operations") if isinstance(data.get("operations"), dict) else {}
    cases = data.get("test_cases") if isinstance(data.get("test_cases"), dict) else {}
    assert isinstance(operations, dict)  # noqa: S101 - narrowed above
    assert isinstance(cases, dict)  # noqa: S101 - narrowed above
    failures = [f for f in data.get("failures") or [] if isinstance(f, dict)]
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    seed = data.get("seed")
    return RunReport(
        complete=bool(data.get("complete")),
        stop_reason=str(data.get("stop_reason") or ""),
        seed=seed if isinstance(seed, int) else None,
        operations_tested=int(operations.get("tested") or 0),
        operations_selected=int(operations.get("selected") or 0),
        test_cases=int(cases.get("generated") or 0),
        errors=[
            f"{e.get('title', 'error')}" + (f" ({e['count']}x)" if e.get("count", 1) != 1 else "")
            for e in errors
        ],
        failure_counts={str(f.get("code")): int(f.get("count") or 0) for f in failures},
        failure_operations={
            str(f.get("code")): [str(o) for o in f.get("operations") or []] for f in failures
        },
        version=str(data["schemathesis_version"]),
    )


def figures(failures: Iterable[Failure]) -> dict[str, int]:
    """The four conditions schemathesis's checks feed: operations with a 5xx, unique contract
    failures, unique schema-invalid requests accepted, operations whose auth was ignored."""
    server_ops: set[str] = set()
    auth_ops: set[str] = set()
    contract = invalid = 0
    for failure in failures:
        group = condition_of(failure.code)
        if group == "server_errors":
            server_ops.add(failure.operation)
        elif group == "auth_ignored":
            auth_ops.add(failure.operation)
        elif group == "invalid_input_accepted":
            invalid += 1
        else:
            contract += 1
    return {
        "server_errors": len(server_ops),
        "contract_violations": contract,
        "invalid_input_accepted": invalid,
        "auth_ignored": len(auth_ops),
    }


def report_figures(report: RunReport) -> dict[str, int]:
    """The same four figures, from schemathesis's own JSON counts (for cross-checking)."""
    server_ops: set[str] = set()
    auth_ops: set[str] = set()
    contract = invalid = 0
    for code, count in report.failure_counts.items():
        group = condition_of(code)
        if group == "server_errors":
            server_ops.update(report.failure_operations.get(code, []))
        elif group == "auth_ignored":
            auth_ops.update(report.failure_operations.get(code, []))
        elif group == "invalid_input_accepted":
            invalid += count
        else:
            contract += count
    return {
        "server_errors": len(server_ops),
        "contract_violations": contract,
        "invalid_input_accepted": invalid,
        "auth_ignored": len(auth_ops),
    }


def reconcile(failures: Iterable[Failure], report: RunReport) -> None:
    """Raise GateError unless the failures read from schemathesis's JUnit report add up to the
    counts of its JSON report: a gate that cannot reconcile its tool's two outputs of one run
    cannot vouch for either."""
    from_junit, from_json = figures(failures), report_figures(report)
    if from_junit != from_json:
        raise GateError(
            f"the failures read from schemathesis's JUnit report ({from_junit}) do not add up "
            f"to the counts of its JSON report ({from_json}), so the gate cannot vouch for "
            "either; its report format may have changed"
        )


_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\bFile \"[^\"]+\.py\", line \d+")
_SQL = re.compile(
    r"\b(?:SELECT\s+[\w*,.\s()]+?\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+TABLE)\b|\bsqlite3\.\w+Error\b|\bpsycopg2?\.\w+|\bSQLSTATE\b|"
    r"\bsqlalchemy\.exc\.\w+",
)
_PY_PATH = re.compile(r"(?:/[\w.-]+)+/(?:site-packages|dist-packages|lib/python3\.\d+)/")


def leak_kind(body: str, service_paths: Iterable[str]) -> str | None:
    """What an error body gives away: `traceback`, `file path` (the service's own directories or
    an interpreter's library path) or `SQL`; None when nothing."""
    if _TRACEBACK.search(body):
        return "traceback"
    if any(path and path in body for path in service_paths) or _PY_PATH.search(body):
        return "file path"
    if _SQL.search(body):
        return "SQL"
    return None


def _template(operation: str) -> tuple[str, re.Pattern[str]] | None:
    method, _, path = operation.partition(" ")
    if not path.startswith("/"):
        return None
    pattern = re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path))
    return method.upper(), re.compile(f"(?:.*)?{pattern}$")


def match_operation(method: str, path: str, operations: Iterable[str]) -> str | None:
    """The documented operation a concrete request belongs to: the one whose template matches
    the path's end (a base path may come first), literal templates before parameterised ones."""
    candidates: list[tuple[int, str]] = []
    for operation in operations:
        compiled = _template(operation)
        if compiled and compiled[0] == method.upper() and compiled[1].fullmatch(path):
            candidates.append((operation.count("{"), operation))
    return min(candidates)[1] if candidates else None


def curl(item: Interaction, header_env: Mapping[str, str]) -> str:
    """A shell command that sends the same request: its method, URL, Content-Type, the
    configured headers as references to their environment variables, and the exact body."""
    parts = ["curl", "-X", item.method]
    content_type = next(
        (v for k, v in item.request_headers.items() if k.lower() == "content-type"), None
    )
    if content_type:
        parts += ["-H", f"Content-Type: {content_type}"]
    command = shlex.join(parts)
    for name, env_name in header_env.items():
        command += f' -H "{name}: ${{{env_name}}}"'
    if item.request_body is not None:
        try:
            command += " --data-binary " + shlex.quote(item.request_body.decode("utf-8"))
        except UnicodeDecodeError:
            encoded = base64.b64encode(item.request_body).decode("ascii")
            command = f"printf %s {encoded} | base64 -d | {command} --data-binary @-"
    return f"{command} {shlex.quote(item.uri)}"
