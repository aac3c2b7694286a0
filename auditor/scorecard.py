"""Writing and reading `scorecard.json`, atomically, and checking it against the shipped schema."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.model import Scorecard


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # Elsewhere the only way is to set it and put it back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """The mode the written file gets: an existing file's own, else a new file's normal mode
    (0666 under the umask, as `open()` creates it); mkstemp alone would make it 0600."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file so that readers see the old content or the new, never half of it; an
    existing file keeps its mode, a new one gets the mode `open()` would give it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(scorecard: Scorecard) -> str:
    """The scorecard as JSON text."""
    return json.dumps(scorecard.to_dict(), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema of scorecard.json that ships with the package."""
    text = resources.files("auditor").joinpath("schema/scorecard.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def read(path: Path) -> Scorecard:
    """Load a saved scorecard; a missing or malformed file is a ConfigError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"scorecard {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not a readable scorecard JSON file: {exc}") from None
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise ConfigError(f"{path} is not a scorecard of schema version 1")
    try:
        return Scorecard.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path} is not a complete scorecard: missing or bad {exc}") from None
