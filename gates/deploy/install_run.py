"""The wheel installed into a fresh environment and imported there, away from its source tree.

The environment is a virtual environment made with the target's interpreter, without the
system's packages: a `--system-site-packages` environment would see the base Python's, not
those of the target's environment. A `.pth` file adds the target environment's site-packages
after the environment's own, as plain directories: the wheel's copy of the project comes
first, and the `.pth` hooks there (an editable install of the project itself) are not run, so
the source tree never comes back on the path. The wheel is installed with PyPA's `installer`.

Then every module of the source tree under the wheel's top-level packages is imported, in one
process of the new environment started isolated (`-I`: no PYTHONPATH, no current directory on
the path) in the gate's work directory; a module that ends that process (`os._exit`, a crash)
is named and the rest are imported in a new one. Every console script of the wheel answers
`--help`.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.exceptions import InstallerError
from installer.sources import WheelFile

from auditor.errors import GateError
from auditor.plugin import GateContext
from gates import tools
from gates.deploy import parse
from gates.deploy.details import ImportFailure, ScriptRun
from gates.paths import relative_to_root

# A Django project's modules (its models above all) import only once Django is set up with its
# settings, as `manage.py` and the WSGI/ASGI entry points do first.
DJANGO_SETUP_VAR = "AUDITOR_DJANGO_SETUP"
IMPORT_PROBE = """\
import importlib, json, os, sys
setup_error = None
if os.environ.get("AUDITOR_DJANGO_SETUP"):
    try:
        import django
        django.setup()
    except BaseException as exc:
        setup_error = f"django.setup() failed: {type(exc).__name__}: {exc}"[:500]
with open(sys.argv[1], "a", encoding="utf-8") as out:
    for name in sys.argv[2:]:
        if setup_error is not None:
            line = {"module": name, "ok": False, "error": setup_error}
        else:
            try:
                importlib.import_module(name)
                line = {"module": name, "ok": True}
            except BaseException as exc:  # SystemExit too: a module's top level that exits
                line = {"module": name, "ok": False,
                        "error": f"{type(exc).__name__}: {exc}"[:500]}
        out.write(json.dumps(line) + "\\n")
        out.flush()
"""
SITE_PROBE = "import json, site; print(json.dumps(site.getsitepackages()))"
PATHS_PROBE = "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"
_SOURCE_BASES = ("", "src")


@dataclass(frozen=True)
class SourceModule:
    name: str
    path: Path


def _json_list(ctx: GateContext, python: Path, probe: str) -> object:
    result = ctx.run([str(python), "-I", "-c", probe], cwd=ctx.workdir, env=tools.tool_env(ctx))
    tools.check_exit(f"{python} -c (reading its paths)", result, (0,))
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise tools.tool_failed(f"{python} printed no paths", result) from None


def make_environment(ctx: GateContext, wheel: Path) -> Path:
    """A fresh environment with WHEEL installed, seeing the target's packages; its python."""
    venv = ctx.workdir / "venv"
    if venv.exists():
        shutil.rmtree(venv)
    ctx.progress("making a fresh environment")
    made = ctx.run(
        [str(ctx.python), "-m", "venv", "--without-pip", str(venv)],
        cwd=ctx.workdir,
        env=tools.tool_env(ctx),
    )
    tools.check_exit("python -m venv", made, (0,))
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    paths = _json_list(ctx, python, PATHS_PROBE)
    sites = _json_list(ctx, ctx.python, SITE_PROBE)
    if not isinstance(paths, dict) or not isinstance(sites, list):
        raise GateError("the interpreters' paths could not be read")
    purelib = Path(str(paths["purelib"]))
    purelib.mkdir(parents=True, exist_ok=True)
    (purelib / "audit-target-packages.pth").write_text(
        "".join(f"{site}\n" for site in sites), encoding="utf-8"
    )
    scheme = {
        key: str(paths[source])
        for key, source in (
            ("purelib", "purelib"),
            ("platlib", "platlib"),
            ("scripts", "scripts"),
            ("data", "data"),
            ("headers", "include"),
        )
    }
    destination = SchemeDictionaryDestination(
        scheme,
        interpreter=str(python),
        script_kind="win-amd64" if os.name == "nt" else "posix",
    )
    ctx.progress(f"installing {wheel.name}")
    try:
        with WheelFile.open(wheel) as source:
            install(source, destination, additional_metadata={"INSTALLER": b"auditor\n"})
    except (InstallerError, ValueError, OSError) as exc:
        raise GateError(f"the wheel {wheel.name} could not be installed: {exc}") from None
    return python


def read_wheel(wheel: Path) -> parse.WheelContents:
    """The modules and console scripts of WHEEL, from its member names and entry points."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            points = [
                n for n in names if n.count("/") == 1 and n.endswith(".dist-info/entry_points.txt")
            ]
            text = archive.read(points[0]).decode("utf-8") if points else ""
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise GateError(f"the wheel {wheel.name} cannot be read: {exc}") from None
    return parse.wheel_contents(names, text)


def _package_dir(root: Path, top: str) -> Path | None:
    for base in _SOURCE_BASES:
        for candidate in (root / base / top, root / base / f"{top}.py"):
            if candidate.exists():
                return candidate
    return None


def source_modules(root: Path, top_level: tuple[str, ...]) -> tuple[list[SourceModule], list[str]]:
    """The modules of the source tree under the wheel's TOP_LEVEL packages (at the root or in
    `src/`), and the top-level names not found there."""
    modules: list[SourceModule] = []
    missing: list[str] = []
    for top in top_level:
        found = _package_dir(root, top)
        if found is None:
            missing.append(top)
        elif found.is_file():
            modules.append(SourceModule(top, found))
        else:
            modules.extend(_walk_package(found, top))
    return sorted(modules, key=lambda m: m.name), missing


def _walk_package(directory: Path, top: str) -> list[SourceModule]:
    found: list[SourceModule] = []
    for current, dirs, files in os.walk(directory):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d.isidentifier())
        prefix = [top, *here.relative_to(directory).parts]
        for name in sorted(files):
            stem = name[:-3]
            if not name.endswith(".py") or not stem.isidentifier():
                continue
            dotted = prefix if stem == "__init__" else [*prefix, stem]
            found.append(SourceModule(".".join(dotted), here / name))
    return found


def import_all(ctx: GateContext, python: Path, names: list[str],
               django_settings: str | None = None) -> list[parse.ImportResult]:
    """Import NAMES in the environment of PYTHON, after `django.setup()` with DJANGO_SETTINGS
    when given; one result each, in order."""
    env = tools.tool_env(ctx)
    if django_settings is not None:
        env = {**env, DJANGO_SETUP_VAR: "1", "DJANGO_SETTINGS_MODULE": django_settings}
    results: list[parse.ImportResult] = []
    out = ctx.workdir / "imports.jsonl"
    while len(results) < len(names):
        out.unlink(missing_ok=True)
        left = names[len(results) :]
        ctx.progress(f"importing {len(left)} modules")
        run = ctx.run(
            [str(python), "-I", "-c", IMPORT_PROBE, str(out), *left],
            cwd=ctx.workdir,
            env=env,
        )
        done = parse.import_results(out.read_text(encoding="utf-8")) if out.exists() else []
        if [r.module for r in done] != left[: len(done)]:
            raise tools.tool_failed("the import probe", run, detail="it reported other modules")
        results.extend(done)
        if len(done) < len(left):
            culprit = left[len(done)]
            results.append(
                parse.ImportResult(
                    culprit,
                    ok=False,
                    error=f"the interpreter exited with code {run.returncode} while importing it",
                )
            )
    return results


def import_failures(
    ctx: GateContext,
    python: Path,
    modules: list[SourceModule],
    wheel: parse.WheelContents,
    *,
    not_imported: set[str],
    django_settings: str | None = None,
) -> tuple[list[ImportFailure], int]:
    """The modules that are missing from the wheel or do not import (those NOT_IMPORTED are
    only looked for in the wheel); and how many imported."""
    failures = [
        ImportFailure(
            m.name,
            relative_to_root(str(m.path), ctx.root),
            "in the source tree but not in the wheel",
            missing_from_wheel=True,
        )
        for m in modules
        if m.name not in wheel.modules
    ]
    present = [m for m in modules if m.name in wheel.modules and m.name not in not_imported]
    paths = {m.name: m.path for m in present}
    names = [m.name for m in present]
    results = import_all(ctx, python, names, django_settings) if present else []
    failures.extend(
        ImportFailure(r.module, relative_to_root(str(paths[r.module]), ctx.root), r.error)
        for r in results
        if not r.ok
    )
    return sorted(failures, key=lambda f: f.module), sum(r.ok for r in results)


def run_scripts(ctx: GateContext, python: Path, scripts: tuple[str, ...]) -> list[ScriptRun]:
    """Each console script, installed beside PYTHON, run with `--help` in the work directory."""
    runs: list[ScriptRun] = []
    env = tools.tool_env(ctx)
    env.pop("PYTHONPATH", None)
    for name in scripts:
        ctx.progress(f"{name} --help")
        result = ctx.run([str(python.parent / name), "--help"], cwd=ctx.workdir, env=env)
        tail = "" if result.returncode == 0 else result.describe(tail_lines=10)
        runs.append(ScriptRun(name, result.returncode, tail))
    return runs
