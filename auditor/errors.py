"""The auditor's exceptions: one base class, one subclass per way things go wrong."""


class AuditError(Exception):
    """Base of every error the auditor raises on purpose."""


class ConfigError(AuditError):
    """Bad input: a wrong path, broken or invalid configuration. Nothing was run (exit 2)."""


class GateError(AuditError):
    """A gate could not measure: tool missing, crash, timeout, nothing measured, bad output."""

    def __init__(self, reason: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(reason)
        self.details: dict[str, object] = dict(details or {})
        """Facts kept in the errored gate's details, e.g. `log_tail`."""


class ToolMissingError(GateError):
    """An external executable was not found."""


class ProcessTimeoutError(GateError):
    """An external command ran past its time limit and was killed with its process group."""


class SkipGateError(AuditError):
    """A gate found nothing it could measure for a reason that is no fault (too few recorded
    runs): the gate is skipped, each condition with its reason, and the verdict is unchanged."""

    def __init__(
        self, reason: str, *, conditions: dict[str, str] | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(reason)
        self.conditions: dict[str, str] = dict(conditions or {})
        """Reasons by condition id; a condition not named gets the gate's reason."""
        self.details: dict[str, object] = dict(details or {})
