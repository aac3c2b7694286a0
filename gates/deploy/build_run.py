"""Building the target's sdist and wheel with PyPA's `build`, from a copy of its tree.

setuptools writes `build/` and `*.egg-info` into the directory it builds, so the gate builds a
copy in its work directory: the files git lists (tracked, and untracked but not ignored), or,
outside git, the tree without hidden directories, environments and build output. The
frontend runs with the target's interpreter, so an isolated build's environment is made with
it (as pip would) and `isolation = false` builds with what the target's environment has
installed. When that environment has no `build`, the auditor's own is put on its path.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import GateError
from auditor.plugin import GateContext
from auditor.procs import ProcResult
from auditor.toolinfo import ResolvedTool, Source
from gates import tools
from gates.deploy import parse
from gates.pins import project_pins

FRONTEND_PACKAGES = ("build", "pyproject_hooks")
"""What `python -m build` imports beyond the standard library and `packaging`."""
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})
_SKIPPED_AT_ROOT = frozenset({"build", "dist"})
LOG_TAIL_LINES = 40


def _git_files(ctx: GateContext) -> list[str] | None:
    try:
        listed = ctx.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            env=tools.tool_env(ctx),
        )
    except GateError:
        return None
    if listed.returncode != 0:
        return None
    return sorted({name for name in listed.stdout.split("\0") if name})


def _walked_files(root: Path) -> list[str]:
    found: list[str] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIPPED_DIRS
            and not d.endswith(".egg-info")
            and not (here == root and d in _SKIPPED_AT_ROOT)
            and not (here / d / "pyvenv.cfg").exists()
        ]
        found.extend((here / f).relative_to(root).as_posix() for f in files)
    return found


def copy_tree(ctx: GateContext, dest: Path) -> int:
    """Copy the target's source files to DEST; how many were copied."""
    if dest.exists():
        shutil.rmtree(dest)
    files = _git_files(ctx) or _walked_files(ctx.root)
    copied = 0
    for rel in files:
        source = ctx.root / rel
        if not source.is_file():
            continue  # deleted in the work tree, or a submodule's directory
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
        copied += 1
    return copied


@dataclass(frozen=True)
class Frontend:
    tool: ResolvedTool
    env: dict[str, str]


def _overlay(ctx: GateContext) -> Path:
    """A directory holding the auditor's own frontend packages, put on the target's path."""
    overlay = ctx.workdir / "frontend"
    overlay.mkdir(parents=True, exist_ok=True)
    wanted = list(FRONTEND_PACKAGES)
    if not tools.target_has_module(ctx, "packaging"):
        wanted.append("packaging")
    for name in wanted:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise GateError(f"the auditor's own `{name}` is not installed; reinstall the auditor")
        link = overlay / name
        if not link.exists():
            link.symlink_to(Path(spec.origin).parent, target_is_directory=True)
    return overlay


def frontend(ctx: GateContext) -> Frontend:
    """The `build` command: the configured one, else `python -m build` with the target's
    interpreter (its own `build`, or the auditor's put on its path)."""
    configured = ctx.config.option_list("build_command")
    env = tools.tool_env(ctx)
    source: Source
    if configured:
        command, source = configured, "configured"
    else:
        command = [str(ctx.python), "-m", "build"]
        source = "target" if tools.target_has_module(ctx, "build") else "bundled"
        if source == "bundled":
            env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(_overlay(ctx)), env.get("PYTHONPATH")])
            )
    version = tools.run_tool(ctx, "build", [*command, "--version"], env=env)
    tools.check_exit("build --version", version, (0,))
    resolved = ResolvedTool(
        name="build",
        version=tools.parse_version("build", version.stdout),
        source=source,
        command=tuple(command),
        pins=tuple(project_pins(ctx.root, "build")),
    )
    return Frontend(resolved, env)


@dataclass(frozen=True)
class Built:
    """What the build made, or why it failed."""

    result: ProcResult
    duration_s: float
    artifacts: tuple[parse.ReportArtifact, ...]

    @property
    def ok(self) -> bool:
        return self.result.returncode == 0

    def artifact(self, kind: str) -> Path | None:
        return next((Path(a.path) for a in self.artifacts if a.kind == kind), None)

    def log_tail(self) -> str:
        return self.result.describe(tail_lines=LOG_TAIL_LINES)


def build(ctx: GateContext, front: Frontend, source: Path, *, isolated: bool) -> Built:
    """`python -m build` of SOURCE (sdist, then the wheel from the sdist) into the work
    directory; its report read when it succeeded."""
    outdir = ctx.workdir / "dist"
    if outdir.exists():
        shutil.rmtree(outdir)
    report = ctx.workdir / "build-report.json"
    report.unlink(missing_ok=True)
    cmd = [*front.tool.command, "--outdir", str(outdir), "--report", str(report)]
    if not isolated:
        cmd.append("--no-isolation")
    started = time.monotonic()
    result = tools.run_tool(ctx, "build", [*cmd, str(source)], cwd=source, env=front.env)
    duration = time.monotonic() - started
    if result.returncode != 0:
        return Built(result, duration, ())
    try:
        artifacts = parse.build_report(report.read_bytes()).artifacts
    except OSError:
        raise tools.tool_failed("build wrote no --report", result) from None
    kinds = {a.kind for a in artifacts}
    if kinds != {"sdist", "wheel"}:
        raise tools.tool_failed(
            "build did not report both an sdist and a wheel",
            result,
            detail=f"it reported {sorted(kinds)}",
        )
    return Built(result, duration, artifacts)
