"""The rules every test run keeps, whatever is selected.

- A test marked `unit` runs pure code: starting a process or opening a socket in one fails it.
- Under CI (`CI` set, as every CI service sets it) a skipped test fails: a real component the
  suite needs (Chromium, PostgreSQL, the pinned tool environment) is missing, and a green run
  must not hide that nothing was checked.
- SIGTERM (a CI timeout, `kill`) ends the run like Ctrl-C, so every fixture's teardown runs and
  no server the suite started is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Generator, Iterator
from types import FrameType
from typing import Any, NoReturn

import pytest

UNIT = "unit"
INTEGRATION = "integration"
SLOW = "slow"
TIERS = (UNIT, INTEGRATION, SLOW)


class ImpureUnitTestError(AssertionError):
    """A `unit` test reached for the world outside its process."""


def _forbidden(what: str) -> Any:
    def refuse(*_args: object, **_kwargs: object) -> NoReturn:
        raise ImpureUnitTestError(
            f"a test marked `{UNIT}` may not {what}; mark it with another tier instead"
        )

    return refuse


@contextlib.contextmanager
def _in_process_only() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess.Popen, "_execute_child", _forbidden("start a process"))
        patch.setattr(os, "system", _forbidden("start a process"))
        patch.setattr(os, "posix_spawn", _forbidden("start a process"))
        patch.setattr(os, "fork", _forbidden("fork"))
        patch.setattr(socket.socket, "connect", _forbidden("open a connection"))
        patch.setattr(socket.socket, "connect_ex", _forbidden("open a connection"))
        patch.setattr(socket.socket, "bind", _forbidden("listen on a socket"))
        yield


def _guarded(item: pytest.Item) -> contextlib.AbstractContextManager[None]:
    """For a unit test, every phase (the fixtures it sets up, module-scoped ones included, its
    call and teardown) stays in this process."""
    return _in_process_only() if item.get_closest_marker(UNIT) else contextlib.nullcontext()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _guarded(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _guarded(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    with _guarded(item):
        return (yield)


def skips_fail() -> bool:
    """Whether a skipped test counts as a failure: under CI."""
    return bool(os.environ.get("CI"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if not (report.skipped and skips_fail()) or hasattr(report, "wasxfail"):
        return report
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = (
        f"{item.nodeid} was skipped under CI ({reason}). CI must not pass on tests that did not "
        "run: install what is missing (scripts/test.sh does), or unset CI to skip locally."
    )
    return report


def _terminate(signum: int, _frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core, as most tests wait on a tool or a service; one per core
    for the unit tier alone, which is pure CPU (each further worker only collects the whole
    suite again: 12 s instead of 19 s on two cores)."""
    cores = os.cpu_count() or 1
    return cores if config.getoption("markexpr") == UNIT else 2 * cores


def pytest_configure(config: pytest.Config) -> None:  # the hook's signature
    signal.signal(signal.SIGTERM, _terminate)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test gets its tier: `unit` and `slow` are marked in the tests, the rest are
    `integration`; first among the hooks, so that `-m` selects by these tiers. Slow tests are
    collected first, so that parallel workers start the longest work early instead of ending
    the run with it."""
    for item in items:
        tiers = {m.name for m in item.iter_markers() if m.name in TIERS}
        if len(tiers) > 1:
            raise pytest.UsageError(f"{item.nodeid} is marked {' and '.join(sorted(tiers))}: "
                                    "a test belongs to one tier")
        if not tiers:
            item.add_marker(INTEGRATION)
    items.sort(key=lambda item: item.get_closest_marker(SLOW) is None)
