"""`critical_paths`: the files it names, their `critical_coverage` figure and their findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import GateError
from auditor.model import Finding
from gates.coverage.parse import PRECISION, FileCoverage


def critical_candidates(root: Path, globs: list[str]) -> set[str]:
    """Files under the root matching the critical globs, relative with forward slashes.

    Globs follow pathlib (`*` within one directory, `**` any depth); a matched directory
    stands for every file below it.
    """
    hits: set[str] = set()
    for pattern in globs:
        for path in root.glob(pattern):
            below = path.rglob("*") if path.is_dir() else [path]
            hits.update(p.relative_to(root).as_posix() for p in below if p.is_file())
    return hits


def split_critical(candidates: set[str], measured: set[str]) -> tuple[set[str], set[str]]:
    """Critical files that were measured, and Python files that match but were not.

    Hidden directories and installed packages never count as unmeasured critical files.
    """
    unmeasured = {
        rel
        for rel in candidates - measured
        if rel.endswith(".py")
        and not any(part.startswith(".") or part == "site-packages" for part in rel.split("/"))
    }
    return candidates & measured, unmeasured


@dataclass(frozen=True)
class CriticalFiles:
    """The files `critical_paths` names: those coverage measured and those it never did."""

    globs: tuple[str, ...]
    measured: tuple[FileCoverage, ...]
    unmeasured: frozenset[str]
    """Python files the globs match that coverage never measured."""

    @property
    def measured_paths(self) -> frozenset[str]:
        return frozenset(f.path for f in self.measured)

    def coverage(self) -> float | None:
        """The lowest per-file figure, 0 when a critical file was never measured; None without
        `critical_paths`."""
        if not self.globs:
            return None
        return 0.0 if self.unmeasured else min(f.percent for f in self.measured)

    def findings(self) -> list[Finding]:
        """One finding per critical file not fully covered, then one per unmeasured file."""
        findings = [
            Finding(
                path=f.path,
                line=f.first_missing,
                rule="critical-uncovered",
                severity="critical",
                message=(
                    f"critical file is {f.percent:.{PRECISION}f}% covered"
                    + (f"; missing lines {f.missing_lines}" if f.missing_lines else "")
                ),
            )
            for f in self.measured
            if f.percent < 100
        ]
        findings.extend(
            Finding(
                path=path,
                line=None,
                rule="critical-unmeasured",
                severity="critical",
                message="critical file was never measured: the tests do not import it "
                "or the coverage configuration leaves it out",
            )
            for path in sorted(self.unmeasured)
        )
        return findings


def select_critical(
    globs: Sequence[str], candidates: set[str], files: Sequence[FileCoverage], root: Path
) -> CriticalFiles:
    """The critical files among the CANDIDATES (the files the globs match under the ROOT), split
    by whether coverage measured them; an error when the globs match neither kind."""
    critical, unmeasured = split_critical(candidates, {f.path for f in files})
    if globs and not critical and not unmeasured:
        raise GateError(
            f"`critical_paths` ({', '.join(globs)}) match no measured file and no Python file "
            f"under {root}; fix the globs (relative to the target root) or remove them"
        )
    return CriticalFiles(
        globs=tuple(globs),
        measured=tuple(f for f in files if f.path in critical),
        unmeasured=frozenset(unmeasured),
    )
