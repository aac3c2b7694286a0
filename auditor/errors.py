"""The auditor's exceptions: one base class, one subclass per way things go wrong."""


class AuditError(Exception):
    """Base of every error the auditor raises on purpose."""


class ConfigError(AuditError):
    """Bad input: a wrong path, broken or invalid configuration. Nothing was run (exit 2)."""


class GateError(AuditError):
    """A gate could not measure: tool missing, crash, timeout, nothing measured, unreadable output."""


class ToolMissingError(GateError):
    """An external executable was not found."""


class ProcessTimeoutError(GateError):
    """An external command ran past its time limit and was killed with its process group."""
