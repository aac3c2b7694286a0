"""The locustfile the load gate hands to locust: the scenario plus the two measured stages.

Both stages (normal, then peak, `repeats` times) run in one locust process, driven by a
LoadTestShape, so that workers started elsewhere stay connected from the first request to the
last. A short warm-up at normal load comes first and is not measured (the generator's first
request carries its own lazy set-up, ~70 ms on these machines). After each stage the shape stops
every user, waits until no request is in flight any more (at most the request timeout) and the
last statistics arrived (workers report every 3 s), writes the stage's stats and failures CSV
with locust's own CSV writer plus `<prefix>_audit.json` (locust's serialized statistics with
each response-time histogram, and the audit's counts), and resets the statistics.

Requests are sent from their own greenlet, so stopping a user at the end of a stage never
cuts one off, and carry a timeout. Each request's latency counts from its intended start: in the
open model (`rate`) the fixed arrival time, in the closed model with `constant_throughput` /
`constant_pacing` the user's pacing schedule (a request held up by a slow answer is counted from
when it should have started), otherwise the moment it was sent. Users and arrival streams start
at phases spread over their period (a low-discrepancy sequence), never all at once.

The scenario is either generated from `endpoints` or the target's own locustfile, loaded by
path and re-exported (its User classes only; a locustfile that brings its own load shape is
refused, since the gate sets the stages).

What the gate uses: `stage_plan` (the stages the settings ask for, and where their files go),
`write` (the locustfile for those settings and that plan) and `remove_stale_outputs`. What
the locustfile gives back is files: each stage's `<prefix>_audit.json` (read by stage_stats)
and, when the plan has a `stage_file`, the name of the stage that begins (`warmup`, `normal`,
`peak`), which the database timing (gates/load/db) follows.

Modules: `plan` (stages and the shape's phases), `runtime` (what the generated code is told),
`source` (the generated code itself), `render` (the text, from those).
"""

from gates.load.locustfile.plan import StagePlan, remove_stale_outputs, stage_plan
from gates.load.locustfile.render import write

__all__ = ["StagePlan", "remove_stale_outputs", "stage_plan", "write"]
