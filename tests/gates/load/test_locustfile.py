"""The generated locustfile on its own: the stage plan and the shape's phases, what the generated
code is told, the text rendered, and (in a child process, where locust may patch the interpreter
with gevent) the generated code run against the installed locust without any service."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import GateError
from gates.load import locustfile, stage_stats
from gates.load.locustfile import plan as stage_plans
from gates.load.locustfile import render
from gates.load.locustfile.plan import STOP_RATE, Stage, StagePlan, phases
from gates.load.locustfile.runtime import LATE_AFTER_S, Runtime, runtime_for
from gates.load.settings import LoadSettings, parse

ENDPOINTS: list[dict[str, object]] = [
    {"path": "/items"},
    {"path": "/orders", "method": "post", "weight": 3, "json": {"qty": 1}, "status": [201]},
]


def _settings(**options: object) -> LoadSettings:
    return parse({"start": "app {port}", "endpoints": ENDPOINTS, **options})


def _plan(tmp_path: Path, warmup_s: float = 2.0, repeats: int = 1) -> StagePlan:
    prefixes = tuple((tmp_path / f"n{i}", tmp_path / f"p{i}") for i in range(repeats))
    return StagePlan(
        normal=Stage("normal", 4, 2.0, 10.0), peak=Stage("peak", 40, 20.0, 10.0),
        settle_s=1.0, warmup_s=warmup_s, distributed=False, prefixes=prefixes, drain_s=12.0,
    )


@pytest.mark.unit
def test_the_shape_warms_up_then_measures_normal_and_peak_in_each_repeat(
    tmp_path: Path,
) -> None:
    plan = _plan(tmp_path, repeats=2)
    drain = ("drain", 0, STOP_RATE, 13.0, "")
    reset = ("reset", 0, 0.0, 0.0, "")

    def stage(name: str, users: int, rate: float, prefix: str) -> list[stage_plans.Phase]:
        return [("mark:" + name, 0, 0.0, 0.0, ""), ("run", users, rate, 10.0, ""), drain,
                ("write", 0, 0.0, 0.0, str(tmp_path / prefix)), reset]

    assert phases(plan) == [
        ("mark:warmup", 0, 0.0, 0.0, ""), ("run", 4, 2.0, 2.0, ""), drain, reset,
        *stage("normal", 4, 2.0, "n0"), *stage("peak", 40, 20.0, "p0"),
        *stage("normal", 4, 2.0, "n1"), *stage("peak", 40, 20.0, "p1"),
    ]
    # At most: the warm-up and its drain, then each stage and its drain.
    assert plan.total_s() == 2.0 + 13.0 + 4 * (10.0 + 13.0)


@pytest.mark.unit
def test_without_warmup_the_normal_stage_comes_first(tmp_path: Path) -> None:
    found = phases(_plan(tmp_path, warmup_s=0))
    assert found[0] == ("mark:normal", 0, 0.0, 0.0, "")
    assert not any(step[0] == "mark:warmup" for step in found)


@pytest.mark.unit
def test_the_stage_plan_follows_the_settings(tmp_path: Path) -> None:
    closed = locustfile.stage_plan(
        _settings(users=4, peak_users=12, spawn_rate=2, duration=3, warmup=1, repeats=3,
                  request_timeout=5),
        tmp_path, tmp_path / "stage",
    )
    assert (closed.normal, closed.peak) == (Stage("normal", 4, 2.0, 3.0),
                                            Stage("peak", 12, 12.0, 3.0))
    assert (closed.settle_s, closed.warmup_s, closed.drain_s) == (1.0, 1.0, 5.0 + 2.0)
    assert closed.prefixes == tuple(
        (tmp_path / f"load-normal{suffix}", tmp_path / f"load-peak{suffix}")
        for suffix in ("", "-2", "-3")
    )
    assert closed.stage_file == tmp_path / "stage"
    assert not closed.distributed
    # Open model: one user per arrival stream; spawned within a second.
    opened = locustfile.stage_plan(_settings(rate=250, peak_factor=3), tmp_path)
    assert (opened.normal.users, opened.peak.users) == (100, 300)
    assert (opened.normal.spawn_rate, opened.peak.spawn_rate) == (100.0, 300.0)
    assert opened.stage_file is None
    # Statistics from workers arrive late: longer pauses.
    workers = locustfile.stage_plan(_settings(processes=2), tmp_path)
    assert workers.distributed
    assert (workers.settle_s, workers.drain_s) == (4.0, 10.0 + 2.0 + 4.0)


@pytest.mark.unit
def test_the_generated_code_is_told_its_models_schedule() -> None:
    paced = runtime_for(_settings(wait="constant_throughput(4)", users=3, peak_users=30))
    assert paced == Runtime(request_timeout_s=10.0, late_after_s=LATE_AFTER_S, pace_s=0.25,
                            first_spread_s=0.25, stream_interval_s=None, pool_size=30)
    unpaced = runtime_for(_settings(wait="between(1, 3)", users=2, peak_users=5))
    assert (unpaced.pace_s, unpaced.first_spread_s, unpaced.pool_size) == (None, 2.0, 10)
    # 250 requests/s: 100 streams of 2.5/s; the peak (750/s) keeps a second's worth pooled.
    opened = runtime_for(_settings(rate=250, peak_factor=3, request_timeout=3))
    assert (opened.pace_s, opened.stream_interval_s, opened.pool_size) == (None, 0.4, 752)
    assert opened.request_timeout_s == 3.0
    assert runtime_for(_settings(rate=2000)).pool_size == 1000
    assert json.loads(paced.config()) == {
        "request_timeout": 10.0, "late_after_s": LATE_AFTER_S, "pace_s": 0.25,
        "first_spread_s": 0.25, "stream_interval_s": None, "pool_size": 30,
    }


def _assigned(tree: ast.Module, name: str) -> ast.expr:
    return next(
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    )


def _json_literal(tree: ast.Module, name: str) -> Any:
    """The JSON a `NAME = json.loads('...')` line of the generated code holds."""
    call = _assigned(tree, name)
    assert isinstance(call, ast.Call)
    argument = call.args[0]
    assert isinstance(argument, ast.Constant)
    assert isinstance(argument.value, str)
    return json.loads(argument.value)


def _classes(tree: ast.Module) -> set[str]:
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


@pytest.mark.unit
@pytest.mark.parametrize(("options", "users_class", "wait"), [
    ({"wait": "between(0.5, 2)"}, "AuditUser", "between(0.5, 2.0)"),
    ({"wait": "none"}, "AuditUser", "constant(0)"),
    ({"rate": 20}, "AuditArrivals", None),
])
def test_the_rendered_endpoints_locustfile_holds_its_settings(
    tmp_path: Path, options: dict[str, object], users_class: str, wait: str | None,
) -> None:
    settings = _settings(**options)
    plan = locustfile.stage_plan(settings, tmp_path, tmp_path / "stage")
    path = tmp_path / "audit_locustfile.py"
    locustfile.write(path, settings, plan, tmp_path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _classes(tree) == {users_class, "AuditStages"}
    assert _json_literal(tree, "AUDIT") == json.loads(runtime_for(settings).config())
    assert _json_literal(tree, "ENDPOINTS") == [
        {"path": "/items", "method": "GET", "weight": 1, "status": [], "json": None},
        {"path": "/orders", "method": "POST", "weight": 3, "status": [201], "json": {"qty": 1}},
    ]
    assert ast.literal_eval(_assigned(tree, "PHASES")) == phases(plan)
    assert ast.literal_eval(_assigned(tree, "STAGE_FILE")) == str(tmp_path / "stage")
    assert ast.literal_eval(_assigned(tree, "SETTLE_S")) == plan.settle_s
    if wait is not None:
        assert ast.unparse(_assigned(tree, "_wait")) == wait


@pytest.mark.unit
def test_a_target_locustfile_is_loaded_by_its_absolute_path(tmp_path: Path) -> None:
    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "users.py").write_text("")
    settings = parse({"start": "app {port}", "locustfile": "load/../load/users.py"})
    code = render.scenario(settings, tmp_path)
    tree = ast.parse(code)
    assert ast.literal_eval(_assigned(tree, "_PATH")) == str(tmp_path / "load" / "users.py")
    assert "ENDPOINTS" not in code
    with pytest.raises(GateError, match=r"the locustfile missing\.py does not exist under"):
        render.scenario(parse({"start": "app {port}", "locustfile": "missing.py"}), tmp_path)


@pytest.mark.unit
def test_only_an_earlier_audits_stage_files_are_removed(tmp_path: Path) -> None:
    stale = ["load-normal_stats.csv", "load-peak_failures.csv", "load-normal-2_stats.csv",
             "load-peak-3_exceptions.csv", "load-normal_audit.json", "load-peak-2_audit.json"]
    kept = ["load-service.log", "load-locust.log", "scorecard.json", "other_stats.csv"]
    for name in stale + kept:
        (tmp_path / name).write_text("x")
    locustfile.remove_stale_outputs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


RUN_GENERATED = textwrap.dedent('''
    """Imports a generated locustfile, as locust would, and drives it without a service."""
    import importlib.util, json, sys
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("audit_locustfile", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if sys.argv[2] == "users":
        from locust import User
        print(json.dumps(sorted(n for n, v in vars(module).items()
                                if isinstance(v, type) and issubclass(v, User)
                                and not v.abstract)))
        raise SystemExit(0)

    from locust import events
    from locust.env import Environment

    picks = [module._pick()["path"] for _ in range(40)]
    shape = module.AuditStages()
    environment = Environment(user_classes=[module.AuditUser], shape_class=shape, events=events)
    environment.create_local_runner()
    clock = [0.0]
    shape.get_run_time = lambda: clock[0]  # a tick a second, without waiting for it
    stage_file = Path(shape.STAGE_FILE)
    latency = {"warmup": 1, "normal": 2, "peak": 3}
    ticks, stages = [], []
    while len(ticks) < 500:
        stage = stage_file.read_text() if stage_file.exists() else None
        if stage:
            # A request answered now, its latency naming the stage that runs.
            environment.stats.log_request("GET", "/items", latency[stage], 0)
        ticks.append(shape.tick())
        stages.append(stage_file.read_text())
        if ticks[-1] is None:
            break
        clock[0] += 1.0
    print(json.dumps({"picks": picks, "ticks": ticks, "stages": stages}))
''')


def _runs(values: list[Any]) -> list[tuple[Any, int]]:
    """Consecutive equal values, each with how many times it came."""
    runs: list[tuple[Any, int]] = []
    for value in values:
        if runs and runs[-1][0] == value:
            runs[-1] = (value, runs[-1][1] + 1)
        else:
            runs.append((value, 1))
    return runs


def _run_generated(path: Path, what: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-c", RUN_GENERATED, str(path), what], capture_output=True, text=True,
        timeout=120, check=False, cwd=path.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_generated_locustfile_runs_its_stages_in_locust(tmp_path: Path) -> None:
    settings = _settings(users=3, peak_users=9, warmup=1, duration=2, repeats=2)
    plan = locustfile.stage_plan(settings, tmp_path, tmp_path / "stage")
    path = tmp_path / "audit_locustfile.py"
    locustfile.write(path, settings, plan, tmp_path)
    found = _run_generated(path, "shape")
    # Smooth weighted round robin: each endpoint's exact share, the rare one never twice in a row.
    assert found["picks"].count("/items") == 10
    assert found["picks"].count("/orders") == 30
    assert "/items, /items" not in ", ".join(found["picks"])
    # Users and spawn rate for each second: the warm-up, then each stage for its duration, all
    # users stopped at once for the pause after each; then the end.
    assert found["ticks"][-1] is None
    pause = (0, STOP_RATE)
    assert _runs([tuple(t) for t in found["ticks"][:-1]]) == [
        ((3, 3.0), 1), (pause, 1), ((3, 3.0), 2), (pause, 1), ((9, 9.0), 2), (pause, 1),
        ((3, 3.0), 2), (pause, 1), ((9, 9.0), 2), (pause, 1),
    ]
    # The stage file names each stage as it begins, for the database timing.
    assert [stage for stage, _ in _runs(found["stages"])] == [
        "warmup", "normal", "peak", "normal", "peak",
    ]
    # Each stage's files hold its own requests only: the statistics are reset in between.
    for normal, peak in plan.prefixes:
        for prefix, latency in ((normal, 2), (peak, 3)):
            record = stage_stats.read(prefix, prefix.name)
            assert set(record.total.histogram) == {latency}, prefix.name
            assert record.endpoints[0].name == "/items"
            assert prefix.with_name(prefix.name + "_stats.csv").is_file()
            assert prefix.with_name(prefix.name + "_failures.csv").is_file()


TARGET_USERS = """\
from locust import HttpUser, LoadTestShape, task


class Browser(HttpUser):
    @task
    def catalogue(self):
        self.client.get("/catalogue")
"""


def test_a_target_locustfiles_users_are_offered_and_its_own_shape_is_refused(
    tmp_path: Path,
) -> None:
    target = tmp_path / "target" / "locustfile.py"
    target.parent.mkdir()
    target.write_text(TARGET_USERS)
    settings = parse({"start": "app {port}", "locustfile": "locustfile.py"})
    plan = locustfile.stage_plan(settings, tmp_path)
    path = tmp_path / "audit_locustfile.py"
    locustfile.write(path, settings, plan, target.parent)
    # The target's User classes, none of locust's own (HttpUser is imported, not offered).
    assert _run_generated(path, "users") == ["Browser"]
    target.write_text(TARGET_USERS + "\n\nclass Spike(LoadTestShape):\n"
                      "    def tick(self):\n        return None\n")
    result = subprocess.run(
        [sys.executable, "-c", RUN_GENERATED, str(path), "users"], capture_output=True,
        text=True, timeout=120, check=False, cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "defines the load shape Spike" in result.stderr
