"""The commented [tool.audit] section that `audit init` writes, generated from the gates."""

from __future__ import annotations

import json

from gates.registry import GATES


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list) and all(isinstance(v, dict) for v in value) and value:
        items = ", ".join(
            "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in d.items()) + " }"
            for d in value
        )
        return f"[{items}]"
    return json.dumps(value)


def render() -> str:
    """The section's text; every key is set to its default or, without one, shown commented."""
    lines = [
        "[tool.audit]",
        "# Gates run by default (--gates overrides): " + ", ".join(GATES),
        "gates = [" + ", ".join(f'"{g}"' for g in GATES) + "]",
        '# out = "audit-report"            # where reports go',
        '# format = ["html", "json"]       # also: junit, sarif, markdown, badge',
        '# python = ".venv"                # the target interpreter (default: .venv, then active)',
        '# exclude = ["vendor", "src/pkg/_generated/*"]  # vendored or generated code no gate '
        "judges (globs relative to the root; a name without `/` matches anywhere)",
        '# baseline = "audit-baseline.json" # from `audit baseline`; findings in it never count',
        "# ratchet_tolerance = 0            # how far a >= figure may fall below its baseline",
        '# stale_baseline = "warn"          # "fail": fixed baselined findings fail the run',
        '# new_code = "main"                # like --new-code: judge the change since this ref',
        "# max_waiver_days = 180            # how far ahead a waiver may expire",
        "# [[tool.audit.waivers]]           # gate, rule, path (glob), reason, owner, expires",
        "",
    ]
    for gate in GATES.values():
        lines.append(f"[tool.audit.{gate.id}]")
        lines.append(f"# {gate.title}: runs {gate.tool}.")
        for spec in gate.conditions:
            block = "" if spec.blocking else " (non-blocking by default)"
            lines.append(
                f"{spec.id} = {_toml_value(spec.default)}"
                f"  # {spec.op} {spec.help}{block}"
            )
        for option in gate.options:
            if option.default is None or (option.default == [] and option.kind == "table_list"):
                lines.append(f"# {option.name} = ...  # {option.help}")
            else:
                lines.append(f"{option.name} = {_toml_value(option.default)}  # {option.help}")
        lines.append(f"timeout = {_toml_value(gate.default_timeout)}  # seconds for the whole gate")
        lines.append("")
    return "\n".join(lines)
