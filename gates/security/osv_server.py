"""Serves an offline OSV database as an OSV-compatible `POST /v1/query` endpoint on loopback.

pip-audit's `osv` service (`-s osv --osv-url URL`) posts `{"package": {"name", "ecosystem"},
"version"}` for each installed distribution and reads `{"vulns": [...]}` back, so an offline
audit runs through the real pip-audit with no change to how its results are produced.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Protocol

import msgspec

from gates.security.osv_db import ECOSYSTEM, Record


class Advisories(Protocol):
    """What the server answers from: an OsvDatabase or an IndexedOsvDatabase."""

    def query(self, name: str, version: str) -> list[Record]: ...

QUERY_PATH = "/v1/query"
MAX_BODY = 1024 * 1024


class QueryPackage(msgspec.Struct, frozen=True):
    name: str
    ecosystem: str


class Query(msgspec.Struct, frozen=True):
    """A query by package and version (https://google.github.io/osv.dev/post-v1-query/), as
    pip-audit posts it: the package's name and ecosystem, and the version."""

    package: QueryPackage
    version: str


_QUERY = msgspec.json.Decoder(Query)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, database: Advisories) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.database = database
        self.queries = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _reply(self, status: HTTPStatus, body: object) -> None:
        data = msgspec.json.encode(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != QUERY_PATH:
            self._reply(HTTPStatus.NOT_FOUND, {"message": f"only POST {QUERY_PATH} is served"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if not 0 < length <= MAX_BODY:
                raise ValueError("a JSON body is required")
            query = _QUERY.decode(self.rfile.read(length))
        except ValueError as exc:  # msgspec.DecodeError is one
            self._reply(HTTPStatus.BAD_REQUEST, {"message": f"bad query: {exc}"})
            return
        with self.server.lock:
            self.server.queries += 1
        package = query.package
        vulns = (
            self.server.database.query(package.name, query.version)
            if package.ecosystem == ECOSYSTEM
            else []
        )
        # The OSV service answers an empty object when nothing matches.
        self._reply(HTTPStatus.OK, {"vulns": vulns} if vulns else {})

    def do_GET(self) -> None:
        self._reply(HTTPStatus.NOT_FOUND, {"message": f"only POST {QUERY_PATH} is served"})

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the audit's output is the report."""


class OsvServer:
    """`with OsvServer(db) as server:` serves DB at `server.url` until the block ends."""

    def __init__(self, database: Advisories) -> None:
        self._server = _Server(database)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="osv-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{QUERY_PATH}"

    @property
    def queries(self) -> int:
        """How many queries were answered."""
        with self._server.lock:
            return self._server.queries

    def __enter__(self) -> OsvServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
