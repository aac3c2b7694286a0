"""The api gate's settings, read and checked from `[tool.audit.api]`.

The service keys (`start`, `health`, ...) are the shared ones of gates/service.py; the api
table inherits them from `[tool.audit.load]` when it sets no `start` of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from auditor.errors import ConfigError
from auditor.model import OptionSpec
from auditor.plugin import GateConfig
from gates.service import SERVICE_OPTIONS, ServiceSettings, parse_service, with_defaults

TABLE = "[tool.audit.api]"
DEFAULT_SEED = 20240901
"""Fixed, so the same code gets the same verdict; shown in the report."""

CHECK_GROUPS: dict[str, tuple[str, ...]] = {
    "server_errors": ("not_a_server_error",),
    "contract_violations": (
        "status_code_conformance", "content_type_conformance", "response_headers_conformance",
        "response_schema_conformance", "positive_data_acceptance", "unsupported_method",
        "allow_header_conformance", "use_after_free", "ensure_resource_availability",
    ),
    "invalid_input_accepted": ("negative_data_rejection", "missing_required_header"),
    "auth_ignored": ("ignored_auth", "object_level_authorization"),
    "leaky_errors": (),
}
"""Each condition, with the schemathesis checks (`st run --checks`) that feed it; leaky_errors
is read by the gate from the recorded responses."""

_T = TypeVar("_T")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_RATE_LIMIT = re.compile(r"auto|[1-9][0-9]*/[smhd]")

API_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("schema", "str", "/openapi.json",
               "the OpenAPI schema: a path on the service, or a file in the target"),
    OptionSpec("max_examples", "int", 50, "generated requests per operation and phase"),
    OptionSpec("seed", "int", DEFAULT_SEED,
               "random seed of the generated requests (fixed, so verdicts repeat)"),
    OptionSpec("checks", "str_list", list(CHECK_GROUPS),
               "which condition groups run (a subset of the condition ids)"),
    OptionSpec("headers", "table", None,
               "headers sent with every request: header name = the NAME of an environment "
               "variable holding its value (secrets never in the repository)"),
    OptionSpec("auth", "str", None,
               "the NAME of an environment variable holding `user:password` for basic auth"),
    OptionSpec("rate_limit", "str", None,
               "at most this many requests (`N/s`, `N/m`, `N/h`), or `auto` to wait as a 429's "
               "Retry-After says: schemathesis's --rate-limit, for a service that rate-limits "
               "the audit"),
    OptionSpec("app", "str", None,
               "the application as module:attribute, to locate routes in the source "
               "(default: read from `start`, e.g. uvicorn's `pkg.main:app`)"),
    OptionSpec("schemathesis_command", "str_list", [],
               "command that runs schemathesis (default: the auditor's own, python -m "
               "schemathesis.cli)"),
)


@dataclass(frozen=True)
class ApiSettings:
    """The validated `[tool.audit.api]` table."""

    service: ServiceSettings
    schema: str
    """A path on the service (`/openapi.json`) or a file relative to the target root."""
    max_examples: int
    seed: int
    checks: tuple[str, ...]
    """Condition ids whose checks run."""
    headers: dict[str, str]
    """Header name -> name of the environment variable holding its value."""
    auth: str | None
    """Name of the environment variable holding `user:password`."""
    app: str | None
    command: tuple[str, ...]
    rate_limit: str | None = None
    """schemathesis's `--rate-limit` (`10/s`, `auto`)."""

    def schema_file(self, root: Path) -> Path | None:
        """The schema as a file of the target, when it is one."""
        if self.schema.startswith(("http://", "https://")):
            return None
        candidate = root / self.schema.lstrip("/")
        return candidate if not self.schema.startswith("/") and candidate.is_file() else None

    def st_checks(self) -> tuple[str, ...]:
        """The schemathesis checks of the selected groups."""
        return tuple(check for group in self.checks for check in CHECK_GROUPS[group])


def _where(key: str) -> str:
    return f"`{key}` in {TABLE}"


def _headers(value: dict[str, object] | None) -> dict[str, str]:
    """Header name -> the environment variable holding its value; None (unset) is no header."""
    headers: dict[str, str] = {}
    for name, env_name in (value or {}).items():
        if not _HEADER_NAME.fullmatch(name):
            raise ConfigError(f"`headers.{name}` in {TABLE} is not a valid header name")
        if not isinstance(env_name, str) or not _ENV_NAME.fullmatch(env_name):
            raise ConfigError(
                f"`headers.{name}` in {TABLE} must name the environment variable that holds "
                "its value (e.g. \"API_TOKEN\"), never the secret itself"
            )
        headers[name] = env_name
    return headers


def _checks(config: GateConfig) -> tuple[str, ...]:
    checks = config.option_list("checks")
    for group in checks:
        if group not in CHECK_GROUPS:
            raise ConfigError(
                f"{_where('checks')}: `{group}` is not a condition of the api gate; "
                f"choose from {', '.join(CHECK_GROUPS)}"
            )
    if not checks:
        raise ConfigError(f"{_where('checks')} is empty; leave it out to run every check")
    return tuple(dict.fromkeys(checks))


def _auth(config: GateConfig) -> str | None:
    auth = config.option_str("auth")
    if auth is not None and not _ENV_NAME.fullmatch(auth):
        raise ConfigError(
            f"{_where('auth')} must name the environment variable that holds `user:password` "
            "(e.g. \"API_BASIC_AUTH\"), never the secret itself"
        )
    return auth


def _rate_limit(config: GateConfig) -> str | None:
    rate = config.option_str("rate_limit")
    if rate is not None and not _RATE_LIMIT.fullmatch(rate):
        raise ConfigError(
            f"{_where('rate_limit')} must be requests per second, minute, hour or day (`10/s`, "
            "`300/m`) or `auto`"
        )
    return rate


def _required(value: _T | None, key: str, kind: str) -> _T:
    """An option that has a default (in API_OPTIONS), checked to be of its kind."""
    if value is None:
        raise ConfigError(f"{_where(key)} must be {kind}")
    return value


def parse(options: Mapping[str, object]) -> ApiSettings:
    """Check the options of `[tool.audit.api]` (read as API_OPTIONS and SERVICE_OPTIONS declare
    them, each unset one at its default); the gate runs only when `start` is set."""
    config = with_defaults((*SERVICE_OPTIONS, *API_OPTIONS), options)
    service = parse_service(config, TABLE)
    schema = _required(config.option_str("schema"), "schema", "a string")
    if not schema:
        raise ConfigError(f"{_where('schema')} is empty; give a path on the service or a file")
    examples = _required(config.option_int("max_examples"), "max_examples", "a whole number")
    if examples < 1:
        raise ConfigError(f"{_where('max_examples')} must be at least 1")
    seed = _required(config.option_int("seed"), "seed", "a whole number")
    checks = _checks(config)
    auth = _auth(config)
    app = config.option_str("app")
    if app == "":
        raise ConfigError(f"{_where('app')} is empty; leave it out or give module:attribute")
    return ApiSettings(
        service=service,
        schema=schema,
        max_examples=examples,
        seed=seed,
        checks=checks,
        headers=_headers(config.option_table("headers")),
        auth=auth,
        app=app,
        command=tuple(config.option_list("schemathesis_command")),
        rate_limit=_rate_limit(config),
    )
