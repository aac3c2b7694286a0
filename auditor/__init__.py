"""Auditor: quality gates for Python projects, scored into one scorecard."""

__version__ = "0.1.0"
