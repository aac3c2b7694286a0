"""What the generated locustfile's own code needs to know, as the JSON it reads (`AUDIT`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from gates.load.settings import LoadSettings

LATE_AFTER_S = 0.1
"""A request sent more than this after its intended time (and not held up by an earlier slow
answer) is late: the generator's lag, not the service's."""
MAX_POOL = 1000


@dataclass(frozen=True)
class Runtime:
    """What the generated locustfile's own code needs to know."""

    request_timeout_s: float
    late_after_s: float
    pace_s: float | None = None
    """Closed model: seconds between a user's intended starts (constant_throughput/pacing)."""
    first_spread_s: float = 0.0
    """Closed model: the users' first requests are spread over this many seconds."""
    stream_interval_s: float | None = None
    """Open model: seconds between one stream's arrivals."""
    pool_size: int = 10

    def config(self) -> str:
        return json.dumps({
            "request_timeout": self.request_timeout_s,
            "late_after_s": self.late_after_s,
            "pace_s": self.pace_s,
            "first_spread_s": self.first_spread_s,
            "stream_interval_s": self.stream_interval_s,
            "pool_size": self.pool_size,
        })


def runtime_for(settings: LoadSettings) -> Runtime:
    """The runtime of the settings' load model."""
    # One connection pool is shared by a process's users: kept connections for every user in the
    # closed model, for a second's worth of peak arrivals in the open model (more are opened
    # as needed and closed after use).
    pool = min(MAX_POOL, max(10, settings.peak_users))
    interval = None
    if settings.open_model:
        per_stream = settings.open_streams()[2]
        interval = 1.0 / per_stream
        pool = min(MAX_POOL, max(10, math.ceil(settings.offered_rps(peak=True) or 0.0) + 2))
    return Runtime(
        request_timeout_s=settings.request_timeout,
        late_after_s=LATE_AFTER_S,
        pace_s=None if settings.open_model else settings.wait.pace_s(),
        first_spread_s=settings.wait.mean_wait_s(),
        stream_interval_s=interval,
        pool_size=pool,
    )
