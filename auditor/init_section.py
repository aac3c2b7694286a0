"""The commented [tool.audit] section that `audit init` writes, generated from the gates.

The section is a tomlkit document (tables, items and their comments), so that adding it to a
project's pyproject.toml leaves every byte of the user's file as it was. Every key at its
default is written as a comment (`# users = 10  # ...`), so uncommenting it, or adding it, never
defines a key twice; only what this project needs beyond the defaults (a gate's `init_keys`,
e.g. a Django service's `start`) is written set.
"""

from __future__ import annotations

from pathlib import Path

import tomlkit
from tomlkit.container import OutOfOrderTableProxy
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Array, Item, Table

from auditor.errors import ConfigError
from auditor.history.settings import STORE_OPTIONS, STORE_TABLE
from auditor.model import OptionSpec
from auditor.plugin import Gate, InitKey
from auditor.registry import gates as registered_gates

_TOP_LEVEL_EXAMPLES = (  # shown commented out: unset, each takes its default
    'out = "audit-report"            # where reports go',
    'format = ["html", "json"]       # also: junit, sarif, markdown, badge',
    'python = ".venv"                # the target interpreter (default: .venv, then active)',
    'exclude = ["vendor", "src/pkg/_generated/*"]  # vendored or generated code no gate '
    "judges (globs relative to the root; a name without `/` matches anywhere)",
    'baseline = "audit-baseline.json" # from `audit baseline`; findings in it never count',
    "ratchet_tolerance = 0            # how far a >= figure may fall below its baseline",
    'stale_baseline = "warn"          # "fail": fixed baselined findings fail the run',
    'new_code = "main"                # like --new-code: judge the change since this ref',
    "max_waiver_days = 180            # how far ahead a waiver may expire",
    'components = ["services/*", "libs/common"]  # a monorepo\'s root: its components (globs), '
    "each audited with its own settings over these",
    "[[tool.audit.waivers]]           # gate, rule, path (glob), reason, owner, expires",
)


def _value(value: object) -> Item:
    """A default as a TOML item: whole numbers without `.0`, lists of tables inline."""
    if isinstance(value, float) and value.is_integer():
        return tomlkit.item(int(value))
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        array: Array = tomlkit.array()
        for entry in value:
            inline = tomlkit.inline_table()
            inline.update(entry)
            array.append(inline)
        return array
    if isinstance(value, dict):  # inline: the table's later keys and comments stay its own
        inline = tomlkit.inline_table()
        inline.update(value)
        return inline
    return tomlkit.item(value)


def _key(table: Table, name: str, value: object, comment: str) -> None:
    item = _value(value).comment(comment)
    item.trivia.comment_ws = "  "
    table.add(name, item)


def _default(table: Table, name: str, value: object, comment: str) -> None:
    """A key at its default, as a comment: uncommented, it reads the same."""
    table.add(tomlkit.comment(f"{name} = {_value(value).as_string()}  # {comment}"))


def _options(
    table: Table, options: tuple[OptionSpec, ...], keys: dict[str, InitKey] | None = None
) -> None:
    for option in options:
        chosen = (keys or {}).pop(option.name, None)
        if chosen is not None:
            _key(table, option.name, chosen.value, chosen.comment)
        elif option.default is None or (option.default == [] and option.kind == "table_list"):
            table.add(tomlkit.comment(f"{option.name} = ...  # {option.help}"))
        else:
            _default(table, option.name, option.default, option.help)


def _gate_table(gate: Gate, keys: tuple[InitKey, ...] = ()) -> Table:
    table = tomlkit.table()
    table.add(tomlkit.comment(f"{gate.title}: runs {gate.tool}."))
    chosen = {key.name: key for key in keys}
    for spec in gate.conditions:
        block = "" if spec.blocking else " (non-blocking by default)"
        _default(table, spec.id, spec.default, f"{spec.op} {spec.help}{block}")
    if gate.id == STORE_TABLE:
        _options(table, STORE_OPTIONS)  # the run store's keys share the table
    _options(table, gate.options, chosen)
    _default(table, "timeout", gate.default_timeout, "seconds for the whole gate")
    for key in chosen.values():  # what the gate declares no option for (none built in)
        _key(table, key.name, key.value, key.comment)
    return table


def _store_table() -> Table:
    table = tomlkit.table()
    table.add(tomlkit.comment("The history of runs."))
    _options(table, STORE_OPTIONS)
    return table


Suggested = dict[str, tuple[InitKey, ...]]
"""Keys a project needs beyond the defaults, by gate id (`suggested`)."""


def suggested(root: Path, python: Path) -> Suggested:
    """What each gate says the project at ROOT needs beyond the defaults (`Gate.init_keys`;
    a plugin gate without that method needs nothing)."""
    found: Suggested = {}
    for gate in registered_gates().values():
        init_keys = getattr(gate, "init_keys", None)
        keys = tuple(init_keys(root, python)) if callable(init_keys) else ()
        if keys:
            found[gate.id] = keys
    return found


def _audit_table(keys: Suggested | None = None) -> Table:
    gates = registered_gates()
    audit = tomlkit.table()
    audit.add(tomlkit.comment("Gates run by default (--gates overrides): " + ", ".join(gates)))
    audit.add(tomlkit.comment(f"gates = {_value(list(gates)).as_string()}"))
    for line in _TOP_LEVEL_EXAMPLES:
        audit.add(tomlkit.comment(line))
    for gate in gates.values():
        audit.add(gate.id, _gate_table(gate, (keys or {}).get(gate.id, ())))
    if STORE_TABLE not in gates:
        audit.add(STORE_TABLE, _store_table())
    return audit


def _tool_table(keys: Suggested | None = None) -> Table:
    """`tool` as a super table (no [tool] header of its own) holding the audit section."""
    tool = tomlkit.table(is_super_table=True)
    tool.add("audit", _audit_table(keys))
    return tool


def render(keys: Suggested | None = None) -> str:
    """The section's text: every key at its default as a comment, the KEYS a project needs set."""
    document = tomlkit.document()
    document.add("tool", _tool_table(keys))
    return document.as_string()


def add_to(existing: bytes, where: str, keys: Suggested | None = None) -> bytes:
    """A pyproject.toml's content (possibly empty) with the section appended after a blank line;
    every byte of EXISTING is kept. ConfigError, naming WHERE, when it is not TOML or already
    configures the auditor."""
    try:
        text = existing.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text, as TOML must be") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    separator = ""
    if text and not text.endswith(newline * 2):
        separator = newline if text.endswith(newline) else newline * 2
    prefix = text + separator
    try:
        document = tomlkit.parse(prefix)
    except TOMLKitError as exc:
        raise ConfigError(f"{where} is not valid TOML ({exc}); fix it first") from None
    tool = document.get("tool")
    if tool is not None and not isinstance(tool, Table | OutOfOrderTableProxy):
        raise ConfigError(
            f"{where} defines `tool` as something other than a table, where [tool.audit] "
            "cannot be added; use --stdout and add the section by hand"
        )
    if tool is not None and "audit" in tool:
        raise ConfigError(
            f"{where} already has a [tool.audit] section; edit it, or use --stdout to see the "
            "defaults"
        )
    document.append("tool", _tool_table(keys))
    result = document.as_string()
    if not result.startswith(prefix):  # tomlkit keeps parsed text as it was; never write otherwise
        raise ConfigError(f"{where}: the section could not be appended without changing the file")
    return (prefix + result[len(prefix):].replace("\n", newline)).encode("utf-8")
