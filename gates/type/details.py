"""The type gate's `details`, typed: what mypy checked, with which configuration, and its
any-exprs figures by module.

`to_dict` writes the scorecard's JSON; `from_dict` reads any scorecard, old or damaged: a key
that is missing or of the wrong type reads as None (and is left out again by `to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor import access
from auditor.exclude import ExcludedFiles
from auditor.toolinfo import ResolvedTool, tools_from


@dataclass(frozen=True)
class AnyFigures:
    """Expressions of type Any among the expressions mypy counted, for a module or in total."""

    any: int | None
    total: int | None
    coverage: float | None
    """Percent not Any, rounded to 2 places; None when nothing was counted."""
    module: str | None = None
    """The module; None for the total."""

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {} if self.module is None else {"module": self.module}
        return {**out, "any": self.any, "total": self.total, "coverage": self.coverage}

    @classmethod
    def from_dict(cls, data: object) -> AnyFigures:
        record = access.mapping(data)
        return cls(
            any=access.whole(record.get("any")),
            total=access.whole(record.get("total")),
            coverage=access.num(record.get("coverage")),
            module=access.optional_text(record.get("module")),
        )


@dataclass(frozen=True)
class TypeDetails:
    interpreter: str | None = None
    """The target interpreter mypy was pointed at (`--python-executable`)."""
    config: str | None = None
    """Which mypy configuration applied."""
    checked: str | None = None
    """What was checked and why (the configuration's files, `targets`, or the packages found)."""
    checked_paths: tuple[str, ...] | None = None
    """The paths given to mypy; empty when its configuration names them."""
    modules: tuple[AnyFigures, ...] | None = None
    total: AnyFigures | None = None
    coverage_definition: str | None = None
    tools: tuple[ResolvedTool, ...] | None = None
    notes: tuple[str, ...] | None = None
    """mypy's notes that belong to no error."""
    exclusion: ExcludedFiles | None = None

    def to_dict(self) -> dict[str, object]:
        return access.without_none({
            "interpreter": self.interpreter,
            "config": self.config,
            "checked": self.checked,
            "checked_paths": None if self.checked_paths is None else list(self.checked_paths),
            "modules": None if self.modules is None else [m.to_dict() for m in self.modules],
            "total": None if self.total is None else self.total.to_dict(),
            "coverage_definition": self.coverage_definition,
            "tools": None if self.tools is None else [t.to_dict() for t in self.tools],
            "notes": None if self.notes is None else list(self.notes),
            "exclusion": None if self.exclusion is None else self.exclusion.to_dict(),
        })

    @classmethod
    def from_dict(cls, data: object) -> TypeDetails:
        details = access.mapping(data)
        paths, modules, total, notes = (
            details.get(k) for k in ("checked_paths", "modules", "total", "notes")
        )
        return cls(
            interpreter=access.optional_text(details.get("interpreter")),
            config=access.optional_text(details.get("config")),
            checked=access.optional_text(details.get("checked")),
            coverage_definition=access.optional_text(details.get("coverage_definition")),
            checked_paths=tuple(access.strings(paths)) if isinstance(paths, list) else None,
            modules=tuple(AnyFigures.from_dict(m) for m in access.records(modules))
            if isinstance(modules, list) else None,
            total=AnyFigures.from_dict(total) if isinstance(total, dict) else None,
            tools=tools_from(details.get("tools")),
            notes=tuple(access.strings(notes)) if isinstance(notes, list) else None,
            exclusion=ExcludedFiles.from_dict(details.get("exclusion")),
        )
