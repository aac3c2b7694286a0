"""How the route recorder (route_recorder.py) is put into the suite's run: what it reads the
operations from, the file it writes, and the variables that switch it on. `endpoints_tested`
(endpoints.py) reads that file once the run is over."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from auditor.plugin import GateContext
from gates.coverage import route_recorder

RECORDING = "routes.json"
RECORDER_PLUGIN = "_audit_route_recorder"
"""The module name the recorder is loaded as in the target's test run."""
SCHEMA_OPTION = "schema"
APP_OPTION = "app"


@dataclass(frozen=True)
class Plan:
    """Where the operations come from."""

    schema: str | None
    schema_file: Path | None
    app: str | None


def planned(ctx: GateContext) -> Plan | str:
    """What the recorder reads, or why there is nothing to record (no web service)."""
    schema = ctx.config.option_str(SCHEMA_OPTION)
    app = ctx.config.option_str(APP_OPTION)
    candidate = ctx.root / schema if schema and not schema.startswith("/") else None
    schema_file = candidate if candidate is not None and candidate.is_file() else None
    if schema_file is None and app is None:
        return (
            "no web service: no `app` or `schema` file in [tool.audit.coverage], and no "
            "`start` serving a module:attribute in [tool.audit.api] or [tool.audit.load]"
        )
    return Plan(schema, schema_file, app)


def recorder_env(ctx: GateContext, plugin_dir: Path) -> dict[str, str]:
    """Put the recorder into PLUGIN_DIR (on the run's PYTHONPATH already, beside the outcome
    counter; written only when its content differs) and the variables that switch it on."""
    source = resources.files("gates.coverage").joinpath("route_recorder.py").read_bytes()
    target = plugin_dir / f"{RECORDER_PLUGIN}.py"
    if not target.is_file() or target.read_bytes() != source:
        partial = plugin_dir / f".{RECORDER_PLUGIN}.{os.getpid()}.tmp"
        partial.write_bytes(source)
        partial.replace(target)
    plan = planned(ctx)
    if isinstance(plan, str):
        return {}
    env = {route_recorder.FILE_VAR: str(ctx.workdir / RECORDING)}
    if plan.app:
        env[route_recorder.APP_VAR] = plan.app
    if plan.schema_file is None:
        env[route_recorder.SCHEMA_VAR] = plan.schema or ""
    return env
