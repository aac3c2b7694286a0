"""Finding the target's interpreter: --python, config, PATH/.venv, then the active venv."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from auditor.errors import ConfigError


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def resolve(
    root: Path, cli_python: str | None, config_python: str | None, outer: Path | None = None
) -> tuple[Path, str]:
    """The interpreter that runs the target's tests, and how it was chosen; OUTER is, for a
    monorepo's component, the repository's interpreter or environment, which comes after the
    component's own `.venv`."""
    if cli_python:
        path = Path(cli_python).expanduser()
        if path.is_dir():
            path = _venv_python(path)
        return _checked(path.absolute(), "--python"), "--python"
    if config_python:
        path = (root / config_python).expanduser()
        if path.is_dir():
            path = _venv_python(path)
        return _checked(path.absolute(), "`python` in the config"), "config"
    local = _venv_python(root / ".venv")
    if local.exists():
        return local.absolute(), f"{root.name}/.venv"
    if outer is not None:
        shared = _venv_python(outer) if outer.is_dir() else outer
        if shared.exists():
            return shared.absolute(), f"the repository's {outer.name}"
    active = os.environ.get("VIRTUAL_ENV")
    if active and _venv_python(Path(active)).exists():
        return _venv_python(Path(active)).absolute(), "the active virtual environment"
    return Path(sys.executable).absolute(), "the auditor's own interpreter"


def _checked(path: Path, where: str) -> Path:
    if not path.exists():
        raise ConfigError(f"the interpreter {path} given by {where} does not exist; check the path")
    if not os.access(path, os.X_OK):
        raise ConfigError(f"the interpreter {path} given by {where} is not executable")
    return path
