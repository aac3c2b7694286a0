"""The whole locustfile as text: header, scenario (the configured endpoints or the target's own
locustfile) and the stages' load shape."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.errors import GateError
from gates.load.locustfile import source
from gates.load.locustfile.plan import StagePlan, phases
from gates.load.locustfile.runtime import Runtime, runtime_for
from gates.load.settings import Endpoint, LoadSettings, WaitModel


def _endpoint_data(endpoint: Endpoint) -> dict[str, object]:
    return {
        "path": endpoint.path,
        "method": endpoint.method,
        "weight": endpoint.weight,
        "status": list(endpoint.status),
        "json": endpoint.json,
    }


def endpoints_scenario(endpoints: tuple[Endpoint, ...], wait: WaitModel | None) -> str:
    """The configured requests with their weights: closed-model users waiting per `wait`, or,
    when `wait` is None, open-model arrival streams."""
    data = json.dumps([_endpoint_data(e) for e in endpoints])
    code = source.ENDPOINT_REQUESTS.format(endpoints=repr(data))
    if wait is None:
        return code + source.OPEN_ARRIVALS
    return code + source.CLOSED_USERS.format(wait=wait.code())


def target_scenario(locustfile: Path) -> str:
    """The User classes of the target's own locustfile, loaded by absolute path."""
    return source.TARGET_USERS.format(path=repr(str(locustfile)))


def scenario(settings: LoadSettings, root: Path) -> str:
    """The settings' scenario: their endpoints, or the target's locustfile under `root`."""
    if settings.locustfile is None:
        wait = None if settings.open_model else settings.wait
        return endpoints_scenario(settings.endpoints, wait)
    path = (root / settings.locustfile).resolve()
    if not path.is_file():
        raise GateError(f"the locustfile {settings.locustfile} does not exist under {root}")
    return target_scenario(path)


def stages_shape(plan: StagePlan) -> str:
    """The LoadTestShape running the stages and writing each one's statistics."""
    return source.SHAPE.format(
        phases=repr(phases(plan)), settle=repr(plan.settle_s),
        stage_file=repr(str(plan.stage_file) if plan.stage_file else None),
    )


def render(scenario_code: str, plan: StagePlan, runtime: Runtime) -> str:
    """The whole locustfile: header, scenario and stages."""
    return source.HEADER.format(config=repr(runtime.config())) + scenario_code + stages_shape(plan)


def write(path: Path, settings: LoadSettings, plan: StagePlan, root: Path) -> None:
    """Write the locustfile that runs the settings' scenario through the plan's stages."""
    path.write_text(render(scenario(settings, root), plan, runtime_for(settings)),
                    encoding="utf-8")
