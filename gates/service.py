"""The audited service: how it is configured, started, checked for health and stopped.

One definition for every gate that needs the service running (api, load). Its keys (`start`,
`reset`, `port`, `cwd`, `env`, `health`, `startup_timeout`) are read from a gate's own table;
the api gate inherits them from `[tool.audit.load]` when its own table has no `start`
(`inherit_service_keys`), so an existing load configuration starts the service for both. The
table each key was read from is kept (`GateConfig.origins`, then `ServiceSettings.table`), so
every message about a key, and the scorecard, names the table the user wrote it in; a service
key of the gate's own table left unread that way is a warning.

The service runs from the `start` command, split like a shell would (shlex) but run without
one, in its own process group: stopping it terminates and then kills the whole group, so a
server that forks workers leaves nothing behind. Its output goes to a log next to the reports
(`<gate>-service.log`). It listens on 127.0.0.1; `{port}` in the command is a free port chosen
by binding 127.0.0.1:0, or the fixed `port` option. Each gate starts its own instance, and its
temporary directory (TMPDIR) is inside that gate's work directory, so what one gate's requests
stored in temporary files does not reach the next gate's service. State kept elsewhere (a
database, a file at a fixed path) is put back by `reset`: a command run to completion, in the
service's directory and environment, before each start.

A service that could not start (its reset failed, it exited or never became healthy, its port
was taken) is not started again in the same audit for the same definition: the failure is
remembered in the audit's work directory (the parent of the gates' own), which ends with the
audit, and the next gate reports it as its own error.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import shlex
import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from auditor import procs
from auditor.errors import ConfigError, GateError, ProcessTimeoutError
from auditor.model import OptionSpec
from auditor.plugin import GateConfig, ReadTable
from auditor.procs import Background

LOOPBACK = "127.0.0.1"
POLL_INTERVAL_S = 0.1
LOG_TAIL_LINES = 30
_PYTHON_NAMES = ("python", "python3")


SERVICE_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("start", "str", None,
               "command that starts the service (no shell); {port} is a free port, "
               "a leading `python` is the target's interpreter"),
    OptionSpec("reset", "str", None,
               "command run to completion before each start of the service (no shell, "
               "split like `start`, in its `cwd` and `env`), to put back the state it keeps "
               "(drop and migrate its database, delete its SQLite file); it has "
               "`startup_timeout` seconds"),
    OptionSpec("port", "int", None, "fixed port, for a start command without {port}"),
    OptionSpec("cwd", "str", None, "directory to start the service in (default: the root)"),
    OptionSpec("env", "table", None, "extra environment variables for the service"),
    OptionSpec("health", "str", "/", "path polled until it answers 2xx"),
    OptionSpec("startup_timeout", "number", 30, "seconds the service has to become healthy"),
)
SERVICE_KEYS = tuple(spec.name for spec in SERVICE_OPTIONS)


def table_name(gate_id: str) -> str:
    """`[tool.audit.load]`: how messages name a gate's table."""
    return f"[tool.audit.{gate_id}]"


_KINDS: dict[str, type | tuple[type, ...]] = {
    "str": str, "int": int, "number": (int, float), "table": dict,
}


def _fits(spec: OptionSpec, value: object) -> bool:
    """Whether VALUE passes auditor.config's check of SPEC's kind (a number not negative)."""
    kind = _KINDS.get(spec.kind)
    if kind is None:
        return True
    if isinstance(value, bool) or not isinstance(value, kind):
        return False
    return not isinstance(value, int | float) or value >= 0


def inherit_service_keys(source: str, table: Mapping[str, object],
                         tables: Mapping[str, object]) -> Mapping[str, object]:
    """A gate's config TABLE with the service keys of the SOURCE gate's table when it sets no
    `start` itself (all of them or none: a half-inherited service is a puzzle), as a ReadTable
    that names the SOURCE table for each key taken, and the service keys of TABLE it then
    leaves unread (the gate warns about them).

    Keys of the wrong kind are not taken (nor, then, any other): auditor.config checks the
    SOURCE table too and names them there, where they are written, not in this one."""
    if "start" in table:
        return table
    other = tables.get(source)
    if not isinstance(other, dict):
        return table
    if not all(_fits(spec, other[spec.name]) for spec in SERVICE_OPTIONS if spec.name in other):
        return table
    own = {key: value for key, value in table.items() if key not in SERVICE_KEYS}
    taken = {key: other[key] for key in SERVICE_KEYS if key in other}
    source_table = table_name(source)
    unused = {
        key: (f"without a `start` of its own, the gate takes every service key from "
              f"{source_table}; set `start` here too, or set `{key}` there")
        for key in SERVICE_KEYS if key in table
    }
    return ReadTable({**own, **taken}, dict.fromkeys(taken, source_table), unused)


def unused_key_warnings(config: GateConfig, table: str) -> tuple[str, ...]:
    """One warning per key of TABLE (the gate's own) that this configuration leaves unread."""
    return tuple(f"`{key}` in {table} is not used: {why}" for key, why in config.unused.items())


@dataclass(frozen=True)
class ServiceSettings:
    """The validated service keys of a gate's table."""

    start: tuple[str, ...]
    """The start command split into arguments, still holding `{port}` / `{python}`."""
    port: int | None
    cwd: str | None
    env: dict[str, str]
    health: str
    startup_timeout: float
    reset: tuple[str, ...] = ()
    """The reset command split into arguments (`{port}` / `{python}` as in `start`); empty
    when none is configured."""
    table: str = field(default="", compare=False)
    """The table the service keys were read from (`[tool.audit.load]`): the gate's own, or the
    one it inherited them from. Not part of the definition: the same service written in two
    tables is the same service."""

    def where(self, key: str) -> str:
        """`` `port` in [tool.audit.load] ``: a service key and the table it came from."""
        return f"`{key}` in {self.table}"


def _split_command(text: str, where: str, what: str) -> tuple[str, ...]:
    try:
        parts = tuple(shlex.split(text))
    except ValueError as exc:
        raise ConfigError(f"{where} cannot be split into arguments: {exc}") from None
    if not parts:
        raise ConfigError(f"{where} is empty; give the command that {what}")
    return parts


def _reset_command(config: GateConfig, table: str) -> tuple[str, ...]:
    text = config.option_str("reset")
    if text is None:
        return ()
    return _split_command(text, f"`reset` in {table}",
                          "puts the service's state back before it starts, or leave it out")


def env_table(value: dict[str, object] | None, table: str) -> dict[str, str]:
    """The `env` table as strings; None (unset) is no extra variable."""
    env: dict[str, str] = {}
    for key, item in (value or {}).items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ConfigError(f"`env.{key}` in {table} must be a string or a number")
        env[key] = str(item)
    return env


def with_defaults(specs: Iterable[OptionSpec], options: Mapping[str, object],
                  origins: Mapping[str, str] | None = None) -> GateConfig:
    """OPTIONS as a gate's configuration holds them: each of SPECS left unset at its
    OptionSpec's default, as auditor.config completes a `[tool.audit.<gate>]` table (a table
    that already went through it is unchanged), to be read with `GateConfig.option_*`; ORIGINS
    as `GateConfig.origins` (the tables keys were taken from)."""
    values: dict[str, object] = {spec.name: spec.default for spec in specs}
    values.update(options)
    return GateConfig(thresholds={}, blocking={}, options=values, timeout=0.0,
                      origins=dict(origins or {}))


def parse_service(config: GateConfig, table: str) -> ServiceSettings:
    """Check the service keys of TABLE (e.g. `[tool.audit.load]`) in CONFIG, read as
    SERVICE_OPTIONS declare them; ConfigError if they cannot work. Keys another gate's table
    handed on (`inherit_service_keys`) are named in that table."""
    start_text = config.option_str("start")
    table = config.origins.get("start", table)
    if start_text is None:
        raise ConfigError(f"`start` in {table} is not set; give the command that starts the "
                          "service")
    start = _split_command(start_text, f"`start` in {table}", "starts the service")
    fixed_port = config.option_int("port")
    if fixed_port is not None and not 1 <= fixed_port <= 65535:
        raise ConfigError(f"`port` in {table} must be between 1 and 65535")
    if "{port}" not in start_text and fixed_port is None:
        raise ConfigError(
            f"`start` in {table} has no `{{port}}`: put `{{port}}` where the service takes its "
            "port (a free one is chosen), or set `port` to the fixed port it listens on"
        )
    health = config.option_str("health")
    if health is None or not health.startswith("/"):
        raise ConfigError(f"`health` in {table} must be a path starting with `/`")
    startup_timeout = config.option_number("startup_timeout")
    if startup_timeout is None or startup_timeout <= 0:
        raise ConfigError(f"`startup_timeout` in {table} must be above 0")
    return ServiceSettings(
        start=start,
        port=fixed_port,
        cwd=config.option_str("cwd"),
        env=env_table(config.option_table("env"), table),
        health=health,
        startup_timeout=startup_timeout,
        reset=_reset_command(config, table),
        table=table,
    )


@dataclass(frozen=True)
class RunningService:
    """A service that answered its health check."""

    port: int
    base_url: str
    log_path: Path
    process: Background
    startup_s: float


def free_port() -> int:
    """A port nothing listens on right now, chosen by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_accepts(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((LOOPBACK, port)) == 0


def expand_start(tokens: tuple[str, ...], port: int, python: Path) -> list[str]:
    """The start command with `{port}` and `{python}` filled in.

    A bare leading `python` / `python3` means the target's interpreter, so the service runs
    with the target's installed dependencies rather than whatever is first on PATH.
    """
    cmd = [t.replace("{port}", str(port)).replace("{python}", str(python)) for t in tokens]
    if cmd[0] in _PYTHON_NAMES:
        cmd[0] = str(python)
    return cmd


def service_env(base: Mapping[str, str], settings: ServiceSettings, python: Path,
                workdir: Path) -> dict[str, str]:
    """The service's environment: the auditor's, the target interpreter's bin first on PATH,
    bytecode caches kept out of the target's tree, a temporary directory of its own in the
    gate's work directory, then the configured `env` on top."""
    env = dict(base)
    env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    tmp = workdir / "service-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmp)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings.env)
    return env


def _health_status(port: int, path: str, timeout: float) -> str | int:
    """The HTTP status of one health request, or why it failed."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def last_lines(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of the service's log, indented for the terminal ("(no output)" if none)."""
    try:
        text = log_path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        text = ""
    tail = text.rstrip("\n").splitlines()[-lines:]
    return "\n".join("    " + line for line in tail) or "    (no output)"


def exit_text(code: int, log_path: Path) -> str:
    """What to say when the service exited while it was under load."""
    return (
        f"the service exited with code {code} during the load; the last lines of "
        f"{log_path.name}:\n{last_lines(log_path)}"
    )


def service_failure(message: str, process: Background) -> GateError:
    """A GateError naming MESSAGE and the last lines of the service's log."""
    tail = process.log_tail(LOG_TAIL_LINES)
    shown = "\n".join("    " + line for line in tail.splitlines()) or "    (no output)"
    return GateError(
        f"{message}; the last lines of {process.log_path.name}:\n{shown}",
        log_tail=tail, log=str(process.log_path),
    )


NO_SUCH_PATH = (404, 405)
"""Answers to the health check that mean the path does not exist, not that the service is
still starting: an error at once, not after `startup_timeout`."""


def wait_healthy(process: Background, port: int, path: str, timeout_s: float) -> float:
    """Poll `path` until it answers 2xx; seconds it took. GateError if the service exits or
    does not become healthy in time."""
    started = time.monotonic()
    deadline = started + timeout_s
    last: str | int = "no answer yet"
    while True:
        code = process.poll()
        if code is not None:
            raise service_failure(
                f"the service exited with code {code} before {path} answered", process
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise service_failure(
                f"the service did not answer 2xx at http://{LOOPBACK}:{port}{path} within "
                f"{timeout_s:g} s (last: {last}); raise `startup_timeout` if it is only slow",
                process,
            )
        last = _health_status(port, path, min(2.0, remaining))
        if isinstance(last, int) and 200 <= last < 300:
            return time.monotonic() - started
        if last in NO_SUCH_PATH:
            # The service is up and routing: waiting longer cannot make the path exist.
            raise service_failure(
                f"GET {path} answered {last}: the service has no such health endpoint; set "
                "`health` to a path that answers 2xx once the service is up", process,
            )
        last = f"HTTP {last}" if isinstance(last, int) else last
        time.sleep(POLL_INTERVAL_S)


def run_reset(settings: ServiceSettings, *, cwd: Path, port: int, python: Path,
              env: Mapping[str, str]) -> None:
    """Run the `reset` command to completion (within `startup_timeout`); GateError naming it,
    its exit code and the tail of its output when it fails."""
    if not settings.reset:
        return
    cmd = expand_start(settings.reset, port, python)
    where = settings.where("reset")
    try:
        result = procs.run(cmd, cwd=cwd, timeout=settings.startup_timeout, env=env)
    except ProcessTimeoutError:
        raise GateError(
            f"the service's reset ({where}) `{shlex.join(cmd)}` did not finish within "
            f"{settings.startup_timeout:g} s (`startup_timeout`) and was stopped; the service "
            "was not started"
        ) from None
    except GateError as exc:
        raise GateError(f"the service's reset ({where}) could not run: {exc}") from None
    if result.returncode != 0:
        output = "\n".join(filter(None, (result.stdout.strip(), result.stderr.strip())))
        tail = "\n".join(output.splitlines()[-LOG_TAIL_LINES:])
        shown = "\n".join("    " + line for line in tail.splitlines()) or "    (no output)"
        raise GateError(
            f"the service's reset ({where}) `{shlex.join(cmd)}` exited with code "
            f"{result.returncode}; the service was not started; the last lines of its "
            f"output:\n{shown}",
            log_tail=tail,
        )


class StartFailure(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Why a service could not start, as the gate that tried it reported it."""

    gate: str
    """The gate that tried (the name of its work directory)."""
    reason: str
    log_tail: str | None = None
    log: str | None = None


FAILURES_DIR = "service-start-failures"
"""Where, in an audit's work directory, failed starts are remembered for that audit."""


def _failure_file(settings: ServiceSettings, root: Path, python: Path, workdir: Path) -> Path:
    """The file that remembers a failed start of this service definition (the settings but
    the table they came from, the target and its interpreter) in this audit: under the
    audit's work directory, the parent of WORKDIR (the gate's own)."""
    definition = msgspec.json.encode((
        str(root), str(python), settings.start, settings.reset, settings.port, settings.cwd,
        sorted(settings.env.items()), settings.health, settings.startup_timeout,
    ))
    digest = hashlib.sha256(definition).hexdigest()[:24]
    return workdir.parent / FAILURES_DIR / f"{digest}.json"


def _failed_before(path: Path) -> GateError | None:
    """The error of the earlier failed start PATH remembers, or None."""
    try:
        failure = msgspec.json.decode(path.read_bytes(), type=StartFailure)
    except (OSError, msgspec.DecodeError):
        return None
    return GateError(
        f"the service could not start for the {failure.gate} gate earlier in this audit, and "
        f"the same service is not started again: {failure.reason}",
        log_tail=failure.log_tail, log=failure.log,
    )


def _remember_failure(path: Path, gate: str, exc: GateError) -> None:
    failure = StartFailure(gate=gate, reason=str(exc), log_tail=exc.log_tail, log=exc.log)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(msgspec.json.encode(failure))
    temporary.replace(path)


def _chosen_port(settings: ServiceSettings) -> int:
    """The fixed `port`, or a free one; GateError when something already listens there."""
    port = settings.port if settings.port is not None else free_port()
    if port_accepts(port):
        chosen = settings.where("port") if settings.port is not None else "the free port chosen"
        raise GateError(
            f"port {port} ({chosen}) already accepts connections before the service started; "
            "the audit would measure whatever listens there: stop it, or choose another "
            f"{settings.where('port')}"
        )
    return port


def _start(settings: ServiceSettings, *, root: Path, python: Path, log_path: Path,
           env: Mapping[str, str], extra_env: Mapping[str, str]) -> RunningService:
    """Reset, start and wait until healthy; the process is stopped if it does not get there."""
    port = _chosen_port(settings)
    cwd = (root / settings.cwd) if settings.cwd else root
    if not cwd.is_dir():
        raise GateError(f"`cwd` {cwd} of the service ({settings.where('cwd')}) is not a "
                        "directory")
    run_reset(settings, cwd=cwd, port=port, python=python, env=env)
    cmd = expand_start(settings.start, port, python)
    process = Background(cmd, cwd=cwd, log_path=log_path, env={**env, **extra_env})
    try:
        startup = wait_healthy(process, port, settings.health, settings.startup_timeout)
    except BaseException:
        process.stop()
        raise
    return RunningService(port, f"http://{LOOPBACK}:{port}", log_path, process, startup)


@contextlib.contextmanager
def running(settings: ServiceSettings, *, root: Path, python: Path, workdir: Path,
            log_path: Path, base_env: Mapping[str, str],
            extra_env: Mapping[str, str] | None = None) -> Iterator[RunningService]:
    """Reset the service's state (`reset`), start it, wait until healthy, and stop its whole
    process group afterwards, however the block ends (pass, fail, error, timeout, Ctrl-C).

    WORKDIR is the gate's work directory inside the audit's (GateContext.workdir): a start
    that fails is remembered in the audit's, and the same definition is not started again in
    that audit (the earlier failure is raised). EXTRA_ENV is added to the service's own
    environment but not to its reset's, and is not part of its definition (the load gate's
    database timing)."""
    memory = _failure_file(settings, root, python, workdir)
    earlier = _failed_before(memory)
    if earlier is not None:
        raise earlier
    env = service_env(base_env, settings, python, workdir)
    try:
        service = _start(settings, root=root, python=python, log_path=log_path, env=env,
                         extra_env=extra_env or {})
    except GateError as exc:
        with contextlib.suppress(OSError):  # not remembered: the next gate tries again
            _remember_failure(memory, workdir.name, exc)
        raise
    try:
        yield service
    finally:
        service.process.stop()
