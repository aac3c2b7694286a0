"""The tables of a pyproject.toml in which build backends name the project's packages, typed.

Only the keys the type gate reads are declared; each is left out when unset. Their formats:
setuptools (https://setuptools.pypa.io/en/latest/userguide/pyproject_config.html), hatch
(https://hatch.pypa.io/latest/config/build/), poetry
(https://python-poetry.org/docs/pyproject/#packages) and flit
(https://flit.pypa.io/en/stable/pyproject_toml.html#module-section).
"""

from __future__ import annotations

import msgspec


class _Table(msgspec.Struct, frozen=True):
    """A TOML table whose keys are not read here (setuptools' `packages = {find = ...}`)."""


class Setuptools(msgspec.Struct, frozen=True):
    """`[tool.setuptools]`: the packages listed, or found (a table), and their directories."""

    packages: list[str] | _Table | None = None
    package_dir: dict[str, str] = msgspec.field(default_factory=dict, name="package-dir")

    def listed(self) -> list[str]:
        """The packages `packages` lists by name; none when they are found (`find`) or unset."""
        return self.packages if isinstance(self.packages, list) else []

    def root_dir(self) -> str:
        """The root package's directory: package-dir's `""` entry, else the project root."""
        return self.package_dir.get("", "")


class HatchWheel(msgspec.Struct, frozen=True):
    packages: tuple[str, ...] = ()


class HatchTargets(msgspec.Struct, frozen=True):
    wheel: HatchWheel | None = None


class HatchBuild(msgspec.Struct, frozen=True):
    targets: HatchTargets | None = None


class Hatch(msgspec.Struct, frozen=True):
    build: HatchBuild | None = None


class PoetryPackage(msgspec.Struct, frozen=True):
    """An entry of `[tool.poetry] packages`: a package (or glob) under an optional directory."""

    include: str
    source: str | None = msgspec.field(default=None, name="from")


class Poetry(msgspec.Struct, frozen=True):
    packages: tuple[PoetryPackage, ...] = ()


class FlitModule(msgspec.Struct, frozen=True):
    name: str


class Flit(msgspec.Struct, frozen=True):
    module: FlitModule | None = None


class Tools(msgspec.Struct, frozen=True):
    setuptools: Setuptools | None = None
    hatch: Hatch | None = None
    poetry: Poetry | None = None
    flit: Flit | None = None

    def hatch_wheel_packages(self) -> tuple[str, ...]:
        """`[tool.hatch.build.targets.wheel] packages`; empty when unset."""
        build = self.hatch.build if self.hatch else None
        wheel = build.targets.wheel if build and build.targets else None
        return wheel.packages if wheel else ()


class BuildTables(msgspec.Struct, frozen=True):
    """A pyproject.toml, as far as its build backends' package lists go."""

    tool: Tools | None = None
