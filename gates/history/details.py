"""The history gate's `details`, typed: the success metrics over the window, with what is behind
them (the records of auditor.sections), where the main branch came from and the store read.

The field names are the scorecard's JSON keys; msgspec writes them and reads them back, and a
value of the wrong type is a validation error naming the field.
"""

from __future__ import annotations

import msgspec

from auditor.model import Details
from auditor.sections import Episode, FirstAudit, MetricFigure


class HistoryDetails(Details, frozen=True):
    """The metrics' summary (`auditor.sections.Metrics`'s keys), the main branch's source and
    the store."""

    window_days: int | None = None
    """Days of recorded runs the metrics look back over."""
    main_branch: str | None = None
    since: str | None = None
    """The window's start, ISO-8601."""
    figures: dict[str, MetricFigure] = msgspec.field(default_factory=dict)
    """By condition id: its value, or why it has none, and the runs behind it."""
    episodes: tuple[Episode, ...] = ()
    """Failures on the main branch and their recoveries, oldest first."""
    first_audits: tuple[FirstAudit, ...] = ()
    """Each branch's first audit in the window."""
    main_branch_source: str | None = None
    """Where the main branch was named (configured, read from git, the default)."""
    store: str | None = None
    """The store read, as shown to people (never with a password)."""
