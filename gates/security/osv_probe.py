"""Which package an OSV service refused, when pip-audit stopped on its HTTP error.

pip-audit queries the service once per installed package, stops at the first HTTP error and
prints only its status and the query URL, which is the same for every package. So the gate asks
again, the way pip-audit asked (`{"package": {"name", "ecosystem"}, "version"}`, the name
normalized, the packages in `pip list`'s order, editable ones left out), and reports the first
package the service refuses with its answer.
"""

from __future__ import annotations

import importlib.metadata
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import msgspec
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from gates.security.osv_db import ECOSYSTEM
from gates.security.osv_server import Query, QueryPackage

MAX_QUERIES = 500
"""At most this many packages are asked about again."""
QUERY_TIMEOUT_S = 10.0
BODY_CHARS = 300
"""How much of the service's answer is kept."""
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Installed:
    """A distribution pip-audit queries: its normalized name and version."""

    name: str
    version: str


@dataclass(frozen=True)
class Refusal:
    """The HTTP error the service answered a query about PACKAGE with."""

    package: Installed
    status: int
    reason: str
    body: str
    """The start of its body, on one line."""

    def describe(self) -> str:
        answer = f"{self.status} {self.reason}"
        return (
            f"{answer} for {self.package.name} {self.package.version}"
            + (f": {self.body}" if self.body else "")
        )


class _DirInfo(msgspec.Struct, frozen=True):
    editable: bool = False


class _DirectUrl(msgspec.Struct, frozen=True):
    """`direct_url.json` of an installed distribution (PEP 610), the part read here."""

    dir_info: _DirInfo | None = None


def _editable(dist: importlib.metadata.Distribution) -> bool:
    text = dist.read_text("direct_url.json")
    if not text:
        return False
    try:
        direct = msgspec.json.decode(text, type=_DirectUrl)
    except msgspec.DecodeError:
        return False
    return direct.dir_info is not None and direct.dir_info.editable


def installed(paths: Sequence[str]) -> list[Installed]:
    """The distributions in the site-packages PATHS that pip-audit queries (those with a name,
    a valid version and not installed in development mode), by normalized name."""
    found: dict[str, Installed] = {}
    for dist in importlib.metadata.distributions(path=list(paths)):
        try:
            name, version = canonicalize_name(dist.name or ""), str(Version(dist.version or ""))
        except (InvalidVersion, KeyError):
            continue
        if name and not _editable(dist):
            found.setdefault(name, Installed(name, version))
    return [found[name] for name in sorted(found)]


def _one_line(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:BODY_CHARS] + ("..." if len(text) > BODY_CHARS else "")


def _ask(
    opener: urllib.request.OpenerDirector, url: str, package: Installed, timeout: float
) -> Refusal | None:
    """The service's refusal of a query about PACKAGE; None when it answered it."""
    query = msgspec.json.encode(Query(QueryPackage(package.name, ECOSYSTEM), package.version))
    # An http(s) URL: first_refused asks no other.
    request = urllib.request.Request(  # noqa: S310
        url, data=query, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with opener.open(request, timeout=timeout):
            return None
    except urllib.error.HTTPError as exc:
        return Refusal(package, exc.code, str(exc.reason), _one_line(exc.read(BODY_CHARS * 4)))


def first_refused(url: str, packages: Sequence[Installed], budget_s: float) -> Refusal | None:
    """The first of PACKAGES the OSV service at URL answers with an HTTP error, asked within
    BUDGET_S seconds; None when it answers them all, stops answering (unreachable, timed out)
    or the time is up."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    # As for pip-audit, a service on loopback is never reached through a proxy.
    proxies = urllib.request.ProxyHandler({} if parts.hostname in LOOPBACK else None)
    opener = urllib.request.build_opener(proxies)
    deadline = time.monotonic() + budget_s
    for package in packages[:MAX_QUERIES]:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            refusal = _ask(opener, url, package, min(QUERY_TIMEOUT_S, left))
        except (urllib.error.URLError, OSError):
            return None
        if refusal is not None:
            return refusal
    return None
