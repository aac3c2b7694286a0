"""The gates, found through the `auditor.gates` entry point group: the built-in ones and those of
any other installed distribution, alike.

A plugin that cannot be loaded, or that declares something invalid, does not stop the others:
it is kept as a `BrokenGate` with a sentence naming its distribution and entry point, which is
an error when the gate is selected and a warning otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import cast

from auditor.errors import ConfigError
from auditor.plugin import Gate
from auditor.plugin_checks import problems_of

GROUP = "auditor.gates"
_GATE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class BrokenGate:
    """A gate plugin that could not be loaded, and why."""

    id: str
    """Its entry point's name: the gate id it would have had."""
    distribution: str
    entry_point: str
    """`name = module:attribute`, as the distribution declares it."""
    problem: str

    def message(self) -> str:
        return (
            f"the gate plugin `{self.id}` of the distribution {self.distribution} (entry point "
            f"`{self.entry_point}` in the group {GROUP}) {self.problem}; fix or uninstall "
            f"{self.distribution}"
        )


@dataclass(frozen=True)
class Registry:
    """The gates that loaded, in their `order`, and the plugins that did not."""

    gates: dict[str, Gate]
    broken: dict[str, BrokenGate]

    def check_selected(self, names: Iterable[str]) -> None:
        """Raise ConfigError when one of NAMES is a plugin that could not be loaded."""
        for name in names:
            if name in self.broken:
                raise ConfigError(self.broken[name].message())

    def warnings(self, selected: Iterable[str]) -> list[str]:
        """One line per broken plugin that was not selected."""
        chosen = set(selected)
        return [b.message() for b in self.broken.values() if b.id not in chosen]


def _distribution(point: EntryPoint) -> str:
    dist = point.dist
    return f"{dist.name} {dist.version}" if dist is not None else "(unknown distribution)"


def _load(point: EntryPoint) -> Gate:
    """The gate an entry point names: an instance, or a class instantiated without arguments.
    Raises ValueError with the problem."""
    try:
        loaded = point.load()
        gate = loaded() if isinstance(loaded, type) else loaded
    except Exception as exc:  # whatever the plugin's import raises
        raise ValueError(f"fails to load: {type(exc).__name__}: {exc}") from None
    problems = problems_of(gate)
    if problems:
        raise ValueError("declares something invalid: " + "; ".join(problems))
    if gate.id != point.name:
        raise ValueError(f"is a gate with the id `{gate.id}`, not `{point.name}`")
    return cast(Gate, gate)


def build(points: Iterable[EntryPoint]) -> Registry:
    """The registry of the gates POINTS name."""
    found: dict[str, Gate] = {}
    broken: dict[str, BrokenGate] = {}
    for point in points:
        def fail(problem: str, point: EntryPoint = point) -> None:
            broken[point.name] = BrokenGate(
                point.name, _distribution(point), f"{point.name} = {point.value}", problem
            )
        if not _GATE_ID.match(point.name):
            fail("has a name that is not a gate id (lowercase letters, digits and `_`)")
        elif point.name in found or point.name in broken:
            fail("has the id of another installed gate")
            found.pop(point.name, None)
        else:
            try:
                found[point.name] = _load(point)
            except ValueError as exc:
                fail(str(exc))
    ordered = dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))
    return Registry(gates=ordered, broken=broken)


@cache
def registry() -> Registry:
    """The installed gates, loaded once per process."""
    return build(entry_points(group=GROUP))


def gates() -> dict[str, Gate]:
    """Every gate that loaded, by id, in the order they are listed and reported."""
    return registry().gates
