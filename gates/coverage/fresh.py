"""Whether reused coverage data still describes this checkout's code.

Coverage data carries no content hash of the files it measured, only the lines that ran in each.
It is judged by what it carries, file by file (a module imported from a zip or egg archive, e.g.
`tests/res/package.zip/pkg/mod.py`, is judged by its archive, the file on disk):
- the lines it saw run in a Python file must still be statements of that file as it is now
  (coverage.py's own parser, in the target's interpreter): an executed line that no longer lands
  on a statement means the file changed since it was measured, whatever its modification time;
- a file whose content equals the commit's (git: tracked, no difference from HEAD) is otherwise
  fresh, whatever its modification time (a checkout that rewrote it unchanged);
- any other file (untracked, changed since the commit, or no git checkout) is stale when it was
  modified after the oldest data file was written, or when it vanished.

What stays undetectable: an edit of a file that is not the commit's (untracked, or changed
since the commit) made before the data was written or with its old modification time restored,
that keeps every executed line on a statement; and data written on another commit for a file
now equal to this commit's, when every line it ran is still a statement.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.plugin import GateContext
from gates.coverage.run import tool_env
from gates.tools import check_exit

PYTHON_SUFFIXES = (".py", ".pyw")
"""Files coverage.py's Python parser reads; files of other tracers are judged on disk only."""
SHOWN = 5
"""How many stale files the error names."""

# Run by the target's interpreter (argv: the combined data file, a JSON list of measured Python
# files): per file, the lines the data saw run that are no statement of the file now.
_MOVED = """\
import json, sys
from coverage import CoverageData
from coverage.parser import PythonParser
from coverage.python import get_python_source
data = CoverageData(basename=sys.argv[1])
data.read()
with open(sys.argv[2], encoding="utf-8") as listing:
    paths = json.load(listing)
moved = {}
for path in paths:
    ran = {line for line in (data.lines(path) or ()) if line > 0}
    if not ran:
        continue
    try:
        parser = PythonParser(text=get_python_source(path), filename=path)
        parser.parse_source()
    except Exception as exc:
        moved[path] = {"lines": [], "error": f"{type(exc).__name__}: {exc}"}
        continue
    off = parser.first_lines(ran) - parser.first_lines(parser.raw_statements)
    if off:
        moved[path] = {"lines": sorted(off), "error": None}
print(json.dumps({"moved": moved}))
"""


class MovedLines(msgspec.Struct, frozen=True):
    """Lines the data saw run in a file that are no statement of it now."""

    lines: list[int]
    """Those lines, in the file as it is now; empty when it no longer parses."""
    error: str | None
    """Why the file no longer parses as Python; None when it does."""

    def why(self) -> str:
        if self.error is not None:
            return f"it ran but no longer parses: {self.error}"
        shown = ", ".join(str(line) for line in self.lines[:SHOWN])
        more = ", ..." if len(self.lines) > SHOWN else ""
        return f"line(s) {shown}{more} ran but are no statement now"


class _Moved(msgspec.Struct, frozen=True):
    """What _MOVED prints."""

    moved: dict[str, MovedLines]


def moved_lines(stdout: str) -> dict[str, MovedLines]:
    """The files _MOVED found changed, by measured path, from its output (its last line)."""
    lines = stdout.strip().splitlines()
    try:
        return msgspec.json.decode(lines[-1] if lines else "", type=_Moved).moved
    except msgspec.DecodeError as exc:
        raise GateError(
            f"the check of the measured lines against the current code printed no readable "
            f"answer: {exc}"
        ) from None


def archive_of(path: Path, root: Path) -> Path | None:
    """The zip (or egg) archive under ROOT that PATH, a module imported from it, lies in."""
    for parent in path.parents:
        if parent == root or not parent.is_relative_to(root):
            return None
        if parent.is_file():
            return parent if zipfile.is_zipfile(parent) else None
    return None


def _git_lines(ctx: GateContext, cwd: Path, *args: str) -> list[str] | None:
    """The NUL-separated output of `git ARGS` in CWD; None when git fails or is missing."""
    try:
        result = ctx.run(["git", "--no-optional-locks", *args], cwd=cwd)
    except GateError:
        return None
    if result.returncode != 0:
        return None
    return [line for line in result.stdout.split("\0") if line]


def unchanged_since_commit(ctx: GateContext, files: Sequence[Path]) -> set[Path]:
    """Those of FILES (resolved) whose content equals the commit's: tracked in HEAD and no
    difference from it (staged or not); none outside a git checkout or without git."""
    found = _git_lines(ctx, ctx.root, "rev-parse", "--show-toplevel")
    if not found:
        return set()
    top = Path(found[0].strip()).resolve()
    tracked = _git_lines(ctx, top, "ls-tree", "-r", "-z", "--name-only", "HEAD")
    changed = _git_lines(ctx, top, "diff", "--name-only", "-z", "--no-renames", "HEAD", "--")
    if tracked is None or changed is None:
        return set()
    clean = {top / name for name in tracked} - {top / name for name in changed}
    return {f for f in files if f in clean}


def _moved(ctx: GateContext, combined: Path, files: Sequence[Path]) -> dict[Path, MovedLines]:
    """The measured Python FILES whose executed lines are no longer all statements."""
    if not files:
        return {}
    listing = ctx.workdir / "fresh-files.json"
    listing.write_bytes(msgspec.json.encode([str(f) for f in files]))
    result = ctx.run(
        [str(ctx.python), "-c", _MOVED, str(combined), str(listing)],
        cwd=ctx.workdir,
        env=tool_env(ctx, runs_target=False),
    )
    check_exit("comparing the coverage data with the current code", result, (0,))
    try:
        moved = moved_lines(result.stdout)
    except GateError as exc:
        raise GateError(str(exc), log_tail=result.describe(tail_lines=40)) from None
    return {Path(path): lines for path, lines in moved.items()}


def _under(path: Path, root: Path) -> bool:
    return path.is_relative_to(root) and "site-packages" not in path.parts


def _on_disk(path: Path, root: Path) -> Path:
    """The file on disk that PATH's code came from: PATH, or the archive it was imported from."""
    if path.is_file():
        return path
    return archive_of(path, root) or path


def _disk_reason(file: Path, unchanged: set[Path], oldest: int) -> str | None:
    """Why FILE on disk shows the data is stale, or None."""
    if not file.is_file():
        return "it no longer exists"
    if file.resolve() in unchanged:
        return None
    if file.stat().st_mtime_ns > oldest:
        return "modified after the data was written"
    return None


def check_fresh(
    ctx: GateContext, measured: list[Path], data_files: list[str], combined: Path
) -> None:
    """Raise GateError when the data measured no project file, or a project file it measured
    changed since (the module docstring says how that is judged)."""
    root = ctx.root.resolve()
    own = [p for p in measured if _under(p, root)]
    if not own:
        example = f" (it names e.g. {measured[0]})" if measured else ""
        raise GateError(
            f"the coverage data measured none of the project's files under {root}{example}; "
            "add a [paths] section to the project's coverage configuration that maps the "
            "paths where the tests ran to this checkout"
        )
    disk = {p: _on_disk(p, root) for p in own}
    unchanged = unchanged_since_commit(ctx, sorted({f.resolve() for f in disk.values()}))
    python = [p for p in own if p.is_file() and p.suffix in PYTHON_SUFFIXES]
    moved = _moved(ctx, combined, python)
    oldest = min(Path(f).stat().st_mtime_ns for f in data_files)
    stale: dict[Path, str] = {}
    for path in own:
        why = moved[path].why() if path in moved else _disk_reason(disk[path], unchanged, oldest)
        if why is not None:
            stale[path] = why
    if stale:
        names = "; ".join(
            f"{p.relative_to(root).as_posix()}: {why}" for p, why in list(stale.items())[:SHOWN]
        )
        raise GateError(
            f"the coverage data is stale: {len(stale)} measured file(s) changed after it was "
            f"written ({names}); run the tests again on this code"
        )
