"""The auditor's exceptions: one base class, one subclass per way things go wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.model import Details


class AuditError(Exception):
    """Base of every error the auditor raises on purpose."""


class ConfigError(AuditError):
    """Bad input: a wrong path, broken or invalid configuration. Nothing was run (exit 2)."""


class GateError(AuditError):
    """A gate could not measure: tool missing, crash, timeout, nothing measured, bad output."""

    def __init__(
        self, reason: str, *, log_tail: str | None = None, log: str | None = None,
        details: Details | None = None,
    ) -> None:
        super().__init__(reason)
        self.log_tail = log_tail
        """The failed tool's command and output tail, kept in the errored gate's details."""
        self.log = log
        """Where a longer log was kept."""
        self.details = details
        """What the gate got to before it failed, in its own details type."""


class ToolMissingError(GateError):
    """An external executable was not found."""


class ProcessTimeoutError(GateError):
    """An external command ran past its time limit and was killed with its process group."""


class SkipGateError(AuditError):
    """A gate found nothing it could measure for a reason that is no fault (too few recorded
    runs): the gate is skipped, each condition with its reason, and the verdict is unchanged."""

    def __init__(
        self, reason: str, *, conditions: dict[str, str] | None = None,
        details: Details | None = None,
    ) -> None:
        super().__init__(reason)
        self.conditions: dict[str, str] = dict(conditions or {})
        """Reasons by condition id; a condition not named gets the gate's reason."""
        self.details = details
