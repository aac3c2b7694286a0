"""`new_line_coverage`: covered changed executable lines over changed executable lines.

A changed line is executable when coverage.py counts a statement on it (executed or missing in
its JSON report); files coverage did not measure are left out, as diff-cover leaves them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditor.newcode import NewCode
from gates.coverage.details import NewLineCoverage, UncoveredLines
from gates.coverage.parse import FileCoverage, format_lines


@dataclass(frozen=True)
class NewLines:
    covered: int
    total: int
    uncovered: dict[str, str]
    """Changed executable lines the tests never ran, by file, as coverage shows missing lines."""

    @property
    def percent(self) -> float | None:
        return 100.0 * self.covered / self.total if self.total else None

    def details(self, new_code: NewCode) -> NewLineCoverage:
        """The `new_code` details: the change and what of it the tests ran."""
        return NewLineCoverage(
            ref=new_code.ref,
            merge_base=new_code.merge_base,
            files=len(new_code.lines),
            lines=sum(len(v) for v in new_code.lines.values()),
            executable_lines=self.total,
            covered_lines=self.covered,
            uncovered=tuple(
                UncoveredLines(path=path, lines=lines) for path, lines in self.uncovered.items()
            ),
        )


def measure(files: Sequence[FileCoverage], new_code: NewCode) -> NewLines:
    covered = total = 0
    uncovered: dict[str, str] = {}
    for f in files:
        changed = new_code.lines.get(f.path)
        if not changed:
            continue
        statements = f.executed | f.unexecuted
        executable = changed & statements
        hit = executable & f.executed
        covered += len(hit)
        total += len(executable)
        if executable - hit:
            uncovered[f.path] = format_lines(statements, executable - hit)
    return NewLines(covered=covered, total=total, uncovered=uncovered)
