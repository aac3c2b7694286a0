"""A pytest plugin the coverage gate loads into the target's test run (copied into the gate's
plugin directory beside the outcome counter, loaded with `-p`): it records every request the
application routed to one of its routes, whoever sent it (httpx's or Starlette's TestClient,
requests, Flask's test client, a server on a real socket inside the test process).

It records in the application, never in a client: a test that calls a handler function directly
sends no request, and a request the application did not route (404, or 405 for a method the
path does not have) reached no operation.
- Starlette and FastAPI: `Starlette.__call__` is wrapped; once the app has answered, the scope
  holds the route the router chose (`scope["route"]`), routed when its methods allow the
  request's method.
- Flask: the `request_started` signal, with `request.url_rule` (None when nothing matched).
- Django: `BaseHandler.resolve_request`, with the resolver match's `route`.
A framework imported later is patched when it is imported (a finder on `sys.meta_path`).

At the end of the session it writes what it recorded, and (given the application as
`module:attribute`) the application's OpenAPI schema (FastAPI's `app.openapi()`, else a GET of the
schema's path through the WSGI application) and where each route's handler is. It imports nothing
from the auditor: it runs inside the target's interpreter.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import inspect
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

FILE_VAR = "AUDIT_ROUTES_FILE"
APP_VAR = "AUDIT_ROUTES_APP"
SCHEMA_VAR = "AUDIT_ROUTES_SCHEMA"
"""Set when the schema is read from the application: the path it serves it at (may be empty)."""
MAX_PATHS = 5000
"""At most this many distinct concrete paths are kept (templates are few)."""
_IGNORED_METHODS = ("HEAD", "OPTIONS")
_FLASK_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_DJANGO_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

_routed: dict[tuple[str, str | None, str], None] = {}
_state = {"reading_schema": False}


def _record(method: str, template: str | None, path: str) -> None:
    if _state["reading_schema"] or len(_routed) >= MAX_PATHS:
        return
    _routed.setdefault((method.upper(), template, path), None)


def _starlette_routed(scope: dict[str, Any]) -> None:
    route = scope.get("route")
    if scope.get("type") != "http" or route is None:
        return
    methods = getattr(route, "methods", None)
    if methods and scope.get("method") not in methods:
        return
    template = getattr(route, "path", None)
    _record(
        str(scope.get("method")),
        template if isinstance(template, str) else None,
        str(scope.get("path", "")),
    )


def _patch_starlette(module: ModuleType) -> None:
    cls = module.Starlette
    original = cls.__call__
    if getattr(original, "_audit_recorder", False):
        return

    async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> None:  # noqa: N807
        try:
            await original(self, scope, receive, send)
        finally:
            if isinstance(scope, dict):
                _starlette_routed(scope)

    __call__._audit_recorder = True  # type: ignore[attr-defined]
    cls.__call__ = __call__


def _flask_started(_sender: object, **_extra: object) -> None:
    from flask import request  # noqa: PLC0415 - only once Flask is imported by the target

    rule = request.url_rule
    if rule is not None and request.method in (rule.methods or ()):
        _record(request.method, _FLASK_PARAM.sub(r"{\1}", rule.rule), request.path)


def _patch_flask(module: ModuleType) -> None:
    module.request_started.connect(_flask_started, weak=False)


def _patch_django(module: ModuleType) -> None:
    cls = module.BaseHandler
    original = cls.resolve_request
    if getattr(original, "_audit_recorder", False):
        return

    def resolve_request(self: Any, request: Any) -> Any:
        match = original(self, request)
        route = getattr(match, "route", None)
        if isinstance(route, str):
            _record(str(request.method), "/" + _DJANGO_PARAM.sub(r"{\1}", route), str(request.path))
        return match

    resolve_request._audit_recorder = True  # type: ignore[attr-defined]
    cls.resolve_request = resolve_request


_PATCHES: dict[str, Callable[[ModuleType], None]] = {
    "starlette.applications": _patch_starlette,
    "flask.signals": _patch_flask,
    "django.core.handlers.base": _patch_django,
}


class _Finder(importlib.abc.MetaPathFinder):
    """Patches a framework's module right after it is executed."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _PATCHES:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _PATCHES[fullname](module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def pytest_configure(config: object) -> None:
    """Patch the frameworks imported already, and those imported later."""
    if not os.environ.get(FILE_VAR):
        return
    for name, patch in _PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _Finder())


def _where(func: object) -> list[object] | None:
    try:
        func = inspect.unwrap(func)  # type: ignore[arg-type]
        lines, first = inspect.getsourcelines(func)  # type: ignore[arg-type]
        return [inspect.getsourcefile(func), first, first + len(lines) - 1]  # type: ignore[arg-type]
    except (OSError, TypeError):
        return None


def _handlers(app: Any) -> dict[str, list[object]]:
    """Where each route's handler is: `GET /items/{item_id}` -> [file, first line, last]."""
    found: dict[str, list[object] | None] = {}
    for route in getattr(app, "routes", None) or []:
        for method in sorted(getattr(route, "methods", None) or []):
            if method not in _IGNORED_METHODS and hasattr(route, "endpoint"):
                found[f"{method} {route.path}"] = _where(route.endpoint)
    url_map = getattr(app, "url_map", None)
    if url_map is not None:
        for rule in url_map.iter_rules():
            for method in sorted(rule.methods or []):
                if method not in _IGNORED_METHODS:
                    template = _FLASK_PARAM.sub(r"{\1}", rule.rule)
                    found[f"{method} {template}"] = _where(app.view_functions[rule.endpoint])
    return {name: where for name, where in found.items() if where}


def _wsgi_get(app: Any, path: str) -> object:
    """PATH from a WSGI application, as JSON."""
    from wsgiref.util import setup_testing_defaults  # noqa: PLC0415

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "wsgi.input": io.BytesIO(),
    }
    setup_testing_defaults(environ)
    status: list[str] = []

    def start_response(line: str, _headers: object, _exc: object = None) -> Callable[..., None]:
        status.append(line)
        return lambda _data: None

    body = b"".join(app(environ, start_response))
    if not status or not status[0].startswith("2"):
        raise ValueError(f"GET {path} answered {status[0] if status else 'nothing'}")
    return json.loads(body)


def _schema(app: Any, path: str) -> object:
    openapi = getattr(app, "openapi", None)
    if callable(openapi):
        return openapi()
    if path.startswith("/") and callable(app):
        return _wsgi_get(app, path)
    raise ValueError(
        "it is neither a FastAPI app (app.openapi()) nor a WSGI app serving "
        f"the schema at {path or 'its `schema` path'}"
    )


def _application(spec: str) -> tuple[dict[str, object], dict[str, list[object]]]:
    """The schema (or why none; only when asked for) and the handlers of the application SPEC
    names."""
    module_name, _, attr = spec.partition(":")
    _state["reading_schema"] = True
    try:
        app = getattr(importlib.import_module(module_name), attr or "app")
    except Exception as exc:  # whatever the target raises is reported, not fatal
        return {"schema_error": f"{type(exc).__name__}: {exc}"}, {}
    try:
        handlers = _handlers(app)
        if SCHEMA_VAR not in os.environ:
            return {}, handlers
        try:
            return {"schema": _schema(app, os.environ[SCHEMA_VAR])}, handlers
        except Exception as exc:  # whatever the target raises is reported, not fatal
            return {"schema_error": f"{type(exc).__name__}: {exc}"}, handlers
    finally:
        _state["reading_schema"] = False


def pytest_sessionfinish(session: object) -> None:
    """Write what was recorded (read by gates.coverage.endpoints as `Recording`)."""
    target = os.environ.get(FILE_VAR)
    if not target:
        return
    spec = os.environ.get(APP_VAR, "")
    schema, handlers = _application(spec) if spec else ({}, {})
    Path(target).write_text(
        json.dumps(
            {
                "routed": [list(key) for key in _routed],
                "schema": schema.get("schema"),
                "schema_error": schema.get("schema_error"),
                "handlers": handlers,
            },
            default=str,
        ),
        encoding="utf-8",
    )
