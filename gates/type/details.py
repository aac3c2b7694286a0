"""The type gate's `details`, typed: what mypy checked, with which configuration, and its
any-exprs figures by module.

The field names are the scorecard's JSON keys; msgspec writes them and reads them back, and a
value of the wrong type is a validation error naming the field.
"""

from __future__ import annotations

import msgspec

from auditor.model import Details


class AnyFigures(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """Expressions of type Any among the expressions mypy counted, for a module or in total."""

    module: str | None = None
    """The module; None for the total."""
    any: int
    total: int
    coverage: float | None = None
    """Percent not Any, rounded to 2 places; None when nothing was counted."""


class TypeDetails(Details, frozen=True, kw_only=True):
    """What mypy checked, with which configuration, and its any-exprs figures. The interpreter
    mypy was pointed at (`--python-executable`) is the shared `interpreter` field."""

    config: str | None = None
    """Which mypy configuration applied."""
    checked: str | None = None
    """What was checked and why (the configuration's files, `targets`, or the packages found)."""
    checked_paths: tuple[str, ...] = ()
    """The paths given to mypy; empty when its configuration names them."""
    modules: tuple[AnyFigures, ...] = ()
    total: AnyFigures | None = None
    coverage_definition: str | None = None
    notes: tuple[str, ...] = ()
    """mypy's notes that belong to no error."""
