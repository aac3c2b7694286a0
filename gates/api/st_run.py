"""Driving schemathesis (`st run`) as a child process, everything it writes in the work directory.

The run's configuration file (`schemathesis.toml`, written by the gate) holds the headers and
basic auth as `${NAME}` placeholders that schemathesis resolves from its environment, so secrets
are neither on a command line nor in a file. Its sanitizer hides exactly those headers from every
output (terminal, reports, cassette): by default it also hides any parameter whose name looks
sensitive (`session_token`, `api_key`), which the gate's reproductions need as they were sent.

The child runs in the gate's work directory, so schemathesis's `.hypothesis` / `.schemathesis`
folders land there and a target's own `schemathesis.toml` is not picked up; its Hypothesis example
database is a directory there too.

Exit codes (schemathesis.cli.constants.ExitCode): 0 no failure, 1 failures found, 2 an error
stopped the run (schema not loadable, no operation, bad arguments).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import GateError
from gates.api.parse import RunJson, decode_run_report
from gates.api.settings import ApiSettings
from gates.tools import NotAReportError

OK_CODES = (0, 1)
AUTH_USER_VAR = "AUDIT_API_BASIC_USER"
AUTH_PASSWORD_VAR = "AUDIT_API_BASIC_PASSWORD"  # noqa: S105 - the name of a variable
REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Reports:
    """Where schemathesis writes its machine-readable reports."""

    junit: Path
    cassette: Path
    json: Path

    @classmethod
    def under(cls, directory: Path) -> Reports:
        return cls(directory / "junit.xml", directory / "cassette.yaml", directory / "run.json")

    def remove(self) -> None:
        for path in (self.junit, self.cassette, self.json):
            path.unlink(missing_ok=True)


def default_command() -> tuple[str, ...]:
    return (sys.executable, "-m", "schemathesis.cli")


def config_text(settings: ApiSettings, workdir: Path) -> str:
    """schemathesis.toml for the run: cache in the work directory, headers and basic auth as
    environment placeholders (TOML strings written with json.dumps, a subset of TOML's)."""
    lines = ["[cache]", f"directory = {json.dumps(str(workdir / 'schemathesis-cache'))}", ""]
    if settings.headers:
        lines.append("[headers]")
        lines += [
            f"{json.dumps(name)} = {json.dumps('${' + env + '}')}"
            for name, env in settings.headers.items()
        ]
        lines.append("")
    if settings.auth:
        lines += [
            "[auth.basic]",
            f"username = {json.dumps('${' + AUTH_USER_VAR + '}')}",
            f"password = {json.dumps('${' + AUTH_PASSWORD_VAR + '}')}",
            "",
        ]
    return "\n".join(lines + _sanitization(settings))


def secret_headers(settings: ApiSettings) -> list[str]:
    """The headers that carry a secret, lower-case: the configured ones, and `authorization`
    with basic auth."""
    names = [name.lower() for name in settings.headers]
    if settings.auth and "authorization" not in names:
        names.append("authorization")
    return names


def _sanitization(settings: ApiSettings) -> list[str]:
    """schemathesis's sanitizer scoped to the secret headers (its markers match parts of names,
    and an empty list means its defaults, so the markers are the names themselves); off when
    there is no secret."""
    names = secret_headers(settings)
    if not names:
        return ["[output.sanitization]", "enabled = false", ""]
    return [
        "[output.sanitization]",
        f"keys-to-sanitize = {json.dumps(names)}",
        f"sensitive-markers = {json.dumps(names)}",
        "",
    ]


def secrets_env(settings: ApiSettings, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables schemathesis's configuration refers to; GateError when one is not set."""
    env: dict[str, str] = {}
    for name, variable in settings.headers.items():
        if variable not in environ:
            raise GateError(
                f"the environment variable {variable} (the value of header {name}, "
                "`headers` in [tool.audit.api]) is not set; export it before the audit"
            )
    if settings.auth:
        value = environ.get(settings.auth)
        if value is None or ":" not in value:
            raise GateError(
                f"the environment variable {settings.auth} (`auth` in [tool.audit.api]) must "
                "hold `user:password`; export it before the audit"
            )
        env[AUTH_USER_VAR], _, env[AUTH_PASSWORD_VAR] = value.partition(":")
    return env


def command(settings: ApiSettings, *, base: tuple[str, ...], config: Path, schema: str,
            base_url: str | None, reports: Reports, database: Path) -> list[str]:
    """`st run` with a fixed seed, one worker (a seed only repeats with one), every failure of
    an operation explored (`--continue-on-failure`), and the reports the gate reads."""
    cmd = [
        *base, "--config-file", str(config), "--no-color", "run", schema,
        "--seed", str(settings.seed),
        "--max-examples", str(settings.max_examples),
        "--workers", "1",
        "--continue-on-failure",
        "--request-timeout", str(REQUEST_TIMEOUT_S),
        "--generation-database", str(database),
        "--report", "junit,vcr,json",
        "--report-preserve-bytes",
        "--report-junit-path", str(reports.junit),
        "--report-vcr-path", str(reports.cassette),
        "--report-json-path", str(reports.json),
    ]
    checks = settings.st_checks()
    cmd += ["--checks", ",".join(checks)] if checks else ["--checks", "not_a_server_error"]
    if settings.rate_limit:
        cmd += ["--rate-limit", settings.rate_limit]
    if base_url:
        cmd += ["--url", base_url]
    return cmd


def read_json_report(path: Path) -> RunJson:
    """schemathesis's JSON run report, decoded; NotAReportError when it is missing, or is not
    the report the gate reads (naming the field)."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise NotAReportError("schemathesis wrote no JSON report") from None
    except OSError as exc:
        raise NotAReportError(f"schemathesis's JSON report is unreadable: {exc}") from None
    return decode_run_report(text)
