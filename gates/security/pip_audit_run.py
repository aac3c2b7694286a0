"""Drives pip-audit over the packages installed in the target's interpreter and reads its JSON.

pip-audit exits 0 when it found nothing and 1 both when it found vulnerabilities and on a fatal
error (https://github.com/pypa/pip-audit#exit-codes), so a run is judged by whether its JSON
report parsed; a run that audited nothing (every dependency skipped) measured nothing.

What a service answered is said as pip-audit reports it (pip_audit/_service/pypi.py, osv.py):
PyPI's 404 for a release is a skipped dependency whose reason names it; any other HTTP error of
PyPI, and every HTTP error of an OSV service, stops pip-audit with the `requests` error's line
(`404 Client Error: Not Found for url: URL`) on stderr.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from packaging.utils import canonicalize_name

from auditor.errors import GateError
from auditor.plugin import GateContext
from gates.security.details import Vulnerability
from gates.tools import NotAReportError, check_exit, run_tool, tool_env, tool_failed

OK_CODES = (0, 1)
INSTALLERS = frozenset({"pip", "setuptools", "wheel", "distribute", "pkg-resources"})
"""Installer tooling a virtual environment carries whatever the project depends on."""
EDITABLE_REASON = "distribution marked as editable"

NOT_FOUND = re.compile(
    r"^Dependency not found on PyPI and could not be audited: (?P<name>.+) \((?P<version>[^()]*)\)$"
)
"""pip-audit's skip reason when PyPI answered 404 Not Found for a release."""
_HTTP_ERROR = re.compile(
    r"^requests\.exceptions\.HTTPError: (?P<status>\d{3}) (?:Client|Server) Error: "
    r"(?P<reason>.*) for url: (?P<url>\S+)\s*$",
    re.MULTILINE,
)
"""The line pip-audit's traceback ends its cause with when a service answered an HTTP error."""
_PYPI_RELEASE = re.compile(r"^https://pypi\.org/pypi/(?P<name>[^/]+)/(?P<version>[^/]+)/json$")

_SITE_SCRIPT = (
    "import json, sysconfig; p = sysconfig.get_paths(); "
    "print(json.dumps([p['purelib'], p['platlib']]))"
)


def site_dirs(ctx: GateContext) -> list[str]:
    """The target interpreter's site-packages directories (purelib, then platlib if different)."""
    # -I ignores PYTHON* variables, PYTHONDONTWRITEBYTECODE among them: -B says it again.
    result = ctx.run(
        [str(ctx.python), "-I", "-B", "-c", _SITE_SCRIPT], cwd=ctx.workdir, env=tool_env(ctx)
    )
    check_exit(f"{ctx.python} (asked for its site-packages)", result, (0,))
    lines = result.stdout.strip().splitlines()
    try:
        purelib, platlib = msgspec.json.decode(lines[-1] if lines else "", type=tuple[str, str])
    except msgspec.DecodeError as exc:
        raise tool_failed(
            f"{ctx.python} did not tell its site-packages", result, detail=str(exc)
        ) from None
    return list(dict.fromkeys((purelib, platlib)))


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP error a vulnerability service answered pip-audit with, which stopped it."""

    status: int
    reason: str
    """The HTTP reason phrase (`Not Found`)."""
    url: str

    def release(self) -> str | None:
        """`name version` the answer was about, when the URL names it (PyPI's JSON API does;
        an OSV service's query URL is the same for every package)."""
        match = _PYPI_RELEASE.match(self.url)
        return f"{match['name']} {match['version']}" if match else None


def http_answer(stderr: str) -> HttpAnswer | None:
    """The HTTP error pip-audit stopped on, from its traceback; None when it stopped otherwise."""
    found = list(_HTTP_ERROR.finditer(stderr))
    if not found:
        return None
    last = found[-1]
    return HttpAnswer(int(last["status"]), last["reason"].strip(), last["url"])


class ServiceAnswerError(GateError):
    """pip-audit stopped because the vulnerability service answered an HTTP error."""

    def __init__(self, answer: HttpAnswer, *, log_tail: str) -> None:
        about = answer.release()
        super().__init__(
            f"pip-audit stopped: the vulnerability service answered {answer.status} "
            f"{answer.reason} for {about or answer.url}" + (f" ({answer.url})" if about else ""),
            log_tail=log_tail,
        )
        self.answer = answer


@dataclass(frozen=True)
class AuditReport:
    """pip-audit's verdict split into what counts and what was deliberately left out."""

    audited: list[str]
    """`name==version` of every counted dependency the service answered for."""
    skipped: list[Skipped]
    ignored: list[str]
    """`name==version` of installer tooling not counted."""
    vulnerable: list[Vulnerability]
    ignored_vulnerable: list[Vulnerability]
    """Advisories of the ignored installer tooling, reported but not counted."""


class PipAuditVuln(msgspec.Struct, frozen=True):
    """An advisory of a dependency (pip_audit/_format/json.py, `_format_vuln`); `aliases` and
    `description` are written because the gate runs it with `--aliases on --desc on`."""

    id: str
    fix_versions: tuple[str, ...]
    aliases: tuple[str, ...]
    description: str


class PipAuditDependency(msgspec.Struct, frozen=True):
    """An entry of `dependencies` (pip_audit/_format/json.py, `_format_dep`): an audited one
    has `version` and `vulns`, a skipped one `skip_reason` instead."""

    name: str
    version: str | None = None
    vulns: tuple[PipAuditVuln, ...] | None = None
    skip_reason: str | None = None


class PipAuditJson(msgspec.Struct, frozen=True):
    """pip-audit's JSON report, the part the gate reads."""

    dependencies: tuple[PipAuditDependency, ...]


@dataclass(frozen=True)
class Audited:
    """A dependency the vulnerability service answered for."""

    name: str
    version: str
    vulns: tuple[PipAuditVuln, ...]


def decode(stdout: str) -> list[Audited | Skipped]:
    """pip-audit's JSON report: its dependencies, audited or skipped, names normalized;
    NotAReportError when the output is no JSON object, GateError naming the field when it is
    not the report pip-audit writes."""
    try:
        data = msgspec.json.decode(stdout, type=dict[str, Any])
    except msgspec.DecodeError as exc:
        raise NotAReportError(f"pip-audit's output is not a JSON object: {exc}") from None
    try:
        report = msgspec.convert(data, PipAuditJson)
    except msgspec.ValidationError as exc:
        raise GateError(f"pip-audit's JSON report is not the one pip-audit writes: {exc}") from None
    dependencies: list[Audited | Skipped] = []
    for i, dep in enumerate(report.dependencies):
        name = canonicalize_name(dep.name)
        if dep.skip_reason is not None:
            dependencies.append(Skipped(name, dep.skip_reason))
        elif dep.version is not None and dep.vulns is not None:
            dependencies.append(Audited(name, dep.version, dep.vulns))
        else:
            raise GateError(
                "pip-audit's JSON report is not the one pip-audit writes: a dependency with "
                f"neither `skip_reason` nor `version` and `vulns` - at `$.dependencies[{i}]`"
            )
    return dependencies


def _vulnerable(dep: Audited, vuln: PipAuditVuln) -> Vulnerability:
    return Vulnerability(
        name=dep.name,
        version=dep.version,
        id=vuln.id,
        aliases=tuple(sorted(vuln.aliases)),
        fix_versions=vuln.fix_versions,
        description=vuln.description,
    )


def _listed(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def nothing_audited(skipped: Sequence[Skipped], ignored: Sequence[Audited]) -> str:
    """Why a run counted no dependency, as pip-audit told it for each package: the releases
    PyPI answered 404 Not Found for, the other reasons it skipped packages, and the installer
    tooling it did audit, which is not counted."""
    not_found = [m for s in skipped if (m := NOT_FOUND.match(s.reason))]
    others = sorted({
        s.reason for s in skipped if s.reason != EDITABLE_REASON and not NOT_FOUND.match(s.reason)
    })
    editable = [s.name for s in skipped if s.reason == EDITABLE_REASON]
    told: list[str] = []
    if not_found:
        told.append("PyPI answered 404 Not Found for "
                    + _listed([f"{m['name']} {m['version']}" for m in not_found]))
    if others:
        told.append(f"it skipped {len(skipped) - len(not_found) - len(editable)}: "
                    + "; ".join(others[:3]))
    if editable:
        told.append(f"it left out {_listed(editable)}, installed in development mode (the "
                    "project itself, not a dependency)")
    if ignored:
        told.append(f"what it audited is installer tooling, not counted "
                    f"({_listed([f'{d.name}=={d.version}' for d in ignored])}; "
                    "include_installers = true counts it)")
    return "pip-audit audited no dependency: " + (
        "; ".join(told) or "it found no installed package"
    )


def parse(stdout: str, include_installers: bool) -> AuditReport:
    """Read pip-audit's JSON report; GateError when it is not one or when it audited nothing."""
    dependencies = decode(stdout)
    skipped = [d for d in dependencies if isinstance(d, Skipped)]
    answered = [d for d in dependencies if isinstance(d, Audited)]
    ignored = [d for d in answered if d.name in INSTALLERS and not include_installers]
    counted = [d for d in answered if not (d.name in INSTALLERS and not include_installers)]
    unaudited = [s for s in skipped if s.reason != EDITABLE_REASON]
    if not answered or (unaudited and not counted):
        raise GateError(nothing_audited(skipped, ignored))
    return AuditReport(
        audited=[f"{d.name}=={d.version}" for d in counted],
        skipped=skipped,
        ignored=[f"{d.name}=={d.version}" for d in ignored],
        vulnerable=[_vulnerable(d, v) for d in counted for v in d.vulns],
        ignored_vulnerable=[_vulnerable(d, v) for d in ignored for v in d.vulns],
    )


def run(
    ctx: GateContext,
    *,
    paths: Sequence[str],
    service_args: Sequence[str],
    command: Sequence[str],
    ignore_vulns: Sequence[str],
    include_installers: bool,
) -> AuditReport:
    """Run pip-audit (COMMAND) on the site-packages PATHS."""
    base = list(command)
    cmd = [
        *base,
        *(arg for path in paths for arg in ("--path", path)),
        "--format", "json",
        "--progress-spinner", "off",
        "--desc", "on",
        "--aliases", "on",
        # The project itself, installed in development mode, is not a dependency; auditing it
        # by name could report a different package of the same name.
        "--skip-editable",
        "--cache-dir", str(ctx.workdir / "pip-audit-cache"),
        *service_args,
        *(arg for vuln in ignore_vulns for arg in ("--ignore-vuln", vuln)),
    ]
    env = tool_env(ctx, {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
    # The offline database is served on loopback: never through a proxy.
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = ",".join(filter(None, [env.get(key, ""), "127.0.0.1", "localhost"]))
    result = run_tool(ctx, "pip-audit", cmd, cwd=ctx.workdir, env=env)
    check_exit("pip-audit", result, OK_CODES)
    try:
        return parse(result.stdout, include_installers)
    except NotAReportError as exc:
        answer = http_answer(result.stderr)
        if answer is not None:
            raise ServiceAnswerError(answer, log_tail=result.describe(tail_lines=40)) from None
        raise tool_failed("pip-audit wrote no JSON report", result, detail=str(exc)) from None
    except GateError as exc:
        raise GateError(str(exc), log_tail=result.describe(tail_lines=40)) from None
