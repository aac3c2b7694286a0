"""Writing and reading `scorecard.json`, atomically, and checking it against the shipped schema."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from auditor.errors import ConfigError
from auditor.model import SCHEMA_VERSION, Details, GateResult, Scorecard
from auditor.registry import gates


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


_ENCODER = msgspec.json.Encoder()


def dumps(scorecard: Scorecard) -> str:
    """The scorecard as JSON text: the one place it is serialised."""
    return msgspec.json.format(_ENCODER.encode(scorecard), indent=2).decode("utf-8") + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema of scorecard.json that ships with the package (`audit schema` writes it)."""
    text = resources.files("auditor").joinpath("schema/scorecard.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _at(exc: msgspec.ValidationError, prefix: str) -> str:
    """msgspec's message with its path (`$.x`) made a path in the scorecard."""
    text = str(exc)
    return text.replace("`$", f"`{prefix}") if "`$" in text else f"{text} - at `{prefix}`"


def untyped_details(data: Mapping[str, object]) -> type[Details]:
    """The details type of a gate not installed here (a scorecard from a machine with another
    plugin): the common fields typed, the gate's own kept as they are, under their own names,
    so that reports show them and the scorecard is written back unchanged."""
    own = [key for key in data if key not in Details.__struct_fields__]
    names = [f"field_{index}" for index in range(len(own))]
    return msgspec.defstruct(  # type: ignore[return-value]  # bases=(Details,) makes it one
        "UntypedDetails", [(name, Any, None) for name in names], bases=(Details,),
        frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True,
        rename=dict(zip(names, own, strict=True)),
    )


def _details(gate_id: str, data: object, where: str, prefix: str) -> Details:
    """One gate's details, read with the type its installed gate declares."""
    data = data if data is not None else {}
    gate = gates().get(gate_id)
    if gate is not None:
        kind = gate.details_type
    elif isinstance(data, dict):
        kind = untyped_details(data)
    else:
        raise ConfigError(f"{where} is not a valid scorecard: Expected `object` - at `{prefix}`")
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where} is not a valid scorecard: {_at(exc, prefix)}") from None


def loads(data: bytes, where: str) -> Scorecard:
    """A scorecard from its JSON; ConfigError naming the bad field when it is not one."""
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{where} is not a readable scorecard JSON file: {exc}") from None
    if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(f"{where} is not a scorecard of schema version {SCHEMA_VERSION}")
    # Each gate's details have the type of that gate: read after the rest, gate by gate.
    gate_list = raw.get("gates")
    details: list[object] = []
    for gate in gate_list if isinstance(gate_list, list) else []:
        details.append(gate.pop("details", None) if isinstance(gate, dict) else None)
        if isinstance(gate, dict):
            gate["details"] = {}
    try:
        card = msgspec.convert(raw, Scorecard)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where} is not a valid scorecard: {_at(exc, '$')}") from None
    typed = [
        msgspec.structs.replace(
            gate, details=_details(gate.id, details[i], where, f"$.gates[{i}].details")
        )
        for i, gate in enumerate(card.gates)
    ]
    return msgspec.structs.replace(card, gates=typed)


def gate_result(data: bytes, details_type: type[Details]) -> GateResult:
    """One gate's result from its JSON (the result cache's); raises msgspec's errors."""
    raw = msgspec.json.decode(data)
    if not isinstance(raw, dict):
        raise msgspec.ValidationError("a gate result is a JSON object")
    details = raw.pop("details", None)
    result = msgspec.convert({**raw, "details": {}}, GateResult)
    return msgspec.structs.replace(
        result, details=msgspec.convert(details if details is not None else {}, details_type)
    )


def read(path: Path) -> Scorecard:
    """Load a saved scorecard; a missing, malformed or invalid file is a ConfigError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"scorecard {path} does not exist; check the path") from None
    except OSError as exc:
        raise ConfigError(f"{path} is not a readable scorecard JSON file: {exc}") from None
    return loads(data, str(path))
