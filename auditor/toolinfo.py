"""What a gate records of the tools it ran: name, version, where the command came from and the
versions the project pins. Reports read it from every gate's details alike."""

from __future__ import annotations

from typing import Literal

import msgspec
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


class Pin(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A version constraint on a tool, and where the project states it."""

    spec: str
    """A PEP 440 specifier, e.g. `==0.15.6` or `>=1.10,<2`."""
    where: str
    """The file (and table) stating it: `uv.lock`, `pyproject.toml [dependency-groups] lint`."""

    def allows(self, version: str) -> bool:
        """Whether VERSION satisfies the pin; an unreadable version or specifier never does."""
        try:
            return Version(version) in SpecifierSet(self.spec)
        except (InvalidVersion, InvalidSpecifier):
            return False



Source = Literal["configured", "target", "bundled"]
SOURCES: tuple[Source, ...] = ("configured", "target", "bundled")
SOURCE_TEXT: dict[str, str] = {
    "configured": "the configured command",
    "target": "the target's environment",
    "bundled": "bundled with the auditor",
}


class ResolvedTool(
    msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True
):
    """The command a gate runs for a tool, where it came from, the version it reported and the
    versions the project pins."""

    name: str
    version: str
    source: Source
    command: tuple[str, ...]
    """The command's arguments, as run."""
    pins: tuple[Pin, ...] = ()
    """The project's constraints on this tool, satisfied or not."""

    def describe(self) -> str:
        """`mypy 1.19.1 (the target's environment)`, for reports."""
        version = f" {self.version}" if self.version else ""
        return f"{self.name}{version} ({SOURCE_TEXT.get(self.source, self.source)})"

    def pin_warnings(self) -> list[str]:
        """One warning when the version that ran does not satisfy the project's pins.

        A project may state different exact versions in different files (its pre-commit hook
        and its lock file); running one of them satisfies the project, so only ranges must all
        hold and one exact pin is enough.
        """
        if self.source == "configured" or not self.pins:
            return []
        exact = [pin for pin in self.pins if pin.spec.startswith("==")]
        ranges = [pin for pin in self.pins if not pin.spec.startswith("==")]
        unmet = [pin for pin in ranges if not pin.allows(self.version)]
        if exact and not any(pin.allows(self.version) for pin in exact):
            unmet = [*exact, *unmet]
        if not unmet:
            return []
        stated = "; ".join(f"{self.name}{pin.spec} in {pin.where}" for pin in unmet)
        fix = (
            "install it in the target's environment for the project's own figures"
            if self.source == "bundled"
            else "update the target's environment for the project's own figures"
        )
        return [
            f"{self.name} {self.version} ({SOURCE_TEXT[self.source]}) ran, but the project pins "
            f"{stated}: {fix}"
        ]
