"""Reproductions of recorded requests: the `curl` command a person pastes into a shell, and the
same request the gate sends again, both made from one description of what was sent.

The gate's schemathesis run hides exactly the secret headers from its reports (st_run.config_text
scopes schemathesis's sanitizer to them), so every other part of a recorded request (a query
parameter named `session_token`, a generated header, a cookie) is recorded as it was sent, and is
sent again as it was. A secret header is written as a reference to the environment variable the
configuration names (`-H "Authorization: ${API_TOKEN}"`, basic auth as `-u "${API_BASIC}"`): the
command works when pasted with the variable set, and never prints the secret.

One request carries no secret: schemathesis's probe with invalid credentials (a failure titled
"API accepts invalid authentication") replaced them with its own invalid value (INVALID_CREDENTIAL,
schemathesis/specs/openapi/_auth_retry.py), which the reproduction sends in their place.
"""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

TRANSPORT_HEADERS = frozenset({
    "user-agent", "accept-encoding", "connection", "content-length", "host",
    "x-schemathesis-testcaseid",
})
"""Headers an HTTP client adds by itself (curl sends its own); so is `Accept: */*`."""

INVALID_CREDENTIAL = "SCHEMATHESIS-INVALID-VALUE"
"""What schemathesis sends in place of a credential in its invalid-credentials probe."""
INVALID_AUTH_TITLES = frozenset({
    "API accepts invalid authentication", "Unexpected response to invalid authentication",
})
"""Titles of schemathesis's ST401 failures found with invalid credentials
(specs/openapi/checks.py, `_raise_no_auth_error`)."""

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9_-]*) \S")
_GLOB = frozenset("[]{}")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$|\?)")


@dataclass(frozen=True)
class Secrets:
    """The configured secrets, by the name of the variable holding each."""

    headers: Mapping[str, str] = field(default_factory=dict)
    """Header name -> the environment variable holding its value."""
    basic_auth: str | None = None
    """The environment variable holding `user:password`."""
    schemes: Mapping[str, str] = field(default_factory=dict)
    """Lower-case header name -> the authentication scheme its value starts with (`Bearer`), for
    the invalid credential schemathesis sent in its place; never the secret."""

    def variable(self, header: str) -> str | None:
        lower = header.lower()
        return next((var for name, var in self.headers.items() if name.lower() == lower), None)


def secrets(headers: Mapping[str, str], basic_auth: str | None,
            environ: Mapping[str, str]) -> Secrets:
    """SECRETS of the configuration, with the scheme word of each header's value."""
    schemes: dict[str, str] = {}
    for name, variable in headers.items():
        match = _SCHEME.match(environ.get(variable, ""))
        if match:
            schemes[name.lower()] = match[1]
    return Secrets(headers=dict(headers), basic_auth=basic_auth, schemes=schemes)


@dataclass(frozen=True)
class Literal:
    value: str


@dataclass(frozen=True)
class FromEnv:
    """The header's whole value is the variable's."""

    variable: str


@dataclass(frozen=True)
class BasicFromEnv:
    """`Authorization: Basic ...` made from the variable's `user:password`."""

    variable: str


HeaderValue = Literal | FromEnv | BasicFromEnv


def _invalid(scheme: str | None) -> str:
    """schemathesis's invalid credential for a value of SCHEME (`_invalid_value_for`)."""
    if scheme is None:
        return INVALID_CREDENTIAL
    if scheme.lower() == "basic":
        return "Basic " + _b64(f"{INVALID_CREDENTIAL}:{INVALID_CREDENTIAL}")
    return f"{scheme} {INVALID_CREDENTIAL}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class Request:
    """A request as it was sent, its secrets as references to their variables."""

    method: str
    url: str
    headers: tuple[tuple[str, HeaderValue], ...]
    body: bytes | None

    def resolved_headers(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The headers with the variables' values, for sending it again."""
        resolved: dict[str, str] = {}
        for name, value in self.headers:
            if isinstance(value, Literal):
                resolved[name] = value.value
            elif isinstance(value, FromEnv):
                resolved[name] = environ.get(value.variable, "")
            else:
                resolved["Authorization"] = "Basic " + _b64(environ.get(value.variable, ""))
        return resolved

    def curl(self) -> str:
        """A shell command that sends the same request."""
        parts = ["curl", "--head"] if self.method == "HEAD" else ["curl", "-X", self.method]
        if _GLOB & set(self.url):
            parts.append("--globoff")
        if _DOT_SEGMENT.search(self.url):
            parts.append("--path-as-is")
        command = shlex.join(parts) + "".join(_header_arg(n, v) for n, v in self.headers)
        if self.body is not None and not any(n.lower() == "content-type" for n, _ in self.headers):
            command += " -H 'Content-Type:'"  # curl would add its own to a body
        if self.body is None:
            return f"{command} {shlex.quote(self.url)}"
        text = _shell_text(self.body)
        if text is not None:
            return f"{command} --data-binary {shlex.quote(text)} {shlex.quote(self.url)}"
        encoded = base64.b64encode(self.body).decode("ascii")
        url = shlex.quote(self.url)
        return f"printf %s {encoded} | base64 -d | {command} --data-binary @- {url}"


def _header_arg(name: str, value: HeaderValue) -> str:
    if isinstance(value, BasicFromEnv):
        return f' -u "${{{value.variable}}}"'
    if isinstance(value, FromEnv):
        if _PLAIN_NAME.fullmatch(name):
            return f' -H "{name}: ${{{value.variable}}}"'
        return f" -H {shlex.quote(name + ': ')}\"${{{value.variable}}}\""
    # curl drops a header given as `Name:`; `Name;` sends it empty.
    return " -H " + shlex.quote(f"{name}: {value.value}" if value.value else f"{name};")


def set_by_client(name: str, value: str) -> bool:
    """Whether an HTTP client sends this header by itself (the reproduction leaves it out)."""
    lower = name.lower()
    return lower in TRANSPORT_HEADERS or (lower == "accept" and value == "*/*")


def _shell_text(body: bytes) -> str | None:
    """The body as a shell argument, when it can be one: UTF-8 without NUL, and not starting with
    `@` (which curl reads as a file name)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text or text.startswith("@") else text


def recorded(method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             secrets: Secrets, *, invalid_credentials: bool = False) -> Request:
    """The request schemathesis recorded; its secret headers as references to their variables (or
    schemathesis's invalid credential, in its probe with INVALID_CREDENTIALS)."""
    kept: list[tuple[str, HeaderValue]] = []
    for name, value in headers.items():
        lower = name.lower()
        if set_by_client(name, value):
            continue
        variable = secrets.variable(name)
        if variable is not None:
            kept.append((name, Literal(_invalid(secrets.schemes.get(lower)))
                         if invalid_credentials else FromEnv(variable)))
        elif lower == "authorization" and secrets.basic_auth is not None:
            kept.append((name, Literal(_invalid("Basic")) if invalid_credentials
                         else BasicFromEnv(secrets.basic_auth)))
        else:
            kept.append((name, Literal(value)))
    # Content-Type first: what a reader looks for after the method.
    kept.sort(key=lambda header: header[0].lower() != "content-type")
    return Request(method=method.upper(), url=url, headers=tuple(kept), body=body)
