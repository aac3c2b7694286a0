"""bandit's scan of the target's code: the files it is given, its run and its details."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.errors import ConfigError, GateError
from auditor.exclude import excluded_files, without
from auditor.model import Population
from auditor.plugin import GateConfig, GateContext
from auditor.toolinfo import ResolvedTool
from gates import tools
from gates.security import bandit_run
from gates.security.details import BanditDetails, SecurityDetails

BANDIT = tools.Tool("bandit", "bandit", "bandit_command")


@dataclass(frozen=True)
class ScanSettings:
    """The gate's options that say what bandit scans and counts."""

    severity: str
    """The lowest severity counted in `critical_findings`."""
    confidence: str
    """The lowest confidence counted in `critical_findings`."""
    exclude: list[str]
    """`exclude` and `extend_exclude` together."""

    @classmethod
    def from_config(cls, config: GateConfig) -> ScanSettings:
        return cls(
            severity=_level(config, "severity"),
            confidence=_level(config, "confidence"),
            exclude=[*config.option_list("exclude"), *config.option_list("extend_exclude")],
        )


def _level(config: GateConfig, key: str) -> str:
    """A level option (its OptionSpec holds the default), upper-cased: one of bandit's LEVELS."""
    level = tools.required_option(config.option_str(key), "security", key).upper()
    if level not in bandit_run.LEVELS:
        raise ConfigError(
            f"`{key}` in [tool.audit.security] must be one of {', '.join(bandit_run.LEVELS)}, "
            f"not {level!r}"
        )
    return level


@dataclass(frozen=True)
class CodeScan:
    """What bandit was given and what it found."""

    tool: ResolvedTool
    files: list[str]
    """The files bandit was given, relative to the target root."""
    report: bandit_run.BanditReport
    details: SecurityDetails

    def population(self) -> Population:
        """The files scanned, of those given: a file bandit could not parse was not scanned, so
        it is never judged clean."""
        unparsed = tuple(sorted({e.path for e in self.report.errors}))
        return Population("files scanned", len(self.files) - len(unparsed),
                          given=len(self.files), left_out=unparsed)


def scan(ctx: GateContext) -> CodeScan:
    """Run bandit on the target's Python files left once both exclusions are applied."""
    settings = ScanSettings.from_config(ctx.config)
    selection = bandit_run.select_files(ctx.root, settings.exclude)
    files = without(selection.files, ctx.exclude)
    if not files:
        raise GateError(
            "no Python file is left for bandit to scan once `exclude` is applied "
            f"({len(selection.excluded) + len(selection.files)} excluded)"
        )
    tool = tools.resolve(ctx, BANDIT)
    ctx.progress(f"bandit: scanning {len(files)} files")
    report = bandit_run.run(
        ctx, files=files, command=tool.command, severity=settings.severity,
        confidence=settings.confidence,
    )
    details = SecurityDetails(
        bandit=BanditDetails(
            severity=settings.severity,
            confidence=settings.confidence,
            scanned_files=len(files),
            exclude=tuple(settings.exclude),
            excluded=tuple(selection.excluded),
            counts=report.counts,
            errors=tuple(report.errors),
            nosec=report.nosec,
        ),
        tools=(tool,),
        exclusion=excluded_files(ctx.exclude, set(selection.files) - set(files)),
    )
    return CodeScan(tool=tool, files=files, report=report, details=details)
