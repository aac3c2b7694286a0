"""The `docstrings` gate: how many public modules, classes, methods and functions have no
docstring, as ruff's D1 rules (pydocstyle's "undocumented" checks) find them."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence

import msgspec

from audit_docstrings import parse
from auditor.cache import CacheSpec
from auditor.errors import GateError
from auditor.exclude import excluded_files
from auditor.model import ConditionSpec, Details, Finding, Measurement, OptionSpec, Population
from auditor.plugin import BaseGate, GateConfig, GateContext

FILES = "files"
"""The population the condition is judged over: the files ruff checked."""
RUFF = (sys.executable, "-m", "ruff")


class DocstringDetails(Details, frozen=True):
    """What the gate reports beyond its condition and findings."""

    rules: tuple[str, ...] = ()
    """The D1 rules that counted."""
    by_rule: dict[str, int] = msgspec.field(default_factory=dict)
    """Undocumented definitions by rule (D103: public function)."""
    files_checked: int | None = None


class DocstringGate(BaseGate):
    id = "docstrings"
    title = "Docstrings"
    tool = "ruff (D1 rules)"
    details_type = DocstringDetails
    default_timeout = 120.0
    conditions = (
        ConditionSpec("undocumented", "Undocumented public definitions", "", "<=", 0, "count",
                      "public modules, classes, methods and functions without a docstring",
                      population=FILES),
    )
    options = (
        OptionSpec("select", "str_list", ["D1"],
                   "which of ruff's D1 rules count (D100 module ... D107 __init__)"),
    )
    cache = CacheSpec(files=("*.py", "*.pyi", "pyproject.toml", "ruff.toml", ".ruff.toml"),
                      tools=("ruff",), interpreter=False)

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        return {"undocumented": float(len(findings))}

    def measure(self, ctx: GateContext) -> Measurement:
        rules = ctx.config.option_list("select") or ["D1"]
        select = ["--select", ",".join(rules), "--no-cache"]
        ctx.progress("ruff --show-files")
        listing = ctx.run([*RUFF, "check", *select, "--show-files", "."])
        if listing.returncode != 0:
            raise GateError(f"ruff could not list the files to check (exit code "
                            f"{listing.returncode})", log_tail=listing.describe())
        listed = [parse.relative(path, ctx.root) for path in parse.checked_files(listing.stdout)]
        files = [path for path in listed if not ctx.exclude.excludes(path)]
        ctx.progress("ruff check --select D1")
        result = ctx.run([*RUFF, "check", *select, "--output-format", "json", "--exit-zero", "."])
        try:
            found = parse.findings(result.stdout)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise GateError(f"ruff's JSON report could not be read: {exc}",
                            log_tail=result.describe()) from None
        findings = [
            Finding(path=parse.relative(f.filename, ctx.root), line=f.location.row, rule=f.code,
                    severity="warning", message=f.message, tool="ruff")
            for f in found
            if not ctx.exclude.excludes(parse.relative(f.filename, ctx.root))
        ]
        details = DocstringDetails(
            rules=tuple(rules), by_rule=dict(Counter(f.rule for f in findings)),
            files_checked=len(files),
            exclusion=excluded_files(ctx.exclude, set(listed) - set(files)),
        )
        return Measurement(
            values=self.finding_values(findings, ctx.config), findings=findings,
            details=details, tool_name="ruff", populations={FILES: Population(
                "files checked", len(files))},
        )
