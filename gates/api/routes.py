"""Where each operation's handler is in the source, for FastAPI (and Starlette) and Flask apps.

The app is imported by the target's interpreter in a child process (never in the auditor's),
which prints `{"GET /items/{item_id}": ["/abs/inventory/main.py", 42], ...}`; Flask's
`<int:item_id>` becomes `{item_id}` as in the OpenAPI schema. An app that cannot be imported
costs only the source locations, never the measurement.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

PROBE = r"""
import inspect, json, re, sys
module_name, _, attr = sys.argv[1].partition(":")
module = __import__(module_name, fromlist=["_"])
app = getattr(module, attr or "app")
if callable(app) and not hasattr(app, "routes") and not hasattr(app, "url_map"):
    app = app()
found = {}

def where(func):
    func = inspect.unwrap(func)
    try:
        return [inspect.getsourcefile(func), inspect.getsourcelines(func)[1]]
    except (OSError, TypeError):
        return None

for route in getattr(app, "routes", []):
    endpoint = getattr(route, "endpoint", None)
    for method in sorted(getattr(route, "methods", None) or []):
        if endpoint is not None and method not in ("HEAD", "OPTIONS"):
            found[f"{method} {route.path}"] = where(endpoint)
url_map = getattr(app, "url_map", None)
if url_map is not None:
    for rule in url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods or []):
            if method not in ("HEAD", "OPTIONS"):
                found[f"{method} {path}"] = where(app.view_functions[rule.endpoint])
print(json.dumps({k: v for k, v in found.items() if v}))
"""


Probe = dict[str, tuple[str | None, int]]
"""What PROBE prints: operation -> [source file (null when inspect finds none), line]."""


def decode_probe(stdout: str) -> Probe:
    """The probe's output (its last line); msgspec.DecodeError when it is not the probe's JSON,
    a ValidationError naming the operation whose location is not [file, line]."""
    lines = stdout.strip().splitlines()
    return msgspec.json.decode(lines[-1] if lines else "", type=Probe)


def parse_probe(stdout: str, root: Path) -> dict[str, tuple[str, int]]:
    """The probe's output as operation -> (path relative to the root, line); handlers outside the
    root (a library's), or without a source file, are left out.

    The locations are pointers for people, never figures: output that is not the probe's (the
    app printed after it) leaves them unknown, which the gate's details say."""
    try:
        data = decode_probe(stdout)
    except msgspec.DecodeError:
        return {}
    found: dict[str, tuple[str, int]] = {}
    resolved_root = root.resolve()
    for operation, (source, line) in data.items():
        if source is None:
            continue
        path = Path(source).resolve()
        if path.is_relative_to(resolved_root):
            found[operation] = (path.relative_to(resolved_root).as_posix(), line)
    return found
