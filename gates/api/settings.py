"""The api gate's settings, read and checked from `[tool.audit.api]`.

The service keys (`start`, `health`, ...) are the shared ones of gates/service.py; the api
table inherits them from `[tool.audit.load]` when it sets no `start` of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ConfigError
from auditor.model import OptionSpec
from gates.service import ServiceSettings, parse_service

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

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")

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


def _headers(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    headers: dict[str, str] = {}
    for name, env_name in value.items():
        if not _HEADER_NAME.fullmatch(str(name)):
            raise ConfigError(f"`headers.{name}` in {TABLE} is not a valid header name")
        if not isinstance(env_name, str) or not _ENV_NAME.fullmatch(env_name):
            raise ConfigError(
                f"`headers.{name}` in {TABLE} must name the environment variable that holds "
                "its value (e.g. \"API_TOKEN\"), never the secret itself"
            )
        headers[str(name)] = env_name
    return headers


def parse(options: dict[str, object]) -> ApiSettings:
    """Check the options of `[tool.audit.api]`; the gate runs only when `start` is set."""
    service = parse_service(options, TABLE)
    schema = options.get("schema")
    schema_text = schema if isinstance(schema, str) and schema else "/openapi.json"
    max_examples = options.get("max_examples")
    examples = max_examples if isinstance(max_examples, int) else 50
    if examples < 1:
        raise ConfigError(f"{_where('max_examples')} must be at least 1")
    seed = options.get("seed")
    checks_value = options.get("checks")
    checks = tuple(checks_value) if isinstance(checks_value, list) else tuple(CHECK_GROUPS)
    for group in checks:
        if group not in CHECK_GROUPS:
            raise ConfigError(
                f"{_where('checks')}: `{group}` is not a condition of the api gate; "
                f"choose from {', '.join(CHECK_GROUPS)}"
            )
    if not checks:
        raise ConfigError(f"{_where('checks')} is empty; leave it out to run every check")
    auth = options.get("auth")
    if auth is not None and (not isinstance(auth, str) or not _ENV_NAME.fullmatch(auth)):
        raise ConfigError(
            f"{_where('auth')} must name the environment variable that holds `user:password` "
            "(e.g. \"API_BASIC_AUTH\"), never the secret itself"
        )
    app = options.get("app")
    command = options.get("schemathesis_command")
    return ApiSettings(
        service=service,
        schema=schema_text,
        max_examples=examples,
        seed=seed if isinstance(seed, int) else DEFAULT_SEED,
        checks=tuple(dict.fromkeys(str(c) for c in checks)),
        headers=_headers(options.get("headers")),
        auth=auth if isinstance(auth, str) else None,
        app=app if isinstance(app, str) and app else None,
        command=tuple(str(c) for c in command) if isinstance(command, list) else (),
    )
