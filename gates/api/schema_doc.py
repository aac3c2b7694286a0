"""The service's OpenAPI document as the api gate's own conditions read it: the file of the
target `schema` names, or what the running service serves at that path (with the configured
headers and basic auth, as schemathesis is sent them)."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Mapping

from auditor.errors import GateError
from auditor.plugin import GateContext
from gates import openapi
from gates.api.settings import ApiSettings
from gates.service import RunningService

FETCH_TIMEOUT_S = 30.0


def operations(
    ctx: GateContext, settings: ApiSettings, service: RunningService
) -> list[openapi.Operation]:
    """The document's operations; GateError when it cannot be read."""
    schema_file = settings.schema_file(ctx.root)
    if schema_file is not None:
        return openapi.decode(schema_file.read_bytes(), settings.schema)
    url = settings.schema if "://" in settings.schema else service.base_url + settings.schema
    return openapi.decode(fetch(url, request_headers(settings, ctx.env())), url)


def request_headers(settings: ApiSettings, environ: Mapping[str, str]) -> dict[str, str]:
    """The configured headers with their variables' values, and basic auth."""
    headers = {name: environ.get(variable, "") for name, variable in settings.headers.items()}
    if settings.auth:
        token = base64.b64encode(environ.get(settings.auth, "").encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    return headers


def fetch(url: str, headers: Mapping[str, str]) -> bytes:
    """The document at URL (http or https); GateError saying what the service answered."""
    if not url.startswith(("http://", "https://")):
        raise GateError(f"the OpenAPI schema's address {url} is not an http(s) URL")
    request = urllib.request.Request(url, headers=dict(headers))  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as answer:  # noqa: S310  # nosec B310
            return bytes(answer.read())
    except (urllib.error.URLError, OSError) as exc:
        raise GateError(
            f"the OpenAPI schema could not be read from {url} ({exc}); check `schema` in "
            "[tool.audit.api]"
        ) from None
