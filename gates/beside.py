"""Work run beside the gate's own thread: pip-audit's audit while bandit scans, a share of
coverage's JSON report while the gate writes another.

The work runs its child processes through `auditor.procs`, within the gate's timeout (each
through `GateContext.run`). Ctrl-C reaches the runner's thread, which stops every child
process (`procs.shutdown`); should it reach the thread that waits here instead, the same is done
before the interruption goes on, and no work is left running behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from auditor import procs

T = TypeVar("T")


class Beside(Generic[T]):
    """`Beside(work)` runs WORK in a thread of its own; `result()` waits for what it returned
    or raised."""

    def __init__(self, work: Callable[[], T], name: str) -> None:
        self._work = work
        self._value: tuple[T] | None = None
        """What the work returned, once it did."""
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = (self._work(),)
        except BaseException as exc:  # handed to the waiting thread, raised there
            self._error = exc

    def result(self) -> T:
        """What the work returned; what it raised is raised here."""
        self._join()
        if self._error is not None:
            raise self._error
        if self._value is None:
            raise RuntimeError("the work beside ended without a result")
        return self._value[0]

    def abandon(self, reason: BaseException) -> None:
        """The waiting thread stops on REASON: an interruption (not an Exception) stops every
        child process first; either way the work ends before REASON goes on."""
        if not isinstance(reason, Exception):
            procs.shutdown()
        self._join()

    def _join(self) -> None:
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.1)
        except BaseException:
            # Interrupted while waiting: stop the children, then let the work end.
            procs.shutdown()
            self._thread.join()
            raise
