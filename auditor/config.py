"""Reading and validating `[tool.audit]` (or a `--config` file with the same keys).

Every problem is a ConfigError with one sentence that names the key and, for typos,
the nearest valid name.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import waivers as waivers_mod
from auditor.baseline import DEFAULT_FILE as DEFAULT_BASELINE
from auditor.errors import ConfigError
from auditor.exclude import check_globs
from auditor.model import ConditionSpec, OptionSpec
from auditor.plugin import Gate, GateConfig
from gates.registry import GATES
from gates.service import inherit_service_keys
from reports.registry import RENDERERS

FORMATS = tuple(RENDERERS)
DEFAULT_FORMATS = ("html", "json")
TOP_LEVEL_KEYS = {
    "gates": "gates to run by default, a subset of " + ", ".join(GATES),
    "python": "the target's interpreter, relative to the target root",
    "out": "directory for reports",
    "format": "report formats",
    "jobs": "how many gates may run at once",
    "exclude": "globs (relative to the target root) of vendored or generated code no gate judges",
    "history": "where runs are recorded: a SQLite file outside the target, or a postgresql:// "
    "URL (short for `store` in [tool.audit.history])",
    "baseline": "the baseline file, relative to the target root",
    "ratchet_tolerance": "how far a `>=` figure may fall below its baseline figure",
    "stale_baseline": "`warn` or `fail` when baselined findings are fixed",
    "new_code": "judge the change since the merge base of this ref and HEAD",
    "waivers": "[[tool.audit.waivers]] tables",
    "max_waiver_days": "how far ahead a waiver may expire",
}
STALE_MODES = ("warn", "fail")
GATE_COMMON_KEYS = ("timeout", "enabled")


@dataclass(frozen=True)
class AuditConfig:
    """The validated configuration of one audit."""

    gates: dict[str, GateConfig]
    selected: tuple[str, ...]
    enabled: dict[str, bool]
    python: str | None
    out: str | None
    formats: tuple[str, ...] | None
    jobs: int | None
    history: str | None
    """Where runs are recorded (`history`), before --history and $AUDIT_HISTORY_URL apply."""
    source: str
    """Where it came from, for messages: a file path or 'defaults'."""
    exclude: tuple[str, ...] = ()
    """Globs of `exclude`, relative to the target root; every gate leaves those files out."""
    baseline: str = DEFAULT_BASELINE
    ratchet_tolerance: float = 0.0
    stale_baseline: str = "warn"
    new_code: str | None = None
    waivers: tuple[waivers_mod.Waiver, ...] = ()


def _nearest(key: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(key, choices, n=1, cutoff=0.5)
    return f"; did you mean `{match[0]}`?" if match else f"; valid keys are: {', '.join(choices)}"


def _where(table: str, key: str) -> str:
    return f"`{key}` in [{table}]" if table else f"`{key}`"


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; check the path") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory; give a TOML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}; fix that line") from None


def _check_threshold(spec: ConditionSpec, value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, not {_type_name(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"{where} must be a finite number")
    if spec.kind == "percent" and not 0 <= number <= 100:
        raise ConfigError(f"{where} is a percentage and must be between 0 and 100, not {value}")
    if spec.kind == "count" and number < 0:
        raise ConfigError(f"{where} is a count and cannot be negative ({value})")
    if spec.kind == "ms" and number <= 0:
        raise ConfigError(f"{where} is a time in milliseconds and must be above 0, not {value}")
    return number


def _type_name(value: object) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


def _check_option(spec: OptionSpec, value: object, where: str) -> object:
    ok: bool
    expected: str
    if spec.kind == "str":
        ok, expected = isinstance(value, str), "a string"
    elif spec.kind == "int":
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif spec.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "a number"
    elif spec.kind == "bool":
        ok, expected = isinstance(value, bool), "true or false"
    elif spec.kind == "str_list":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        expected = "a list of strings"
    elif spec.kind == "table":
        ok, expected = isinstance(value, dict), "a table"
    else:
        ok = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        expected = "a list of tables"
    if not ok:
        raise ConfigError(f"{where} must be {expected}, not {_type_name(value)}")
    if spec.kind in ("int", "number") and isinstance(value, int | float) and value < 0:
        raise ConfigError(f"{where} cannot be negative ({value})")
    return value


def _gate_config(gate: Gate, table: dict[str, Any], table_name: str) -> tuple[GateConfig, bool]:
    conditions = {c.id: c for c in gate.conditions}
    options = {o.name: o for o in gate.options}
    valid = [*conditions, *options, *GATE_COMMON_KEYS]
    thresholds = {c.id: c.default for c in gate.conditions}
    blocking = {c.id: c.blocking for c in gate.conditions}
    values: dict[str, object] = {o.name: o.default for o in gate.options}
    timeout = gate.default_timeout
    enabled = True
    for key, value in table.items():
        where = _where(table_name, key)
        if key in conditions:
            spec = conditions[key]
            if isinstance(value, dict):
                unknown = set(value) - {"threshold", "blocking"}
                if unknown:
                    bad = sorted(unknown)[0]
                    raise ConfigError(
                        f"`{bad}` is not a key of {where}"
                        + _nearest(bad, ["threshold", "blocking"])
                    )
                if "threshold" in value:
                    thresholds[key] = _check_threshold(spec, value["threshold"], where)
                if "blocking" in value:
                    if not isinstance(value["blocking"], bool):
                        raise ConfigError(f"`blocking` of {where} must be true or false")
                    blocking[key] = value["blocking"]
            else:
                thresholds[key] = _check_threshold(spec, value, where)
        elif key in options:
            values[key] = _check_option(options[key], value, where)
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{where} must be a number of seconds above 0")
            timeout = float(value)
        elif key == "enabled":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false")
            enabled = value
        else:
            raise ConfigError(f"`{key}` is not a key of [{table_name}]" + _nearest(key, valid))
    config = GateConfig(thresholds=thresholds, blocking=blocking, options=values, timeout=timeout)
    gate.validate(config)
    return config, enabled


def parse_gate_list(text: str, what: str) -> tuple[str, ...]:
    """Parse a comma-separated gate list, rejecting unknown names."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    return _check_names(names, list(GATES), what)


def parse_format_list(text: str, what: str) -> tuple[str, ...]:
    """Parse a comma-separated format list, rejecting unknown names."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    return _check_names(names, list(FORMATS), what)


def _check_names(names: tuple[str, ...], valid: list[str], what: str) -> tuple[str, ...]:
    if not names:
        raise ConfigError(f"{what} is empty; give a comma-separated subset of {', '.join(valid)}")
    for name in names:
        if name not in valid:
            raise ConfigError(f"`{name}` in {what} is not one of {', '.join(valid)}" + (
                f"; did you mean `{m[0]}`?"
                if (m := difflib.get_close_matches(name, valid, n=1, cutoff=0.5))
                else ""
            ))
    return tuple(dict.fromkeys(names))


def _number(data: dict[str, Any], key: str, where: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"`{key}` {where} must be a number of at least 0")
    return float(value)


def from_mapping(
    data: dict[str, Any], source: str, prefix: str, today: dt.date | None = None
) -> AuditConfig:
    """Validate the keys of `[tool.audit]` (or the top of a `--config` file)."""
    gates: dict[str, GateConfig] = {}
    enabled: dict[str, bool] = {}
    valid_top = [*TOP_LEVEL_KEYS, *GATES]
    for key in data:
        if key not in valid_top:
            raise ConfigError(f"`{key}` is not a key of [{prefix}] in {source}" + _nearest(
                key, valid_top
            ))
    for gate_id, gate in GATES.items():
        table = data.get(gate_id, {})
        if gate_id in TOP_LEVEL_KEYS and isinstance(table, str):
            # `history = "FILE"` is the short form of the gate's table with only its `store`.
            table = {"store": table}
        name = f"{prefix}.{gate_id}" if prefix else gate_id
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] in {source} must be a table")
        table = inherit_service_keys(gate_id, table, data)
        gates[gate_id], enabled[gate_id] = _gate_config(gate, table, name)
    where = f"in [{prefix}] of {source}" if prefix else f"in {source}"
    selected: tuple[str, ...] = tuple(GATES)
    if "gates" in data:
        value = data["gates"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"`gates` {where} must be a list of gate names")
        selected = _check_names(tuple(value), list(GATES), f"`gates` {where}")
    formats: tuple[str, ...] | None = None
    if "format" in data:
        value = data["format"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"`format` {where} must be a list of format names")
        formats = _check_names(tuple(value), list(FORMATS), f"`format` {where}")
    python = _optional_str(data, "python", where)
    out = _optional_str(data, "out", where)
    stale = _optional_str(data, "stale_baseline", where) or "warn"
    if stale not in STALE_MODES:
        raise ConfigError(f"`stale_baseline` {where} must be \"warn\" or \"fail\", not {stale!r}")
    max_days = _number(data, "max_waiver_days", where, waivers_mod.DEFAULT_MAX_DAYS)
    waivers = waivers_mod.parse(
        data.get("waivers", []), list(GATES), int(max_days), today or dt.date.today(),
        f"[{prefix}] of {source}" if prefix else source,
    )
    jobs = data.get("jobs")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(f"`jobs` {where} must be a whole number of at least 1")
    exclude: tuple[str, ...] = ()
    if "exclude" in data:
        value = data["exclude"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"`exclude` {where} must be a list of globs")
        exclude = check_globs(value, f"`exclude` {where}")
    return AuditConfig(
        exclude=exclude,
        gates=gates,
        selected=selected,
        enabled=enabled,
        python=python,
        out=out,
        formats=formats,
        jobs=jobs,
        history=gates["history"].option_str("store") or None,
        source=source,
        baseline=_optional_str(data, "baseline", where) or DEFAULT_BASELINE,
        ratchet_tolerance=_number(data, "ratchet_tolerance", where, 0.0),
        stale_baseline=stale,
        new_code=_optional_str(data, "new_code", where),
        waivers=tuple(waivers),
    )


def _optional_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"`{key}` {where} must be a string")
    return value


def _from_config_file(data: dict[str, Any], path: Path) -> AuditConfig:
    """A `--config` file: its top-level keys, or a `[tool.audit]` section as users copy it from
    their pyproject.toml (the file's other tables are then left alone, as in a pyproject)."""
    tool = data.get("tool")
    if not (isinstance(tool, dict) and "audit" in tool):
        return from_mapping(data, str(path), "")
    section = tool["audit"]
    if not isinstance(section, dict):
        raise ConfigError(f"[tool.audit] in {path} must be a table")
    mixed = sorted(key for key in data if key != "tool" and key in [*TOP_LEVEL_KEYS, *GATES])
    if mixed:
        raise ConfigError(
            f"{path} has `{mixed[0]}` at the top and a [tool.audit] section; keep only one of them"
        )
    return from_mapping(section, str(path), "tool.audit")


def load(root: Path, config_file: Path | None) -> AuditConfig:
    """The configuration for auditing `root`: `--config` if given, else its pyproject.toml."""
    if config_file is not None:
        return _from_config_file(load_toml(config_file), config_file)
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return from_mapping({}, "defaults", "tool.audit")
    data = load_toml(pyproject)
    tool = data.get("tool", {})
    section = tool.get("audit", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise ConfigError(f"[tool.audit] in {pyproject} must be a table")
    return from_mapping(section, str(pyproject), "tool.audit")
