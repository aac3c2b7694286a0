"""Drives pip-audit over the packages installed in the target's interpreter and reads its JSON.

pip-audit exits 0 when it found nothing and 1 both when it found vulnerabilities and on a fatal
error (https://github.com/pypa/pip-audit#exit-codes), so a run is judged by whether its JSON
report parsed; a run that audited nothing (every dependency skipped) measured nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from packaging.utils import canonicalize_name

from auditor.errors import GateError
from auditor.plugin import GateContext
from gates.security.details import Vulnerability
from gates.tools import NotAReportError, check_exit, run_tool, tool_failed

OK_CODES = (0, 1)
INSTALLERS = frozenset({"pip", "setuptools", "wheel", "distribute", "pkg-resources"})
"""Installer tooling a virtual environment carries whatever the project depends on."""
EDITABLE_REASON = "distribution marked as editable"

_SITE_SCRIPT = (
    "import json, sysconfig; p = sysconfig.get_paths(); "
    "print(json.dumps([p['purelib'], p['platlib']]))"
)


def site_dirs(ctx: GateContext) -> list[str]:
    """The target interpreter's site-packages directories (purelib, then platlib if different)."""
    result = ctx.run([str(ctx.python), "-I", "-c", _SITE_SCRIPT], cwd=ctx.workdir)
    check_exit(f"{ctx.python} (asked for its site-packages)", result, (0,))
    try:
        paths = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        paths = None
    if not isinstance(paths, list) or not paths:
        raise tool_failed(f"{ctx.python} did not tell its site-packages", result)
    return list(dict.fromkeys(str(p) for p in paths))


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


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


def _vulnerable(name: str, version: str, item: dict[str, object]) -> Vulnerability:
    return Vulnerability(
        name=name,
        version=version,
        id=str(item.get("id", "")),
        aliases=tuple(sorted(str(a) for a in cast(list[object], item.get("aliases") or []))),
        fix_versions=tuple(str(v) for v in cast(list[object], item.get("fix_versions") or [])),
        description=str(item.get("description") or ""),
    )


def parse(stdout: str, include_installers: bool) -> AuditReport:
    """Read pip-audit's JSON report; GateError when it is not one or when it audited nothing."""
    try:
        data = json.loads(stdout)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        raise NotAReportError("pip-audit's output is not its JSON report")
    audited: list[str] = []
    skipped: list[Skipped] = []
    ignored: list[str] = []
    vulnerable: list[Vulnerability] = []
    ignored_vulnerable: list[Vulnerability] = []
    answered = 0
    for dep in cast(list[dict[str, object]], data["dependencies"]):
        name = canonicalize_name(str(dep.get("name", "")))
        if "skip_reason" in dep:
            skipped.append(Skipped(name, str(dep["skip_reason"])))
            continue
        answered += 1
        version = str(dep.get("version", ""))
        vulns = [
            _vulnerable(name, version, v)
            for v in cast(list[dict[str, object]], dep.get("vulns") or [])
        ]
        if name in INSTALLERS and not include_installers:
            ignored.append(f"{name}=={version}")
            ignored_vulnerable.extend(vulns)
        else:
            audited.append(f"{name}=={version}")
            vulnerable.extend(vulns)
    unaudited = [s for s in skipped if s.reason != EDITABLE_REASON]
    if answered == 0 or (unaudited and not audited):
        reasons = sorted({s.reason for s in unaudited}) or ["no installed package was found"]
        raise GateError(
            f"pip-audit audited no dependency ({len(skipped)} skipped: "
            + "; ".join(reasons[:3])
            + "); check that the vulnerability source is reachable"
        )
    return AuditReport(audited, skipped, ignored, vulnerable, ignored_vulnerable)


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
    env = ctx.env({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
    # The offline database is served on loopback: never through a proxy.
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = ",".join(filter(None, [env.get(key, ""), "127.0.0.1", "localhost"]))
    result = run_tool(ctx, "pip-audit", cmd, cwd=ctx.workdir, env=env)
    check_exit("pip-audit", result, OK_CODES)
    try:
        return parse(result.stdout, include_installers)
    except NotAReportError:
        raise tool_failed("pip-audit wrote no JSON report", result) from None
    except GateError as exc:
        raise GateError(str(exc), log_tail=result.describe(tail_lines=40)) from None
