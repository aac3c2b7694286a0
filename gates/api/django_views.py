"""Where each operation's Django view is in the source, found with Django's own URL resolver.

The project's URL configuration is walked by the target's interpreter in a child process
(never the auditor's), as Django REST Framework's schema generator walks it: each pattern's
route made a template (`api/ratio/<int:a>/` and `^products/(?P<pk>[^/.]+)/$` become
`/api/ratio/{a}/` and `/products/{pk}/`), each view's handler of each method (a viewset's
action, `list`, `retrieve`; a class view's `get`; a function view for every method) given with
its class as a second choice: an inherited handler (`ModelViewSet.list`) lies in a library, and
then the project's class is where to look. Operations are matched on method and template, the
parameters' names aside (`{pk}` is the schema's `{id}`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.plugin import GateContext
from gates.api.django_schema import DjangoService

ANY_METHOD = "*"

PROBE = r"""
import inspect, json, re
import django
django.setup()
from django.contrib.admindocs.views import simplify_regex
from django.urls import URLResolver, get_resolver

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>\w+)>")
METHODS = ("get", "post", "put", "patch", "delete")

def where(obj):
    try:
        obj = inspect.unwrap(obj)
        return [inspect.getsourcefile(obj), inspect.getsourcelines(obj)[1]]
    except (OSError, TypeError, ValueError):
        return None

def handlers(callback):
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return {"*": [where(callback)]}
    actions = getattr(callback, "actions", None)
    if actions:
        names = dict(actions)
    else:
        names = {method: method for method in METHODS if hasattr(cls, method)}
    return {
        method.upper(): [where(getattr(cls, name, None)), where(cls)]
        for method, name in names.items()
    }

def walk(patterns, prefix):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback

found = []
for route, callback in walk(get_resolver().url_patterns, ""):
    path = PARAMETER.sub(r"{\g<parameter>}", simplify_regex(route))
    for method, places in handlers(callback).items():
        found.append([method, path, [p for p in places if p]])
print(json.dumps(found))
"""
"""Prints `[[method, template, [[file, line], ...]], ...]`: each view's handler first, its
class second; `*` for a function view, which answers every method."""

_PARAMETER = re.compile(r"\{[^}/]*\}")

Place = tuple[str, int]
Probe = list[tuple[str, str, list[Place]]]


def template_key(method: str, path: str) -> tuple[str, str]:
    """An operation's method and path, its parameters' names aside."""
    return method.upper(), _PARAMETER.sub("{}", path.rstrip("/") or "/")


def parse_probe(stdout: str, root: Path, operations: Iterable[str]) -> dict[str, Place]:
    """Each of OPERATIONS (`GET /api/items/{id}/`) with the first place of its view under
    ROOT (path relative to it, line); an operation no view of the project handles is left out,
    as is everything when the output is not the probe's."""
    lines = stdout.strip().splitlines()
    try:
        views = msgspec.json.decode(lines[-1] if lines else "", type=Probe)
    except msgspec.DecodeError:
        return {}
    resolved = root.resolve()
    places: dict[tuple[str, str], Place] = {}
    for method, path, candidates in views:
        for source, line in candidates:
            file = Path(source).resolve()
            if file.is_relative_to(resolved):
                places.setdefault(
                    template_key(method, path), (file.relative_to(resolved).as_posix(), line)
                )
                break
    found: dict[str, Place] = {}
    for operation in operations:
        method, _, path = operation.partition(" ")
        place = places.get(template_key(method, path)) or places.get(template_key(ANY_METHOD, path))
        if place is not None:
            found[operation] = place
    return found


def locate(ctx: GateContext, django: DjangoService, operations: Iterable[str]) -> dict[str, Place]:
    """The view of each of OPERATIONS; none when the URL configuration cannot be walked (the
    locations are pointers for people, never figures)."""
    ctx.progress("locating the Django views")
    try:
        result = ctx.run([str(ctx.python), "-c", PROBE], cwd=django.cwd, env=django.env)
    except GateError:
        return {}
    return parse_probe(result.stdout, ctx.root, operations) if result.returncode == 0 else {}
