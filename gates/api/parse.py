"""Pure readers of schemathesis's reports, and what the gate concludes from them.

- The JUnit XML (`--report junit`) names each unique failure: the operation (a test case), the
  failure codes (`message="ST101, ST103"`) and, per failure, its test case id with the codes it
  broke.
- The VCR cassette (`--report vcr --report-preserve-bytes`) records every request and response,
  keyed by the same test case id, with the exact bytes (base64) of both bodies.
- The JSON run report (`--report json`) says whether the run completed, how many operations were
  tested and which errors stopped it; its failure groups are what the conditions equal.

What schemathesis counts (schemathesis/engine/statistic.py, engine/summary.py): a *unique failure*
is one failure class at one operation, told apart by its `_unique_key` (a server error's or an
accepted invalid request's status code, else nothing), so an operation answering 500 and 503
has two server errors, and an operation whose authentication is ignored has one ST401 whichever
probe found it. The JSON report's `failures` groups them by *title*, not by code: one code can
head several groups (ST401 "API accepts requests without authentication" and "API accepts invalid
authentication"), each with its count and operations. The gate sums the groups of a code.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET  # nosec B405
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from auditor.errors import GateError
from gates.api import reproduce
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
UNDECLARED_STATUS_CODE = "ST103"
"""schemathesis's undocumented status: counted in `undeclared_statuses` (gates/api/statuses.py),
never as a contract violation."""
SCHEMATHESIS_CONDITIONS = (
    "server_errors", "contract_violations", "invalid_input_accepted", "auth_ignored",
)
"""The conditions schemathesis's checks feed, each the sum of its failure codes' counts."""


def condition_of(code: str) -> str:
    """The condition a failure code counts in; every other code breaks the contract."""
    if code in SERVER_ERROR_CODES:
        return "server_errors"
    if code in INVALID_INPUT_CODES:
        return "invalid_input_accepted"
    if code in AUTH_CODES:
        return "auth_ignored"
    if code == UNDECLARED_STATUS_CODE:
        return "undeclared_statuses"
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
        operation = _operation(case)
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


def _operation(case: ET.Element) -> str:
    """A `<testcase>`'s operation (`name`, which schemathesis always writes)."""
    name = case.get("name")
    if name is None:
        raise NotAReportError("schemathesis's JUnit report has a <testcase> without its `name`")
    return name


def junit_errors(text: str) -> list[str]:
    """The operations schemathesis could not test (`<error>` elements), with their message (an
    error recorded without one has its text)."""
    root = ET.fromstring(text)  # noqa: S314  # nosec B314 - written by schemathesis here
    return [
        f"{_operation(case)}: {error.get('message') or (error.text or '').strip()[:200]}"
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
    failed_titles: tuple[str, ...] = field(default=())
    """The title of each failed check's failure, beside `failed_checks`."""

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def size(self) -> int:
        """How much a reproduction of it holds: its URL, body and the headers it sets."""
        headers = sum(
            len(name) + len(value) for name, value in self.request_headers.items()
            if not reproduce.set_by_client(name, value)
        )
        return len(self.uri) + len(self.request_body or b"") + headers

    def failed(self, check: str, title: str) -> bool:
        """Whether CHECK failed on it with a failure of TITLE."""
        return (check, title) in zip(self.failed_checks, self.failed_titles, strict=True)

    def request(self, secrets: reproduce.Secrets, *,
                invalid_credentials: bool = False) -> reproduce.Request:
        """The request as it was sent, for a `curl` reproduction or sending it again."""
        return reproduce.recorded(
            self.method, self.uri, self.request_headers, self.request_body, secrets,
            invalid_credentials=invalid_credentials,
        )

    def body_text(self) -> str:
        return self.response_body.decode("utf-8", errors="replace")


class _Body(msgspec.Struct):
    """A recorded body: `base64_string` with `--report-preserve-bytes` (the gate's), else
    `string` (schemathesis/reporting/vcr.py)."""

    base64_string: str | None = None
    string: str | None = None

    def data(self, where: str) -> bytes:
        if self.base64_string is not None:
            try:
                return base64.b64decode(self.base64_string)
            except binascii.Error as exc:
                raise NotAReportError(
                    f"schemathesis's cassette holds a body that is not base64 ({where}): {exc}"
                ) from None
        if self.string is not None:
            return self.string.encode("utf-8", errors="surrogatepass")
        raise NotAReportError(
            f"schemathesis's cassette holds a body with neither `base64_string` nor `string` "
            f"({where})"
        )


Headers = dict[str, list[str]] | None
"""Header name -> its values; a message without headers is written as nothing (null)."""


class _Request(msgspec.Struct):
    uri: str
    method: str
    headers: Headers
    body: _Body | None = None
    """Left out when the request had no body."""


class _Status(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$")]
    """The status code, written as a quoted string (`'405'`)."""


class _Response(msgspec.Struct):
    status: _Status
    headers: Headers
    body: _Body | None = None
    """Left out when the response had no content."""


class _Check(msgspec.Struct):
    name: str
    status: str
    """`SUCCESS`, `FAILURE`, ..."""
    message: str | None = None
    """The failure's title (null, `~`, when the check passed)."""


class _Recorded(msgspec.Struct):
    """One entry of `http_interactions`, as schemathesis's VCR writer records it."""

    id: str
    checks: list[_Check]
    request: _Request
    response: _Response | None
    """null when the request got no response (schemathesis's ERROR status)."""


class _Cassette(msgspec.Struct):
    http_interactions: list[_Recorded]


def _headers(headers: Headers) -> dict[str, str]:
    """Each header's first value."""
    return {name: values[0] for name, values in (headers or {}).items() if values}


def _interaction(item: _Recorded, response: _Response) -> Interaction:
    where = f"test case {item.id}"
    failed = [c for c in item.checks if c.status.upper() == "FAILURE"]
    return Interaction(
        case_id=item.id,
        method=item.request.method.upper(),
        uri=item.request.uri,
        request_headers=_headers(item.request.headers),
        request_body=item.request.body.data(where) if item.request.body else None,
        status=int(response.status.code),
        response_headers=_headers(response.headers),
        response_body=response.body.data(where) if response.body else b"",
        failed_checks=tuple(c.name for c in failed),
        failed_titles=tuple(c.message or "" for c in failed),
    )


def parse_cassette(text: str) -> list[Interaction]:
    """Every answered interaction of a schemathesis VCR cassette, in recording order.

    A request that got no response has no status or body to judge or replay (schemathesis
    records it as an error, which its JUnit report names and the gate refuses): it is left out.
    """
    try:
        cassette = msgspec.yaml.decode(text, type=_Cassette)
    except msgspec.ValidationError as exc:
        raise NotAReportError(
            f"schemathesis's cassette is not the one this gate reads: {exc}"
        ) from None
    except msgspec.DecodeError as exc:
        raise NotAReportError(f"schemathesis's cassette is not YAML: {exc}") from None
    return [
        _interaction(item, item.response)
        for item in cassette.http_interactions if item.response is not None
    ]


def by_case(interactions: Iterable[Interaction]) -> dict[str, Interaction]:
    """Interactions by test case id; a failing one wins over a passing one with the same id."""
    found: dict[str, Interaction] = {}
    for item in interactions:
        if item.case_id not in found or (item.failed_checks and not found[item.case_id]
                                         .failed_checks):
            found[item.case_id] = item
    return found


def smallest_like(item: Interaction, check: str, title: str,
                  interactions: Iterable[Interaction], operations: Iterable[str]) -> Interaction:
    """The smallest recorded request that failed as ITEM did: the same operation and status, and
    CHECK failed with a failure of TITLE (ITEM itself when none is smaller).

    schemathesis names the first request that found a unique failure, which in its fuzzing phase
    is often a large random one; any request that failed the same way reproduces it."""
    known = list(operations)
    operation = match_operation(item.method, item.path, known)

    def same_operation(other: Interaction) -> bool:
        if operation is None:
            return other.path == item.path
        return match_operation(other.method, other.path, known) == operation

    alike = [
        other for other in interactions
        if other.method == item.method and other.status == item.status
        and other.failed(check, title) and same_operation(other)
    ]
    return min([item, *alike], key=lambda other: other.size)


@dataclass(frozen=True)
class ReportedGroup:
    """One group of the JSON report's `failures`: the failures of one title."""

    code: str
    title: str
    count: int
    operations: tuple[str, ...]


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
    """Unique failures per code, as schemathesis counts them (its groups of that code summed)."""
    failure_operations: dict[str, list[str]]
    """Operations per code."""
    version: str
    groups: tuple[ReportedGroup, ...]
    """The report's failure groups, as written."""
    rate_limited: tuple[str, ...]
    """Operations schemathesis warned mostly answered 429 (`warnings.rate_limited`)."""
    missing_auth: tuple[str, ...] = ()
    """Operations schemathesis warned answered only 401/403 (`warnings.missing_auth`: at least
    90% of their answers, and no valid request served)."""


class _Operations(msgspec.Struct):
    selected: int
    tested: int


class _TestCases(msgspec.Struct):
    generated: int


class _FailureGroup(msgspec.Struct):
    code: str
    title: str
    count: int
    operations: list[str]


class _ErrorGroup(msgspec.Struct):
    title: str
    count: int


class _Warnings(msgspec.Struct):
    rate_limited: list[str]
    """Operations answered mostly with `429 Too Many Requests`."""
    missing_auth: list[str] = msgspec.field(default_factory=list)
    """Operations answered (almost) only with 401/403 (written by every 4.x; a report made by
    hand may leave it out)."""


class RunJson(msgspec.Struct):
    """schemathesis's JSON run report (`--report json`, schemathesis/cli/json_report.py,
    `build_document`): the fields the gate reads, each always written."""

    schemathesis_version: str
    seed: int | None
    """null when the run had no seed."""
    stop_reason: str
    complete: bool
    operations: _Operations | None
    """null when the schema never loaded (not the same as zero operations)."""
    test_cases: _TestCases
    failures: list[_FailureGroup]
    """Grouped by title: one code may head several groups."""
    errors: list[_ErrorGroup]
    warnings: _Warnings


def decode_run_report(text: str | bytes) -> RunJson:
    """schemathesis's JSON run report decoded; NotAReportError naming the field that is missing
    or of another type."""
    try:
        return msgspec.json.decode(text, type=RunJson)
    except msgspec.ValidationError as exc:
        raise NotAReportError(
            f"schemathesis's JSON report is not the one this gate reads: {exc}"
        ) from None
    except msgspec.DecodeError as exc:
        raise NotAReportError(f"schemathesis's JSON report is not JSON: {exc}") from None


def parse_run_report(data: object) -> RunReport:
    """schemathesis's JSON run report (`--report json`), decoded (`decode_run_report`) or as
    parsed JSON."""
    if isinstance(data, RunJson):
        report = data
    else:
        try:
            report = msgspec.convert(data, RunJson)
        except msgspec.ValidationError as exc:
            raise NotAReportError(
                f"schemathesis's JSON report is not the one this gate reads: {exc}"
            ) from None
    # No operations when the schema never loaded: none was selected or tested.
    operations = report.operations or _Operations(selected=0, tested=0)
    counts: Counter[str] = Counter()
    by_code: dict[str, list[str]] = {}
    for group in report.failures:
        counts[group.code] += group.count
        by_code.setdefault(group.code, [])
        by_code[group.code] += [op for op in group.operations if op not in by_code[group.code]]
    return RunReport(
        complete=report.complete,
        stop_reason=report.stop_reason,
        seed=report.seed,
        operations_tested=operations.tested,
        operations_selected=operations.selected,
        test_cases=report.test_cases.generated,
        errors=[e.title + (f" ({e.count}x)" if e.count != 1 else "") for e in report.errors],
        failure_counts=dict(counts),
        failure_operations=by_code,
        version=report.schemathesis_version,
        groups=tuple(
            ReportedGroup(g.code, g.title, g.count, tuple(g.operations)) for g in report.failures
        ),
        rate_limited=tuple(report.warnings.rate_limited),
        missing_auth=tuple(report.warnings.missing_auth),
    )


def figures(failures: Iterable[Failure]) -> dict[str, int]:
    """The four conditions schemathesis's checks feed, from the JUnit report: its unique failures
    of each condition's codes."""
    counts = dict.fromkeys(SCHEMATHESIS_CONDITIONS, 0)
    for failure in failures:
        if condition_of(failure.code) in counts:
            counts[condition_of(failure.code)] += 1
    return counts


def report_figures(report: RunReport) -> dict[str, int]:
    """The same four figures, from schemathesis's JSON report: each the sum of its codes' counts."""
    counts = dict.fromkeys(SCHEMATHESIS_CONDITIONS, 0)
    for code, count in report.failure_counts.items():
        if condition_of(code) in counts:
            counts[condition_of(code)] += count
    return counts


def reconcile(failures: Iterable[Failure], report: RunReport) -> None:
    """Raise GateError unless the failures read from schemathesis's JUnit report are, code by code,
    the counts of its JSON report: a gate that cannot reconcile its tool's two outputs of one run
    cannot vouch for either."""
    from_junit = dict(Counter(f.code for f in failures))
    from_json = {code: count for code, count in report.failure_counts.items() if count}
    if from_junit != from_json:
        raise GateError(
            f"the failures read from schemathesis's JUnit report ({_by_code(from_junit)}) do not "
            f"add up to the counts of its JSON report ({_by_code(from_json)}), so the gate cannot "
            "vouch for either; its report format may have changed"
        )


def _by_code(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{code}: {count}" for code, count in sorted(counts.items())) or "none"


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
    """A shell command that sends ITEM's request again (reproduce.py), the configured headers
    (header name -> environment variable) as references to their variables."""
    return item.request(reproduce.Secrets(headers=header_env)).curl()
