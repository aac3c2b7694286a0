"""Reading and validating `[tool.audit]` (or a `--config` file with the same keys).

Every problem is a ConfigError with one sentence that names the key and, for typos,
the nearest valid name.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import toml_errors
from auditor import waivers as waivers_mod
from auditor.baseline import DEFAULT_FILE as DEFAULT_BASELINE
from auditor.errors import ConfigError
from auditor.exclude import check_globs
from auditor.history.settings import STORE_KEYS, STORE_OPTIONS, STORE_TABLE, StoreSettings
from auditor.model import ConditionSpec, OptionSpec
from auditor.plugin import Gate, GateConfig, ReadTable
from auditor.registry import gates as registered_gates
from auditor.registry import registry

FORMATS = ("json", "html", "junit", "sarif", "markdown", "badge")
"""The report formats, by the name `--format` and `format` take (one renderer each)."""
DEFAULT_FORMATS = ("html", "json")
TOP_LEVEL_KEYS = {
    "gates": "gates to run by default (default: every installed gate)",
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
    "components": "in a monorepo's root: globs of the components, each audited on its own",
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
    store: StoreSettings = field(default_factory=StoreSettings)
    """The run store's keys of `[tool.audit.history]`."""
    components: tuple[str, ...] | None = None
    """`components`: globs (relative to the root) of a monorepo's components; None when unset."""


def _nearest(key: str, choices: list[str], synonyms: Mapping[str, str] | None = None) -> str:
    """`; did you mean X?` for KEY: the option a synonym stands for, else the closest choice."""
    meant = (synonyms or {}).get(key.lower())
    match = [meant] if meant else difflib.get_close_matches(key, choices, n=1, cutoff=0.5)
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
        duplicate = toml_errors.explain(text, str(exc))
        if duplicate is not None:
            raise ConfigError(f"{path}: {duplicate}") from None
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


def _condition_override(
    spec: ConditionSpec, value: object, where: str
) -> tuple[float | None, bool | None]:
    """A condition's key: a threshold, or a table with `threshold` and/or `blocking`."""
    if not isinstance(value, dict):
        return _check_threshold(spec, value, where), None
    unknown = set(value) - {"threshold", "blocking"}
    if unknown:
        bad = sorted(unknown)[0]
        raise ConfigError(
            f"`{bad}` is not a key of {where}" + _nearest(bad, ["threshold", "blocking"])
        )
    threshold = _check_threshold(spec, value["threshold"], where) if "threshold" in value else None
    blocking = value.get("blocking")
    if blocking is not None and not isinstance(blocking, bool):
        raise ConfigError(f"`blocking` of {where} must be true or false")
    return threshold, blocking


def _common_key(key: str, value: object, where: str) -> float | bool:
    """`timeout` (seconds above 0) or `enabled` (true or false), keys of every gate's table."""
    if key == "timeout":
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{where} must be a number of seconds above 0")
        return float(value)
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false")
    return value


def _gate_config(
    gate: Gate, table: Mapping[str, object], table_name: str, others: tuple[str, ...] = ()
) -> tuple[GateConfig, bool]:
    """GATE's validated table; OTHERS are keys of the same table read elsewhere (the store's)."""
    conditions = {c.id: c for c in gate.conditions}
    options = {o.name: o for o in gate.options}
    thresholds = {c.id: c.default for c in gate.conditions}
    blocking = {c.id: c.blocking for c in gate.conditions}
    values: dict[str, object] = {o.name: o.default for o in gate.options}
    common: dict[str, float | bool] = {"timeout": gate.default_timeout, "enabled": True}
    for key, value in table.items():
        where = _where(table_name, key)
        if key in conditions:
            threshold, blocks = _condition_override(conditions[key], value, where)
            thresholds[key] = thresholds[key] if threshold is None else threshold
            blocking[key] = blocking[key] if blocks is None else blocks
        elif key in options:
            values[key] = _check_option(options[key], value, where)
        elif key in GATE_COMMON_KEYS:
            common[key] = _common_key(key, value, where)
        else:
            valid = [*conditions, *options, *GATE_COMMON_KEYS, *others]
            synonyms = {alias: o.name for o in gate.options for alias in o.synonyms}
            raise ConfigError(
                f"`{key}` is not a key of [{table_name}]" + _nearest(key, valid, synonyms)
            )
    read = table if isinstance(table, ReadTable) else ReadTable({}, {}, {})
    config = GateConfig(thresholds=thresholds, blocking=blocking, options=values,
                        timeout=float(common["timeout"]), origins=read.origins,
                        unused=read.unused)
    gate.validate(config)
    return config, bool(common["enabled"])


def parse_gate_list(text: str, what: str) -> tuple[str, ...]:
    """Parse a comma-separated gate list, rejecting unknown names."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    registry().check_selected(names)
    return _check_names(names, list(registered_gates()), what)


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


def _table(data: Mapping[str, object], name: str, source: str, prefix: str) -> dict[str, object]:
    """The table NAME of DATA (empty when absent); `history = "FILE"` is the short form of the
    store's table with only its `store`."""
    table = data.get(name, {})
    if name == STORE_TABLE and isinstance(table, str):
        table = {"store": table}
    if not isinstance(table, dict):
        shown = f"{prefix}.{name}" if prefix else name
        raise ConfigError(f"[{shown}] in {source} must be a table")
    return table


def _store(table: Mapping[str, object], prefix: str) -> StoreSettings:
    """The run store's keys of its table, validated."""
    name = f"{prefix}.{STORE_TABLE}" if prefix else STORE_TABLE
    values = {
        spec.name: _check_option(spec, table[spec.name], _where(name, spec.name))
        for spec in STORE_OPTIONS if spec.name in table
    }
    return StoreSettings(**values)  # type: ignore[arg-type]  # each checked against its kind


def _gates(
    data: Mapping[str, object], source: str, prefix: str
) -> tuple[dict[str, GateConfig], dict[str, bool]]:
    """Every installed gate's validated table, as the gate reads it (`Gate.table`)."""
    configs: dict[str, GateConfig] = {}
    enabled: dict[str, bool] = {}
    for gate_id, gate in registered_gates().items():
        table = _table(data, gate_id, source, prefix)
        others: tuple[str, ...] = ()
        if gate_id == STORE_TABLE:
            # The store's keys share the table and are read by the core (_store).
            table, others = {k: v for k, v in table.items() if k not in STORE_KEYS}, STORE_KEYS
        own = gate.table(table, data)
        name = f"{prefix}.{gate_id}" if prefix else gate_id
        configs[gate_id], enabled[gate_id] = _gate_config(gate, own, name, others)
    return configs, enabled


def _names_list(data: Mapping[str, object], key: str, valid: list[str], where: str,
                what: str) -> tuple[str, ...] | None:
    """The list of names under KEY, each one of VALID; None when KEY is absent."""
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` {where} must be a list of {what}")
    return _check_names(tuple(value), valid, f"`{key}` {where}")


def _check_top_keys(data: Mapping[str, object], source: str, prefix: str) -> None:
    # A broken plugin's table is left alone: the plugin's own error says what is wrong.
    valid_top = [*TOP_LEVEL_KEYS, *registered_gates(), STORE_TABLE, *registry().broken]
    for key in data:
        if key not in valid_top:
            raise ConfigError(f"`{key}` is not a key of [{prefix}] in {source}" + _nearest(
                key, list(dict.fromkeys(valid_top))
            ))


def _exclude(data: Mapping[str, object], where: str) -> tuple[str, ...]:
    value = data.get("exclude", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`exclude` {where} must be a list of globs")
    return check_globs(value, f"`exclude` {where}") if value else ()


def _jobs(data: Mapping[str, object], where: str) -> int | None:
    jobs = data.get("jobs")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(f"`jobs` {where} must be a whole number of at least 1")
    return jobs


def from_mapping(
    data: dict[str, Any], source: str, prefix: str, today: dt.date | None = None
) -> AuditConfig:
    """Validate the keys of `[tool.audit]` (or the top of a `--config` file)."""
    _check_top_keys(data, source, prefix)
    if isinstance(data.get("gates"), list):
        registry().check_selected(str(name) for name in data["gates"])
    gates, enabled = _gates(data, source, prefix)
    store = _store(_table(data, STORE_TABLE, source, prefix), prefix)
    where = f"in [{prefix}] of {source}" if prefix else f"in {source}"
    stale = _optional_str(data, "stale_baseline", where) or "warn"
    if stale not in STALE_MODES:
        raise ConfigError(f'`stale_baseline` {where} must be "warn" or "fail", not {stale!r}')
    max_days = _number(data, "max_waiver_days", where, waivers_mod.DEFAULT_MAX_DAYS)
    waivers = waivers_mod.parse(
        data.get("waivers", []), list(registered_gates()), int(max_days),
        today or dt.date.today(), f"[{prefix}] of {source}" if prefix else source,
    )
    return AuditConfig(
        exclude=_exclude(data, where),
        gates=gates,
        selected=_names_list(data, "gates", list(registered_gates()), where, "gate names")
        or tuple(registered_gates()),
        enabled=enabled,
        python=_optional_str(data, "python", where),
        out=_optional_str(data, "out", where),
        formats=_names_list(data, "format", list(FORMATS), where, "format names"),
        jobs=_jobs(data, where),
        history=store.store or None,
        source=source,
        baseline=_optional_str(data, "baseline", where) or DEFAULT_BASELINE,
        ratchet_tolerance=_number(data, "ratchet_tolerance", where, 0.0),
        stale_baseline=stale,
        new_code=_optional_str(data, "new_code", where),
        waivers=tuple(waivers),
        store=store,
        components=_components(data, where),
    )


def _components(data: Mapping[str, object], where: str) -> tuple[str, ...] | None:
    if "components" not in data:
        return None
    value = data["components"]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise ConfigError(f"`components` {where} must be a non-empty list of globs")
    return check_globs(value, f"`components` {where}")


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
    known = [*TOP_LEVEL_KEYS, *registered_gates(), STORE_TABLE]
    mixed = sorted(key for key in data if key != "tool" and key in known)
    if mixed:
        raise ConfigError(
            f"{path} has `{mixed[0]}` at the top and a [tool.audit] section; keep only one of them"
        )
    return from_mapping(section, str(path), "tool.audit")


def section(root: Path) -> tuple[dict[str, Any], str]:
    """The `[tool.audit]` table of ROOT/pyproject.toml (empty without one) and where it came
    from."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}, "defaults"
    data = load_toml(pyproject)
    tool = data.get("tool", {})
    found = tool.get("audit", {}) if isinstance(tool, dict) else {}
    if not isinstance(found, dict):
        raise ConfigError(f"[tool.audit] in {pyproject} must be a table")
    return found, str(pyproject)


def load(root: Path, config_file: Path | None) -> AuditConfig:
    """The configuration for auditing `root`: `--config` if given, else its pyproject.toml."""
    if config_file is not None:
        return _from_config_file(load_toml(config_file), config_file)
    found, source = section(root)
    return from_mapping(found, source, "tool.audit")
