"""Which mypy configuration applies to the target, and whether it names what to check.

mypy's configuration files and how it picks one: https://mypy.readthedocs.io/en/stable/
config_file.html. Each file is read with its real parser (tomllib through msgspec, configparser)
into the options read here, typed.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

import msgspec

from auditor.errors import GateError

# mypy looks for these in this order in each directory, then in parent directories.
CONFIG_NAMES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")


@dataclass(frozen=True)
class MypyConfig:
    """The mypy configuration an audit applies."""

    path: Path | None
    """The file, or None to run mypy with its defaults."""
    sets_targets: bool
    """Whether it names what to check (`files`, `modules` or `packages`)."""
    description: str


class MypyTargets(msgspec.Struct, frozen=True):
    """The options that tell mypy what to check when no path is given on its command line: a
    comma-separated string, or in pyproject.toml also a list of strings; absent when unset."""

    files: str | list[str] | None = None
    modules: str | list[str] | None = None
    packages: str | list[str] | None = None

    @property
    def named(self) -> bool:
        """Whether any of them names something."""
        return bool(self.files or self.modules or self.packages)


class _Table(msgspec.Struct, frozen=True):
    """A TOML table whose keys are not read here."""


class _PresenceTools(msgspec.Struct, frozen=True):
    mypy: _Table | None = None


class _Presence(msgspec.Struct, frozen=True):
    """Whether a pyproject.toml has a `[tool.mypy]` table."""

    tool: _PresenceTools | None = None


class _TargetTools(msgspec.Struct, frozen=True):
    mypy: MypyTargets | None = None


class _Targets(msgspec.Struct, frozen=True):
    """The target options of a pyproject.toml's `[tool.mypy]`."""

    tool: _TargetTools | None = None


def _ini(path: Path) -> configparser.RawConfigParser | None:
    """An INI configuration file as configparser reads it; None when it cannot be read."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return parser


def configures_mypy(path: Path) -> bool:
    """Whether mypy takes PATH as its configuration: a mypy.ini always, a setup.cfg with a
    `[mypy]` section, a pyproject.toml with `[tool.mypy]`. An unreadable file counts: mypy
    reports it."""
    if path.name == "pyproject.toml":
        try:
            data = msgspec.toml.decode(path.read_text(encoding="utf-8"), type=_Presence)
        except (OSError, UnicodeDecodeError, msgspec.DecodeError):
            return True
        return data.tool is not None and data.tool.mypy is not None
    if path.name != "setup.cfg":
        return True
    parser = _ini(path)
    return parser is None or parser.has_section("mypy")


def targets_of(path: Path) -> MypyTargets:
    """What the configuration file PATH names to check; nothing when it cannot be read (mypy
    reports it). GateError when an option is not of a type mypy reads."""
    if path.name == "pyproject.toml":
        try:
            data = msgspec.toml.decode(path.read_text(encoding="utf-8"), type=_Targets)
        except msgspec.ValidationError as exc:
            raise GateError(
                f"{path.name} does not configure mypy as mypy reads it: {exc}"
            ) from None
        except (OSError, UnicodeDecodeError, msgspec.DecodeError):
            return MypyTargets()
        return data.tool.mypy if data.tool and data.tool.mypy else MypyTargets()
    parser = _ini(path)
    if parser is None or not parser.has_section("mypy"):
        return MypyTargets()
    return msgspec.convert(dict(parser.items("mypy")), MypyTargets)


def config_in(directory: Path) -> Path | None:
    """The mypy configuration file of one directory, as mypy would pick it."""
    for name in CONFIG_NAMES:
        path = directory / name
        if path.is_file() and configures_mypy(path):
            return path
    return None


def _outer_config(root: Path) -> Path | None:
    """The configuration mypy would find above the root (it stops at a .git or .hg)."""
    current = root.resolve()
    while not any((current / vcs).exists() for vcs in (".git", ".hg")):
        if current.parent == current:
            return None
        current = current.parent
        found = config_in(current)
        if found is not None:
            return found
    return None


def find_config(root: Path) -> MypyConfig:
    """The target's own mypy configuration; configuration above the root is never used."""
    own = config_in(root)
    if own is not None:
        return MypyConfig(own, targets_of(own).named, f"project configuration in {own.name}")
    description = "mypy defaults: no mypy configuration at the target root"
    outer = _outer_config(root)
    if outer is not None:
        description += f" ({outer} lies outside the target and was not used)"
    return MypyConfig(None, sets_targets=False, description=description)
