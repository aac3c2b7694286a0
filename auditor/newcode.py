"""`--new-code REF`: the lines a change adds or touches, as diff-cover computes them.

Changed lines are the added lines of `git diff -U0` from the merge base of REF and HEAD to the
working tree (so committed, staged and unstaged changes alike), plus every line of untracked
files that git does not ignore. Paths are relative to the target root, which may be a
sub-directory of the repository. Git only reads here: optional locks are off, so not even the
index's stat cache is refreshed in the target.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from unidiff.patch import PatchSet

from auditor import procs
from auditor.errors import ConfigError, GateError

AUTO = "auto"
CI_BASE_VARIABLES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
GIT_TIMEOUT_S = 120.0
MAX_DIFF_BYTES = 512 * 1024 * 1024
_GIT_HEADER_LINES = ("diff --git ", "new file mode ", "deleted file mode ")


@dataclass(frozen=True)
class NewCode:
    """What the change touched: changed line numbers by path relative to the target root."""

    ref: str
    """REF as given (or as `auto` resolved it)."""
    merge_base: str
    lines: dict[str, frozenset[int]]

    def touched(self, path: str, line: int | None) -> bool:
        """Whether a finding at PATH:LINE is on a changed line; one without a line always is."""
        return line is None or line in self.lines.get(path, frozenset())


def written_inside(root: Path, paths: Iterable[Path]) -> tuple[str, ...]:
    """Of the PATHS the auditor writes (the report folder, the cache), those inside ROOT, as
    paths relative to it with forward slashes; none of their files is ever a target's file."""
    top = root.resolve()
    found: list[str] = []
    for path in paths:
        full = path.resolve()
        if full.is_relative_to(top) and full != top:
            found.append(full.relative_to(top).as_posix())
    return tuple(sorted(set(found)))


def under_any(rel: str, dirs: Iterable[str]) -> bool:
    """Whether REL (relative to the root, forward slashes) is one of DIRS or inside one."""
    return any(rel == d or rel.startswith(f"{d}/") for d in dirs)


def _git(root: Path, *args: str) -> procs.ProcResult:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        return procs.run(
            ["git", "-c", "core.quotepath=off", *args], cwd=root, timeout=GIT_TIMEOUT_S,
            env=env, max_output=MAX_DIFF_BYTES,
        )
    except GateError as exc:
        raise ConfigError(f"--new-code needs git, which could not run: {exc}") from None


def resolve_ref(ref: str, environ: dict[str, str] | None = None) -> str:
    """REF, or for `auto` the base branch CI names in its environment."""
    if ref != AUTO:
        return ref
    env = os.environ if environ is None else environ
    for name in CI_BASE_VARIABLES:
        if env.get(name):
            return env[name]
    raise ConfigError(
        "--new-code auto found no base branch: neither "
        + " nor ".join(CI_BASE_VARIABLES)
        + " is set (outside a pull or merge request, name the branch, e.g. --new-code main)"
    )


def _commit(root: Path, ref: str) -> str | None:
    result = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return result.stdout.strip() if result.returncode == 0 else None


def merge_base(root: Path, ref: str) -> str:
    """The merge base of REF and HEAD; ConfigError with the fix when there is none."""
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise ConfigError(
            f"--new-code {ref}: {root} is not inside a git repository; audit a git checkout, "
            "or leave out --new-code"
        )
    if _commit(root, "HEAD") is None:
        raise ConfigError(f"--new-code {ref}: the repository at {root} has no commit yet")
    commit = _commit(root, ref) or _commit(root, f"origin/{ref}")
    if commit is None:
        raise ConfigError(
            f"--new-code {ref}: git knows no branch, tag or commit named `{ref}` (nor "
            f"`origin/{ref}`); fetch it (`git fetch origin {ref}`) or name an existing one"
        )
    base = _git(root, "merge-base", commit, "HEAD")
    if base.returncode == 0 and base.stdout.strip():
        return base.stdout.strip()
    shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    if shallow:
        raise ConfigError(
            f"--new-code {ref}: this clone is shallow and lacks the common ancestor of `{ref}` "
            "and HEAD; fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` "
            "in actions/checkout, GIT_DEPTH: 0 in GitLab CI)"
        )
    raise ConfigError(
        f"--new-code {ref}: `{ref}` and HEAD have no common ancestor; name the branch this "
        "change was made from"
    )


def parse_diff(diff: str) -> dict[str, set[int]]:
    """Added line numbers by new path, from `git diff -U0` with --relative paths. With no
    context lines, a hunk's new side is exactly its added lines; deleted, binary, mode-only and
    unchanged renamed files have none."""
    # The ---/+++ lines name each file unambiguously; unidiff checks them against the `diff --git`
    # header, which is ambiguous for a path holding " b/", and against its new/deleted file mode
    # lines. No hunk line starts with these words (each starts with "+", "-", " " or "\\").
    lines = (line for line in io.StringIO(diff) if not line.startswith(_GIT_HEADER_LINES))
    found: dict[str, set[int]] = {}
    for patched in PatchSet(lines, metadata_only=True):
        added = {
            n for h in patched for n in range(h.target_start, h.target_start + h.target_length)
        }
        if added:
            found[patched.target_file.removeprefix("b/")] = added
    return found


def _line_count(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def changed_lines(root: Path, ref: str, written: Sequence[Path] = ()) -> NewCode:
    """The change since the merge base of REF and HEAD, in the target root; nothing in the
    directories the auditor writes (WRITTEN: the report folder, the cache) is part of it."""
    skipped = written_inside(root, written)
    base = merge_base(root, ref)
    diff = _git(
        root, "-c", "diff.mnemonicprefix=no", "-c", "diff.noprefix=no",
        "diff", "--no-color", "--no-ext-diff", "-U0", "--relative", base,
    )
    if diff.returncode != 0 or diff.truncated:
        raise ConfigError(f"--new-code {ref}: `git diff {base}` failed: {diff.last_line()}")
    found = parse_diff(diff.stdout)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    if untracked.returncode != 0:
        raise ConfigError(f"--new-code {ref}: `git ls-files` failed: {untracked.last_line()}")
    for name in filter(None, untracked.stdout.split("\0")):
        if under_any(name, skipped):
            continue
        count = _line_count(root / name)
        if count:
            found[name] = set(range(1, count + 1))
    return NewCode(
        ref=ref,
        merge_base=base,
        lines={
            path: frozenset(v) for path, v in sorted(found.items()) if not under_any(path, skipped)
        },
    )


def changed_paths(root: Path, ref: str, written: Sequence[Path] = ()) -> tuple[str, frozenset[str]]:
    """The merge base of REF and HEAD and every path, relative to ROOT, that the change since
    it added, modified or deleted (untracked files included; the WRITTEN directories not)."""
    skipped = written_inside(root, written)
    base = merge_base(root, ref)
    diff = _git(root, "diff", "--name-only", "--no-renames", "--relative", "-z", base)
    if diff.returncode != 0 or diff.truncated:
        raise ConfigError(f"--new-code {ref}: `git diff {base}` failed: {diff.last_line()}")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    if untracked.returncode != 0:
        raise ConfigError(f"--new-code {ref}: `git ls-files` failed: {untracked.last_line()}")
    names = [*diff.stdout.split("\0"), *untracked.stdout.split("\0")]
    return base, frozenset(n for n in names if n and not under_any(n, skipped))
