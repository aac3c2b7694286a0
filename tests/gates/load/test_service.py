"""The service definition the api and load gates share (gates/service.py), against real services.

The service is tests/fixtures/load_state_server.py: it keeps notes in a SQLite file outside the
target, answers `GET /fresh` with 409 once a note is stored, and its reset mode deletes the file
(or fails on request). It counts its own starts and resets in files, so the tests can tell how
often the audit started it.
"""

from __future__ import annotations

import json
import shlex
import socket
import sys
from pathlib import Path

import pytest

from auditor import config, runner
from auditor.errors import ConfigError
from auditor.model import GateResult, Scorecard
from gates.api import settings as api_settings
from gates.load import settings as load_settings
from gates.load.details import LoadDetails
from tests.helpers import FIXTURES, audit, gate, write_project

SERVER = FIXTURES / "load_state_server.py"
LOAD = """\
users = 2
peak_users = 2
warmup = 0
duration = 1
endpoints = [{ path = "/fresh", status = [200] }]
"""


def _command(*args: str | Path | int) -> str:
    return shlex.join(["python", str(SERVER), *map(str, args)])


def _project(root: Path, load_table: str, api_table: str = "") -> Path:
    text = ('[project]\nname = "svc"\nversion = "0"\n\n[tool.audit.load]\n' + load_table
            + ("\n[tool.audit.api]\n" + api_table if api_table else ""))
    return write_project(root, {"pyproject.toml": text})


def _in_process(root: Path, out: Path, gates: tuple[str, ...]) -> Scorecard:
    """One audit of GATES on ROOT in this process (tools and services still run as child
    processes), as `audit run` would run it."""
    cfg = config.load(root, None)
    plan = runner.Plan(
        root=root, python=Path(sys.executable), python_source="the test's interpreter",
        out_dir=out, gates=cfg.gates, selected=gates, enabled=cfg.enabled, jobs=1,
        exclude=cfg.exclude,
    )
    return runner.run_audit(plan)


def _result(card: Scorecard, gate_id: str) -> GateResult:
    return next(g for g in card.gates if g.id == gate_id)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.mark.slow
def test_reset_runs_before_each_start_so_the_api_gates_notes_do_not_reach_the_load(
    tmp_path: Path,
) -> None:
    db, resets = tmp_path / "notes.db", tmp_path / "resets.log"
    root = _project(tmp_path / "svc", "\n".join([
        f"start = {json.dumps(_command('--port', '{port}', '--db', db))}",
        f"reset = {json.dumps(_command('--reset', '--db', db, '--resets', resets))}",
        'health = "/health"',
        'cwd = "run"',
        'env = { MARK = "from env" }',
        LOAD,
    ]), "max_examples = 5\nseed = 7\n")
    write_project(root, {"run/.keep": ""})
    card = _in_process(root, tmp_path / "out", ("api", "load"))
    api, load = _result(card, "api"), _result(card, "load")
    assert api.status != "error", api.reason
    # Once before the api gate's start, once before the load gate's: the second found the
    # notes the api gate's generated requests stored, and dropped them.
    first, second = (json.loads(line) for line in _lines(resets))
    assert first["dropped"] == 0
    assert second["dropped"] > 0, second
    # In the service's directory and environment (its own TMPDIR in each gate's work
    # directory), without what only the service needs (the load gate's database timing).
    for reset, gate_id in ((first, "api"), (second, "load")):
        assert Path(reset["cwd"]) == root / "run"
        assert reset["mark"] == "from env"
        assert reset["timing"] is False
        assert Path(reset["tmpdir"]).parent.name == gate_id
    assert load.status != "error", load.reason
    assert isinstance(load.details, LoadDetails)
    normal = load.details.stages["normal"]
    assert normal.requests > 0
    assert normal.failures == 0, normal.failures_seen
    assert next(c for c in load.conditions if c.id == "error_rate").value == 0


@pytest.mark.slow
def test_a_failing_reset_is_the_gates_error_with_its_command_exit_code_and_output(
    tmp_path: Path,
) -> None:
    db, starts = tmp_path / "notes.db", tmp_path / "starts.log"
    root = _project(tmp_path / "svc", "\n".join([
        f"start = {json.dumps(_command('--port', '{port}', '--db', db, '--starts', starts))}",
        f"reset = {json.dumps(_command('--reset', '--db', db, '--fail', 4))}",
        'health = "/health"',
        LOAD,
    ]))
    code, card = audit(root, tmp_path / "out", gates="load", python=sys.executable)
    assert code == 3
    reason = gate(card, "load")["reason"]
    assert "the service's reset (`reset` in [tool.audit.load])" in reason
    assert f"{SERVER} --reset --db {db} --fail 4" in reason
    assert "exited with code 4" in reason
    assert "resetting the notes" in reason
    assert "cannot drop the notes: database is locked" in reason
    assert "database is locked" in gate(card, "load")["details"]["log_tail"]
    assert _lines(starts) == [], "the service was started after its reset failed"


@pytest.mark.slow
def test_a_reset_that_outlasts_startup_timeout_is_stopped_and_is_the_gates_error(
    tmp_path: Path,
) -> None:
    starts = tmp_path / "starts.log"
    start = _command("--port", "{port}", "--db", tmp_path / "n.db", "--starts", starts)
    root = _project(tmp_path / "svc", "\n".join([
        f"start = {json.dumps(start)}",
        f"reset = {json.dumps(shlex.join(['{python}', '-c', 'import time; time.sleep(60)']))}",
        'health = "/health"',
        "startup_timeout = 1",
        LOAD,
    ]))
    card = _in_process(root, tmp_path / "out", ("load",))
    load = _result(card, "load")
    assert load.status == "error"
    assert load.reason is not None
    assert "the service's reset (`reset` in [tool.audit.load])" in load.reason
    assert "time.sleep(60)" in load.reason
    assert "did not finish within 1 s" in load.reason
    assert _lines(starts) == []


@pytest.mark.slow
def test_a_service_that_cannot_start_is_started_once_per_audit_and_fails_both_gates(
    tmp_path: Path,
) -> None:
    starts = tmp_path / "starts.log"
    start = _command("--port", "{port}", "--db", tmp_path / "n.db", "--starts", starts,
                     "--exit", 3)
    root = _project(tmp_path / "svc", f"start = {json.dumps(start)}\n"
                    f'health = "/health"\n{LOAD}')
    for audits in (1, 2):
        # Audits in one process: what one remembered must not reach the next.
        card = _in_process(root, tmp_path / f"out-{audits}", ("api", "load"))
        api, load = _result(card, "api"), _result(card, "load")
        assert _lines(starts) == ["started"] * audits
        assert api.status == load.status == "error"
        assert api.reason is not None
        assert load.reason is not None
        assert "the service exited with code 3 before /health answered" in api.reason
        assert "cannot start: exiting with 3" in api.reason
        assert "could not start for the api gate earlier in this audit" in load.reason
        assert api.reason in load.reason
        assert load.details.log_tail == api.details.log_tail
        assert load.details.log is not None
        assert load.details.log.endswith("api-service.log")


@pytest.mark.slow
def test_a_taken_fixed_port_is_named_in_the_table_it_was_set_in(tmp_path: Path) -> None:
    starts = tmp_path / "starts.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        start = _command("--port", port, "--db", tmp_path / "n.db", "--starts", starts)
        root = _project(tmp_path / "svc", f"start = {json.dumps(start)}\nport = {port}\n"
                        f'health = "/health"\n{LOAD}')
        card = _in_process(root, tmp_path / "out", ("api", "load"))
    for gate_id in ("api", "load"):
        reason = _result(card, gate_id).reason
        assert reason is not None
        assert f"port {port} (`port` in [tool.audit.load]) already accepts connections" in reason
        assert "[tool.audit.api]" not in reason
    assert _lines(starts) == []


def test_inherited_service_keys_are_read_and_named_in_the_table_they_came_from(
    tmp_path: Path,
) -> None:
    start = _command("--port", "{port}", "--db", tmp_path / "n.db")
    reset = _command("--reset", "--db", tmp_path / "n.db")
    root = _project(tmp_path / "inherits", f"start = {json.dumps(start)}\n"
                    f"reset = {json.dumps(reset)}\n{LOAD}", "max_examples = 5\n")
    api_config = config.load(root, None).gates["api"]
    api = api_settings.parse(api_config.options, api_config.origins).service
    load = load_settings.parse(config.load(root, None).gates["load"].options).service
    assert (api.table, load.table) == ("[tool.audit.load]", "[tool.audit.load]")
    assert api == load
    assert api.reset == ("python", str(SERVER), "--reset", "--db", str(tmp_path / "n.db"))
    assert api.where("port") == "`port` in [tool.audit.load]"

    own = _project(tmp_path / "own", f"start = {json.dumps(start)}\n{LOAD}",
                   f"start = {json.dumps(start)}\n")
    service = api_settings.parse(config.load(own, None).gates["api"].options).service
    assert service.table == "[tool.audit.api]"
    assert service.reset == ()

    # The api gate's table is checked first: a key it inherited is still named where it is.
    fixed = _project(tmp_path / "no-port", f"start = {json.dumps(_command('--db', 'n.db'))}\n"
                     f"{LOAD}")
    with pytest.raises(ConfigError, match=r"`start` in \[tool\.audit\.load\] has no `\{port\}`"):
        config.load(fixed, None)


@pytest.mark.parametrize(("line", "needle"), [
    ('reset = ""', r"`reset` in \[tool\.audit\.load\] is empty"),
    ('reset = "python -c \'unclosed"', r"`reset` in \[tool\.audit\.load\] cannot be split"),
    ("reset = 3", r"`reset` in \[tool\.audit\.load\] must be a string"),
    ("port = -1", r"`port` in \[tool\.audit\.load\] cannot be negative"),
    ("env = 3", r"`env` in \[tool\.audit\.load\] must be a table"),
])
def test_a_service_key_that_cannot_work_is_a_config_error_naming_its_table(
    tmp_path: Path, line: str, needle: str,
) -> None:
    """The api gate takes these keys from [tool.audit.load] (and its table is checked first):
    each error still names the table the key is written in."""
    root = _project(tmp_path / "svc", f"start = {json.dumps(_command('--port', '{port}'))}\n"
                    f"{line}\n{LOAD}")
    with pytest.raises(ConfigError, match=needle):
        config.load(root, None)
