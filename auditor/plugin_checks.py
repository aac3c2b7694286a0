"""What a gate must declare, checked when it is loaded, so that a plugin's mistake is one clear
sentence at start-up instead of a crash in the middle of an audit."""

from __future__ import annotations

import re
from typing import get_args

from auditor.model import ConditionSpec, Details, Op, OptionKind, OptionSpec, ThresholdKind

_FLAG = re.compile(r"^--[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_RESERVED_FLAGS = {"--gates", "--config", "--python", "--jobs", "--out", "--format", "--history",
                   "--no-history", "--no-cache", "--new-code", "--compare", "--help",
                   "--version", "--prune"}
_TEXT = ("id", "title", "tool")
_METHODS = ("skip_reason", "validate", "table", "prepare", "measure", "finding_values")


def _condition_problems(specs: object) -> list[str]:
    if not isinstance(specs, tuple) or not all(isinstance(s, ConditionSpec) for s in specs):
        return ["`conditions` must be a tuple of ConditionSpec"]
    out: list[str] = []
    ids = [s.id for s in specs]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    out += [f"two conditions are called `{i}`" for i in twice]
    for spec in specs:
        if spec.op not in get_args(Op):
            out.append(f"condition `{spec.id}` has the operator {spec.op!r}")
        if spec.kind not in get_args(ThresholdKind):
            out.append(f"condition `{spec.id}` has the threshold kind {spec.kind!r}")
        if not spec.population:
            out.append(f"condition `{spec.id}` names no population it is judged over")
    return out


def _option_problems(specs: object, conditions: object) -> list[str]:
    if not isinstance(specs, tuple) or not all(isinstance(s, OptionSpec) for s in specs):
        return ["`options` must be a tuple of OptionSpec"]
    condition_ids = {c.id for c in conditions} if isinstance(conditions, tuple) else set()
    out = [f"option `{s.name}` has the kind {s.kind!r}"
           for s in specs if s.kind not in get_args(OptionKind)]
    out += [f"option `{s.name}` has the name of a condition"
            for s in specs if s.name in condition_ids]
    return out


def _declaration_problems(gate: object) -> list[str]:
    out = [f"`{name}` must be a string" for name in _TEXT
           if not isinstance(getattr(gate, name, None), str)]
    out += [f"has no method `{name}`" for name in _METHODS
            if not callable(getattr(gate, name, None))]
    for name, kind in (("order", int), ("default_timeout", (int, float)), ("runs_alone", bool),
                       ("yields_cpu", bool)):
        if not isinstance(getattr(gate, name, None), kind):
            out.append(f"`{name}` is missing or of the wrong type")
    flags = getattr(gate, "cli_options", None)
    if not isinstance(flags, tuple):
        out.append("`cli_options` must be a tuple of CliOption")
    else:
        out += [f"the option {getattr(f, 'flag', f)!r} is no free `--word-word` flag"
                for f in flags
                if not _FLAG.match(str(getattr(f, "flag", ""))) or f.flag in _RESERVED_FLAGS]
    return out


def problems_of(gate: object) -> list[str]:
    """Everything wrong with what GATE declares; empty when it can be used."""
    out = _declaration_problems(gate)
    conditions = getattr(gate, "conditions", None)
    out += _condition_problems(conditions)
    out += _option_problems(getattr(gate, "options", None), conditions)
    details = getattr(gate, "details_type", None)
    if not (isinstance(details, type) and issubclass(details, Details)):
        out.append("`details_type` must be a subclass of auditor.model.Details")
    build = getattr(gate, "build_conditions", None)
    known = {c.id for c in conditions} if isinstance(conditions, tuple) else set()
    if not isinstance(build, tuple):
        out.append("`build_conditions` must be a tuple of condition ids")
    else:
        out += [f"`build_conditions` names `{b}`, none of its conditions"
                for b in build if b not in known]
    return out
