"""What makes a target a Django project, read from its files the way Django and pytest-django
read them: `manage.py`, the settings module and where it was named, whether pytest-django is
configured. Pure: no process is started here; `PROBE` is the script a gate runs in the target's
interpreter to learn what is installed, and `read_probe` decodes what it prints.
"""

from __future__ import annotations

import ast
import configparser
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

SETTINGS_VAR = "DJANGO_SETTINGS_MODULE"
MANAGE_PY = "manage.py"
SettingsOrigin = Literal["environment", "manage.py", "pytest configuration"]


@dataclass(frozen=True)
class PytestConfig:
    """The pytest configuration file pytest itself would use, and what it says of Django."""

    file: str
    """Relative to the root: `pyproject.toml`, `pytest.ini`, ..."""
    settings: str | None
    """pytest-django's `DJANGO_SETTINGS_MODULE` key (or `--ds` in `addopts`)."""


@dataclass(frozen=True)
class Settings:
    """The settings module and where it was named."""

    module: str
    origin: SettingsOrigin

    def describe(self) -> str:
        return f"{self.module} (from {self.origin})"


def manage_py(root: Path) -> Path | None:
    """The project's `manage.py`, at the target root."""
    path = root / MANAGE_PY
    return path if path.is_file() else None


def manage_py_settings(path: Path) -> str | None:
    """The module `manage.py` names in `os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)`,
    as `django-admin startproject` writes it; None when it names none plainly."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "setdefault" or len(node.args) != 2:
            continue
        key, value = node.args
        if (
            isinstance(key, ast.Constant)
            and key.value == SETTINGS_VAR
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            return value.value
    return None


def _toml(path: Path) -> dict[str, object] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _ini(path: Path, section: str) -> dict[str, str] | None:
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return dict(parser.items(section)) if parser.has_section(section) else None


def _table(data: dict[str, object] | None, *keys: str) -> dict[str, object] | None:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data if isinstance(data, dict) else None


def _raw_pytest_config(root: Path) -> tuple[str, Mapping[str, object]] | None:
    """The first file pytest reads its configuration from, in pytest's order, and its table."""
    for name in ("pytest.toml", ".pytest.toml"):
        if (root / name).is_file():
            return name, _table(_toml(root / name), "pytest") or {}
    for name in ("pytest.ini", ".pytest.ini"):
        if (root / name).is_file():
            return name, _ini(root / name, "pytest") or {}
    pyproject = _toml(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else None
    table = _table(pyproject, "tool", "pytest", "ini_options") or _table(
        pyproject, "tool", "pytest"
    )
    if table is not None:
        return "pyproject.toml", table
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if (root / name).is_file() and (found := _ini(root / name, section)) is not None:
            return name, found
    return None


def _addopts_settings(addopts: object) -> str | None:
    raw = addopts if isinstance(addopts, list) else shlex.split(str(addopts or ""))
    words: list[str] = [str(w) for w in raw]
    for index, word in enumerate(words):
        if word.startswith("--ds="):
            return word.removeprefix("--ds=")
        if word == "--ds" and index + 1 < len(words):
            return words[index + 1]
    return None


def pytest_config(root: Path) -> PytestConfig | None:
    """The project's pytest configuration, None when it has none."""
    found = _raw_pytest_config(root)
    if found is None:
        return None
    name, table = found
    keys = {key.lower(): value for key, value in table.items()}
    settings = keys.get(SETTINGS_VAR.lower())
    if not isinstance(settings, str) or not settings.strip():
        settings = _addopts_settings(keys.get("addopts"))
    return PytestConfig(file=name, settings=settings.strip() if settings else None)


def uses_pytest_django(root: Path) -> bool:
    """Whether the project configures pytest-django (a settings module in its pytest
    configuration): then its tests are meant to run under pytest."""
    config = pytest_config(root)
    return config is not None and config.settings is not None


def settings_module(
    root: Path, env: Mapping[str, str], runner: Literal["pytest", "django"]
) -> Settings | None:
    """The settings module the RUNNER would use: `DJANGO_SETTINGS_MODULE` in ENV first, as
    both honour it; then, for Django's runner, what `manage.py` sets by default, else
    pytest-django's configuration; for pytest the other way round."""
    if value := env.get(SETTINGS_VAR, "").strip():
        return Settings(value, "environment")
    manage = manage_py(root)
    from_manage = manage_py_settings(manage) if manage else None
    config = pytest_config(root)
    from_pytest = config.settings if config else None
    order: list[tuple[str | None, SettingsOrigin]] = [
        (from_manage, "manage.py"),
        (from_pytest, "pytest configuration"),
    ]
    if runner == "pytest":
        order.reverse()
    for module, origin in order:
        if module:
            return Settings(module, origin)
    return None


PROBE = """\
import importlib.util, json, sys
found = {"python": sys.version.split()[0], "django": None, "error": None, "apps": [],
         "modules": {}}
for name in ("yaml", "uritemplate", "rest_framework", "drf_spectacular"):
    found["modules"][name] = importlib.util.find_spec(name) is not None
try:
    import django
    found["django"] = django.get_version()
    django.setup()
    from django.apps import apps
    found["apps"] = [config.name for config in apps.get_app_configs()]
except Exception as exc:
    found["error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(found))
"""
"""Run in the target's interpreter with the settings module in its environment: what is
installed, and which applications the settings install."""


class Probed(msgspec.Struct, frozen=True):
    """What PROBE prints: every key, always."""

    python: str
    django: str | None
    """Django's version; None when it is not installed."""
    error: str | None
    """Why the settings could not be loaded."""
    apps: list[str]
    modules: dict[str, bool]
    """Whether each of yaml, uritemplate, rest_framework, drf_spectacular can be imported."""

    def has_app(self, name: str) -> bool:
        return name in self.apps


def read_probe(stdout: str) -> Probed | None:
    """What PROBE printed (its last line), None when that is not its output."""
    lines = stdout.strip().splitlines()
    try:
        return msgspec.json.decode(lines[-1] if lines else "", type=Probed)
    except msgspec.DecodeError:
        return None
