"""Times `audit run` against running the same tools by hand on a real project.

Downloads a project's source distribution from the package index (default more-itertools
10.5.0: pure Python, no dependencies, ships its tests), installs it with pytest and coverage into
a virtual environment of its own, then alternately:

- runs the auditor with the coverage, lint, type and security gates, in a child Python that
  reports its own CPU time and peak memory apart from those of the tools it started;
- runs coverage, ruff, mypy, bandit and pip-audit by hand, one after another, on the same
  project against the same offline vulnerability database.

It prints both wall times, their ratio, CPU and memory, and checks that both sides measured the
same figures: a benchmark that compares different work is worthless. Exit code 0 when every
figure agrees, 1 when one differs or a side failed, 2 on a usage or set-up error.

    .venv/bin/python benchmarks/run.py [--repeat N] [--fresh] [--project SPEC] [--osv-db DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "benchmarks" / ".cache"
GATES = "coverage,lint,type,security"
# The versions the target's tests run under, pinned so that figures compare across machines.
TEST_TOOLS = ("pytest==9.2.0", "coverage==7.17.4")
# The audit's default report folder, inside the target: cold and warm audits write there, as a
# user's `audit run .` does; it carries its own .gitignore.
REPORT_DIR = "audit-report"


@dataclass(frozen=True)
class ProjectSpec:
    """A project the benchmark knows: what its tests need, and what a person type-checks."""

    requirement: str
    test_requirements: tuple[str, ...] = ()
    """Installed beside pytest and coverage (the project's own test requirements)."""
    mypy_paths: tuple[str, ...] = ()
    """What `mypy` is given by hand; empty: none, the project's configuration names its files."""


PROJECTS = {
    # Its pyproject.toml sets [tool.mypy] files = ["src/jinja2"]; its async tests import trio
    # (requirements/tests.in).
    "jinja2": ProjectSpec("jinja2==3.1.6", test_requirements=("trio==0.31.0",)),
    # Its setup.cfg configures mypy but names no files: the package is what it checks.
    "more-itertools": ProjectSpec("more-itertools==10.5.0", mypy_paths=("more_itertools",)),
}
DEFAULT_PROJECTS = ("jinja2", "more-itertools")
# The goals: cold, warm and reuse wall time against the tools by hand (medians), and the
# auditor's own share of all CPU time of a cold audit.
TARGETS = {"cold": 0.65, "warm": 0.10, "reuse": 0.25}
OWN_CPU_TARGET_PCT = 5.0
# The lint gate's default critical rules, which it adds to the project's own selection.
CRITICAL_RULES = ("E9", "F63", "F7", "F82")
# Where advisories are looked for when --osv-db is not given, first existing wins.
OSV_CANDIDATES = (REPO / "tests" / "fixtures" / "osv", REPO / "examples" / "service" / "osv")
# The cache lives inside this repository, whose pyproject.toml configures pytest: an empty
# pytest.ini at the project root gives the project pytest's defaults, as in its own checkout.
PYTEST_INI = "pytest.ini"
PYTEST_INI_TEXT = "# Stops pytest from reading the configuration of a directory above.\n[pytest]\n"

AUDITOR_CHILD = """\
import json, resource, sys
from auditor.cli import exit_now, main
code = main(sys.argv[2:])
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({
        "exit_code": code,
        "self_cpu_s": me.ru_utime + me.ru_stime,
        "children_cpu_s": kids.ru_utime + kids.ru_stime,
        "self_maxrss_kb": me.ru_maxrss,
        "children_maxrss_kb": kids.ru_maxrss,
    }, out)
exit_now(code)
"""

Json = dict[str, object]


class SetupError(Exception):
    """The project or its environment could not be prepared."""


# ---------------------------------------------------------------- preparing the project


@dataclass(frozen=True)
class Target:
    """The project under audit, installed in its own virtual environment."""

    spec: ProjectSpec
    root: Path
    python: Path
    site_packages: Path
    versions: dict[str, str]


def _run_checked(cmd: Sequence[str], what: str, cwd: Path | None = None) -> str:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise SetupError(f"{what} failed (exit {result.returncode}): {' '.join(cmd)}\n{tail}")
    return result.stdout


def _slug(spec: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in spec)


def prepare(spec: ProjectSpec, fresh: bool, say: Callable[[str], None]) -> Target:
    """Download, unpack and install SPEC under the cache, unless a finished copy is there."""
    home = CACHE / _slug(spec.requirement)
    marker = home / "ready.json"
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")).get(
        "test_requirements"
    ) != list(spec.test_requirements):
        say(f"the test requirements of {spec.requirement} changed: preparing it again")
        fresh = True
    if fresh and home.exists():
        say(f"removing {home}")
        shutil.rmtree(home)
    if not marker.is_file():
        if home.exists():
            shutil.rmtree(home)
        _build(spec, home, say)
    info = cast(Json, json.loads(marker.read_text(encoding="utf-8")))
    return Target(
        spec=spec,
        root=home / str(info["root"]),
        python=home / "venv" / "bin" / "python",
        site_packages=Path(str(info["site_packages"])),
        versions=cast(dict[str, str], info["versions"])
    )


def _git_commit(root: Path) -> None:
    """Make the unpacked source a git checkout, as a project under audit is: the auditor then
    judges freshness by git content, and `git status` shows what an audit left behind."""
    git = [
        "git", "-c", "user.name=benchmark", "-c", "user.email=benchmark@localhost", "-c",
        "init.defaultBranch=main"
    ]
    _run_checked([*git, "init", "--quiet"], "git init", cwd=root)
    _run_checked([*git, "add", "--all"], "git add", cwd=root)
    _run_checked([*git, "commit", "--quiet", "-m", "source distribution"], "git commit", cwd=root)


def _build(spec: ProjectSpec, home: Path, say: Callable[[str], None]) -> None:
    sdist_dir = home / "sdist"
    sdist_dir.mkdir(parents=True)
    say(f"downloading the source distribution of {spec.requirement}")
    _run_checked(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--no-binary", ":all:", "--dest", str(sdist_dir), spec.requirement
        ],
        "pip download",
    )
    archives = sorted(sdist_dir.glob("*.tar.gz"))
    if len(archives) != 1:
        raise SetupError(f"expected one .tar.gz in {sdist_dir}, found {len(archives)}")
    src = home / "src"
    with tarfile.open(archives[0]) as archive:
        archive.extractall(src, filter="data")
    tops = [p for p in src.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise SetupError(f"the source distribution {archives[0].name} has no single top directory")
    root = tops[0]
    if not any(root.glob("test*")):
        raise SetupError(f"the source distribution of {spec.requirement} ships no tests")
    (root / PYTEST_INI).write_text(PYTEST_INI_TEXT, encoding="utf-8")
    _git_commit(root)

    tools = (*TEST_TOOLS, *spec.test_requirements)
    say("creating its virtual environment with " + ", ".join(tools))
    venv = home / "venv"
    _run_checked([sys.executable, "-m", "venv", str(venv)], "python -m venv")
    python = venv / "bin" / "python"
    _run_checked(
        [
            str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *tools,
            "--editable", str(root)
        ],
        "installing the project and its test tools",
    )
    probe = (
        "import json, sysconfig; from importlib import metadata; "
        "print(json.dumps({'site': sysconfig.get_paths()['purelib'], 'versions': "
        "{d.metadata['Name']: d.version for d in metadata.distributions()}}))"
    )
    found = json.loads(_run_checked([str(python), "-I", "-c", probe], "probing the venv"))
    info = {
        "spec": spec.requirement,
        "test_requirements": list(spec.test_requirements),
        "root": str(root.relative_to(home)),
        "site_packages": found["site"],
        "versions": dict(sorted(found["versions"].items())),
    }
    (home / "ready.json").write_text(json.dumps(info, indent=2), encoding="utf-8")


def osv_database(given: str | None) -> Path:
    """The advisory directory both sides use."""
    if given:
        path = Path(given).resolve()
        if not path.is_dir():
            raise SetupError(f"--osv-db {path} is not a directory")
        return path
    for candidate in OSV_CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise SetupError("no advisory directory found; give one with --osv-db DIR")


# ---------------------------------------------------------------- the auditor's side


@dataclass(frozen=True)
class Timing:
    """One run of one side."""

    wall_s: float
    self_cpu_s: float
    children_cpu_s: float
    self_maxrss_kb: int
    children_maxrss_kb: int
    steps: dict[str, float]
    """Wall seconds per gate (auditor) or per tool (by hand)."""


@dataclass(frozen=True)
class SideRun:
    timing: Timing
    figures: dict[str, float | None]
    problem: str | None
    """Why this side did not measure everything, or None."""


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dict(value: object) -> Json:
    return cast(Json, value) if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return cast(list[object], value) if isinstance(value, list) else []


def auditor_figures(card: Json) -> tuple[dict[str, float | None], dict[str, float], list[str]]:
    """Figures, gate durations and gate problems from a scorecard."""
    figures: dict[str, float | None] = {}
    steps: dict[str, float] = {}
    problems: list[str] = []
    for gate in (_dict(g) for g in _list(card.get("gates"))):
        gid = str(gate.get("id"))
        steps[gid] = _number(gate.get("duration_s")) or 0.0
        if gate.get("status") in ("error", "skipped"):
            problems.append(f"{gid}: {gate.get('status')}: {gate.get('reason')}")
            continue
        values = {str(_dict(c).get("id")): _number(_dict(c).get("value"))
                  for c in _list(gate.get("conditions"))}
        details = _dict(gate.get("details"))
        if gid == "coverage":
            files = [_dict(f) for f in _list(details.get("files"))]
            figures["line coverage %"] = values.get("line_coverage")
            figures["statements"] = sum(_number(f.get("statements")) or 0 for f in files)
            figures["missing lines"] = sum(_number(f.get("missing")) or 0 for f in files)
            figures["failing tests"] = values.get("tests_failed")
        elif gid == "lint":
            by_rule = _dict(details.get("by_rule"))
            figures["ruff findings"] = sum(_number(n) or 0 for n in by_rule.values())
            figures["ruff critical"] = values.get("critical_errors")
            figures["ruff max warnings/file"] = values.get("max_warnings_per_file")
        elif gid == "type":
            # mypy's errors, split by the gate: missing annotations are `untyped_defs`.
            errors, untyped = values.get("type_errors"), values.get("untyped_defs")
            figures["mypy errors"] = None if errors is None else errors + (untyped or 0.0)
            figures["type coverage %"] = values.get("type_coverage")
        elif gid == "security":
            bandit = _dict(details.get("bandit"))
            deps = _dict(details.get("dependencies"))
            figures["bandit HIGH"] = _number(_dict(bandit.get("counts")).get("HIGH"))
            figures["bandit critical"] = values.get("critical_findings")
            figures["bandit findings"] = sum(
                _number(n) or 0 for n in _dict(bandit.get("counts")).values()
            )
            figures["packages audited"] = float(
                len(_list(deps.get("packages"))) + len(_list(deps.get("ignored")))
            )
            figures["advisories found"] = float(
                len(_list(deps.get("vulnerable"))) + len(_list(deps.get("ignored_vulnerable")))
            )
    return figures, steps, problems


def run_auditor(
    target: Target, osv_db: Path, scratch: Path, jobs: int | None, *, cache_dir: Path,
    default_out: bool = False, extra: Sequence[str] = ()
) -> SideRun:
    """One audit in a child Python, with its result cache (and tools' caches) in CACHE_DIR: a
    fresh directory is a cold run, the directory of an earlier run of the same code a warm one.
    It runs `audit run .` in the project root; with DEFAULT_OUT its reports go where a user's
    do by default, the project's `audit-report/`, else to SCRATCH."""
    scratch.mkdir(parents=True)
    config = scratch / "audit.toml"
    config.write_text(f"[security]\nosv_db = {json.dumps(str(osv_db))}\n", encoding="utf-8")
    usage = scratch / "rusage.json"
    out = target.root / REPORT_DIR if default_out else scratch / "report"
    cmd = [
        sys.executable, "-c", AUDITOR_CHILD, str(usage), "run", ".", "--gates", GATES, "--python",
        str(target.python), *([] if default_out else ["--out", str(out)]), "--config", str(config),
        *(["--jobs", str(jobs)] if jobs else []), *extra
    ]
    env = {**os.environ, "AUDIT_CACHE_DIR": str(cache_dir)}
    with (scratch / "stdout.txt").open("wb") as so, (scratch / "stderr.txt").open("wb") as se:
        started = time.perf_counter()
        code = subprocess.run(
            cmd, stdout=so, stderr=se, env=env, cwd=target.root, check=False
        ).returncode
        wall = time.perf_counter() - started
    problem = None if code in (0, 1) else f"audit exited with code {code}"
    try:
        used = cast(Json, json.loads(usage.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        used = {}
        problem = f"audit exited with code {code} and reported no resource usage"
    try:
        card = cast(Json, json.loads((out / "scorecard.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        card = {}
        problem = problem or "audit wrote no readable scorecard.json"
    figures, steps, problems = auditor_figures(card)
    if problems:
        problem = "; ".join(problems)
    if problem:
        tail = (scratch / "stderr.txt").read_text(errors="replace").strip().splitlines()[-5:]
        problem += (" | " + " / ".join(tail)) if tail and not problems else ""
    timing = Timing(
        wall_s=wall,
        self_cpu_s=_number(used.get("self_cpu_s")) or 0.0,
        children_cpu_s=_number(used.get("children_cpu_s")) or 0.0,
        self_maxrss_kb=int(_number(used.get("self_maxrss_kb")) or 0),
        children_maxrss_kb=int(_number(used.get("children_maxrss_kb")) or 0),
        steps=steps,
    )
    return SideRun(timing, figures, problem)


# ---------------------------------------------------------------- the by-hand side


def _tool(module: str) -> list[str]:
    """A tool installed with the auditor, as its gates run it."""
    return [sys.executable, "-m", module]


def by_hand_commands(
    python: Path, site: Path, osv_url: str, work: Path, mypy_paths: Sequence[str]
) -> list[tuple[str, list[str], dict[str, str]]]:
    """The commands a person types in the project root to measure what the gates measure.

    Bytecode as in a fresh checkout: the installed packages' compiled files (written by pip at
    install) are read, the project's own code is compiled and none is written into its tree.
    """
    own_env = {"COVERAGE_FILE": str(work / ".coverage"), "PYTHONDONTWRITEBYTECODE": "1"}
    no_proxy = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    return [
        (
            "tests",
            [
                str(python), "-m", "coverage", "run", "-m", "pytest", "-p", "no:cacheprovider",
                "-q", f"--junitxml={work / 'junit.xml'}"
            ],
            own_env,
        ),
        # A file the tests executed that is not Python (jinja2 runs templates under their own
        # file names) stops `coverage json` unless told to go on, as the gate tells it.
        (
            "coverage json",
            [
                str(python), "-m", "coverage", "json", "--ignore-errors", "-o",
                str(work / "coverage.json")
            ],
            own_env,
        ),
        # The project's pyproject.toml (its requires-python) and no configuration of the
        # repository the cache sits in, as `ruff check` in a checkout of the project; the gate
        # does the same.
        (
            "ruff",
            [
                *_tool("ruff"), "check", "--no-fix", "--no-cache", "--config", "pyproject.toml",
                "--extend-select", ",".join(CRITICAL_RULES), "--output-format", "json", "."
            ],
            {},
        ),
        (
            "mypy",
            [
                *_tool("mypy"), "--python-executable", str(python), "--cache-dir",
                str(work / "mypy-cache"), "--any-exprs-report", str(work / "any"), "-O", "json",
                *mypy_paths
            ],
            {"PYTHONDONTWRITEBYTECODE": "1"},
        ),
        ("bandit", [*_tool("bandit"), "-r", ".", "-x", "./tests", "-f", "json", "-q"], {}),
        ("pip-audit", [*_tool("pip_audit"), "--path", str(site), "-f", "json",
                       "--progress-spinner", "off", "--skip-editable", "-s", "osv",
                       "--osv-url", osv_url, "--cache-dir", str(work / "pip-audit-cache")],
         no_proxy),
    ]


def _split_rule(code: str) -> tuple[str, str]:
    letters = code.rstrip("0123456789")
    return letters, code[len(letters):]


def _critical_rule(code: object) -> bool:
    """A syntax error (no code), or a rule whose linter is a critical selector's and whose
    number starts with the selector's digits."""
    if not isinstance(code, str) or not code or code == "invalid-syntax":
        return True
    letters, digits = _split_rule(code)
    return any(
        letters == sel_letters and digits.startswith(sel_digits)
        for sel_letters, sel_digits in map(_split_rule, CRITICAL_RULES)
    )


def by_hand_figures(outputs: Mapping[str, str], exits: Mapping[str, int], work: Path
                    ) -> dict[str, float | None]:
    """The same figures, read from the tools' own outputs."""
    figures: dict[str, float | None] = {}
    totals = _dict(_dict(json.loads((work / "coverage.json").read_text())).get("totals"))
    figures["line coverage %"] = _number(totals.get("percent_covered"))
    figures["statements"] = _number(totals.get("num_statements"))
    figures["missing lines"] = _number(totals.get("missing_lines"))
    figures["failing tests"] = 0.0 if exits["tests"] == 0 else None

    ruff = [_dict(item) for item in _list(json.loads(outputs["ruff"]))]
    warnings: dict[str, int] = {}
    for item in ruff:
        if not _critical_rule(item.get("code")):
            name = str(item.get("filename"))
            warnings[name] = warnings.get(name, 0) + 1
    figures["ruff findings"] = float(len(ruff))
    figures["ruff critical"] = float(sum(_critical_rule(i.get("code")) for i in ruff))
    figures["ruff max warnings/file"] = float(max(warnings.values(), default=0))

    # A configuration note (setup.cfg: note: unused section(s)) comes as text even with -O json.
    lines = [json.loads(line) for line in outputs["mypy"].splitlines() if line.startswith("{")]
    figures["mypy errors"] = float(sum(_dict(m).get("severity") == "error" for m in lines))
    total_row = (work / "any" / "any-exprs.txt").read_text().strip().splitlines()[-1].split()
    figures["type coverage %"] = float(total_row[-1].rstrip("%"))

    results = [_dict(r) for r in _list(_dict(json.loads(outputs["bandit"])).get("results"))]
    figures["bandit HIGH"] = float(sum(r.get("issue_severity") == "HIGH" for r in results))
    figures["bandit critical"] = float(sum(
        r.get("issue_severity") == "HIGH" and r.get("issue_confidence") in ("MEDIUM", "HIGH")
        for r in results
    ))
    figures["bandit findings"] = float(len(results))

    deps = [_dict(d) for d in _list(_dict(json.loads(outputs["pip-audit"])).get("dependencies"))]
    audited = [d for d in deps if "skip_reason" not in d]
    figures["packages audited"] = float(len(audited))
    figures["advisories found"] = float(sum(len(_list(d.get("vulns"))) for d in audited))
    return figures


def by_hand_child(plan_file: str, result_file: str) -> int:
    """Runs in its own process so that its children's CPU and memory are its own."""
    from gates.security.osv_db import OsvDatabase  # noqa: PLC0415 - only the child serves advisories
    from gates.security.osv_server import OsvServer  # noqa: PLC0415

    plan = cast(dict[str, str], json.loads(Path(plan_file).read_text(encoding="utf-8")))
    root, work = Path(plan["root"]), Path(plan["work"])
    work.mkdir(parents=True)
    loaded = time.perf_counter()
    database = OsvDatabase.load(Path(plan["osv_db"]))
    load_s = time.perf_counter() - loaded
    outputs: dict[str, str] = {}
    exits: dict[str, int] = {}
    steps: dict[str, float] = {}
    problem: str | None = None
    with OsvServer(database) as server:
        commands = by_hand_commands(
            Path(plan["python"]), Path(plan["site"]), server.url, work,
            json.loads(plan["mypy_paths"])
        )
        started = time.perf_counter()
        for name, cmd, extra in commands:
            began = time.perf_counter()
            result = subprocess.run(cmd, cwd=root, env={**os.environ, **extra},
                                    capture_output=True, text=True, check=False)
            steps[name] = time.perf_counter() - began
            outputs[name], exits[name] = result.stdout, result.returncode
            # Documented "ran fine" codes: pytest 0/1, coverage 0, ruff 0/1, mypy 0/1,
            # bandit 0/1, pip-audit 0/1 (its JSON decides).
            if result.returncode not in (0, 1) and problem is None:
                tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
                problem = f"{name} exited with code {result.returncode}: {' / '.join(tail)}"
        wall = time.perf_counter() - started
    # Taken before the outputs are read: reading them is the benchmark's work, not the user's.
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        figures = by_hand_figures(outputs, exits, work)
    except (OSError, ValueError, KeyError, IndexError) as exc:
        figures = {}
        problem = problem or f"a tool's output could not be read: {exc!r}"
    Path(result_file).write_text(json.dumps({
        "wall_s": wall,
        "self_cpu_s": me.ru_utime + me.ru_stime,
        "children_cpu_s": kids.ru_utime + kids.ru_stime,
        "self_maxrss_kb": me.ru_maxrss,
        "children_maxrss_kb": kids.ru_maxrss,
        "steps": steps,
        "figures": figures,
        "problem": problem,
        "osv_load_s": load_s,
        "osv_queries": server.queries,
    }), encoding="utf-8")
    return 0


def run_by_hand(target: Target, osv_db: Path, scratch: Path) -> tuple[SideRun, Json]:
    scratch.mkdir(parents=True)
    plan = scratch / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "root": str(target.root),
                "python": str(target.python),
                "site": str(target.site_packages),
                "osv_db": str(osv_db),
                "work": str(scratch / "work"),
                "mypy_paths": json.dumps(list(target.spec.mypy_paths)),
            }
        ),
        encoding="utf-8",
    )
    result_file = scratch / "result.json"
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--by-hand-child", str(plan),
         str(result_file)],
        capture_output=True, text=True, check=False,
    )
    try:
        data = cast(Json, json.loads(result_file.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        tail = " / ".join(done.stderr.strip().splitlines()[-5:])
        raise SetupError(f"the by-hand run failed (exit {done.returncode}): {tail}") from None
    timing = Timing(
        wall_s=_number(data["wall_s"]) or 0.0,
        self_cpu_s=_number(data["self_cpu_s"]) or 0.0,
        children_cpu_s=_number(data["children_cpu_s"]) or 0.0,
        self_maxrss_kb=int(_number(data["self_maxrss_kb"]) or 0),
        children_maxrss_kb=int(_number(data["children_maxrss_kb"]) or 0),
        steps={k: _number(v) or 0.0 for k, v in _dict(data["steps"]).items()},
    )
    figures = {k: _number(v) for k, v in _dict(data["figures"]).items()}
    problem = data.get("problem")
    return SideRun(timing, figures, str(problem) if problem else None), data


# ---------------------------------------------------------------- comparing and printing


def snapshot(root: Path) -> dict[str, str]:
    """The content of every file, and every directory, under ROOT, git's own directory left
    out. By content: a project's own tests may touch a file without changing it (jinja2's
    template reloading tests do)."""
    found: dict[str, str] = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if relative.parts[0] == ".git":
            continue
        found[relative.as_posix()] = (
            "dir"
            if path.is_dir() and not path.is_symlink()
            else hashlib.sha256(path.read_bytes()).hexdigest()
            if path.is_file()
            else "other"
        )
    return found


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """What differs between two snapshots, as short lines."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return ([f"+ {k}" for k in added] + [f"- {k}" for k in removed]
            + [f"~ {k}" for k in changed])


PERCENT_FIGURES = ("line coverage %", "type coverage %")


def same(name: str, ours: float | None, theirs: float | None) -> bool:
    if ours is None or theirs is None:
        return False
    if name in PERCENT_FIGURES:
        # The scorecard and mypy's report both state percentages to two places.
        return abs(round(ours, 2) - round(theirs, 2)) < 0.0051
    return ours == theirs


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value != int(value) else f"{int(value)}"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def _figures_report(auditor: list[SideRun], by_hand: list[SideRun]) -> bool:
    """Print each figure of both sides; True when every run of both measured the same."""
    print(f"\n{'figure':34}{'auditor':>12}{'by hand':>12}  same")
    agree = True
    names = list(dict.fromkeys([*by_hand[0].figures, *auditor[0].figures]))
    for name in names:
        for a_run, h_run in zip(auditor, by_hand, strict=True):
            ok = same(name, a_run.figures.get(name), h_run.figures.get(name))
            agree &= ok
        a_val, h_val = auditor[-1].figures.get(name), by_hand[-1].figures.get(name)
        flag = "yes" if same(name, a_val, h_val) else "NO"
        print(f"{name:34}{_fmt(a_val):>12}{_fmt(h_val):>12}  {flag}")
    for side, runs in (("auditor", auditor), ("by hand", by_hand)):
        for i, run in enumerate(runs, 1):
            if run.problem:
                agree = False
                print(f"\n{side}, run {i}: {run.problem}")
    return agree


def report(auditor: list[SideRun], by_hand: list[SideRun], extra: Json, *, target: Target,
           osv_db: Path, jobs: int | None) -> bool:
    """Print the comparison; True when both sides measured the same figures."""
    def med(runs: list[SideRun], pick: Callable[[Timing], float]) -> float:
        return _median([pick(r.timing) for r in runs])

    a_wall, h_wall = med(auditor, lambda t: t.wall_s), med(by_hand, lambda t: t.wall_s)
    n = len(auditor)
    print()
    print(f"Project  {target.spec.requirement} ({target.root})")
    tools = ", ".join(f"{k} {target.versions[k]}" for k in ("pytest", "coverage", "pip",
                                                            "setuptools") if k in target.versions)
    print(f"Target   {target.python} ({tools})")
    print(f"OSV db   {osv_db} (loaded in {_number(extra.get('osv_load_s')) or 0:.2f} s: "
          "the auditor pays this on each run, the by-hand side queries a running server)")
    print(f"Machine  {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; "
          f"median of {n} interleaved run(s) per side; "
          f"audit --jobs {jobs or 'default (one per core)'}")
    print()
    header = f"{'':34}{'auditor':>12}{'by hand':>12}"
    print(header)
    rows: list[tuple[str, str, str]] = [
        ("wall time, s", f"{a_wall:.2f}", f"{h_wall:.2f}"),
        ("  own CPU (auditor / server), s", f"{med(auditor, lambda t: t.self_cpu_s):.2f}",
         f"{med(by_hand, lambda t: t.self_cpu_s):.2f}"),
        ("  tools' CPU (children), s", f"{med(auditor, lambda t: t.children_cpu_s):.2f}",
         f"{med(by_hand, lambda t: t.children_cpu_s):.2f}"),
        ("peak RSS of the own process, MiB",
         f"{med(auditor, lambda t: t.self_maxrss_kb) / 1024:.0f}",
         f"{med(by_hand, lambda t: t.self_maxrss_kb) / 1024:.0f}"),
        ("peak RSS of the largest child, MiB",
         f"{med(auditor, lambda t: t.children_maxrss_kb) / 1024:.0f}",
         f"{med(by_hand, lambda t: t.children_maxrss_kb) / 1024:.0f}"),
    ]
    for label, a, h in rows:
        print(f"{label:34}{a:>12}{h:>12}")
    ratio = a_wall / h_wall if h_wall else float("nan")
    print(f"\nratio auditor / by hand (wall): {ratio:.2f}"
          f"  (below 1: the audit is faster than the tools run one after another)")
    print("  auditor, per gate (median s): " + ", ".join(
        f"{g} {_median([r.timing.steps.get(g, 0.0) for r in auditor]):.2f}"
        for g in GATES.split(",")))
    print("  by hand, per tool (median s): " + ", ".join(
        f"{s} {_median([r.timing.steps.get(s, 0.0) for r in by_hand]):.2f}"
        for s in by_hand[0].timing.steps))
    if n > 1:
        print("  all wall times, s: auditor " + " ".join(f"{r.timing.wall_s:.2f}" for r in auditor)
              + " | by hand " + " ".join(f"{r.timing.wall_s:.2f}" for r in by_hand))

    agree = _figures_report(auditor, by_hand)
    print("\n" + ("Both sides measured the same figures." if agree
                  else "The figures DIFFER (or a side failed): the timings do not compare."))
    return agree


def modes_report(
    modes: Mapping[str, list[SideRun]], by_hand: list[SideRun]
) -> tuple[bool, list[str]]:
    """Each audit mode against the by-hand side of the same repeat: wall time, ratio, the
    auditor's own CPU share, the tools' CPU, the least wall time that CPU allows on this
    machine's cores (as a ratio), and peak memory; whether each mode's figures equal the by-hand
    ones."""
    cpus = os.cpu_count() or 1
    print(f"\n{'mode':8}{'wall s':>9}{'/ by hand':>11}{'/ cold':>8}{'own CPU s':>11}"
          f"{'own CPU %':>11}{'tools CPU s':>13}{'CPU floor':>11}{'own MiB':>9}")
    agree = True
    lines: list[str] = []
    cold = modes["cold"]
    for mode, runs in modes.items():
        if not runs:
            continue
        ratio = _median([r.timing.wall_s / h.timing.wall_s
                         for r, h in zip(runs, by_hand, strict=True) if h.timing.wall_s])
        to_cold = _median([r.timing.wall_s / c.timing.wall_s
                           for r, c in zip(runs, cold, strict=True) if c.timing.wall_s])
        own = _median([r.timing.self_cpu_s for r in runs])
        share = _median([
            100 * r.timing.self_cpu_s / (r.timing.self_cpu_s + r.timing.children_cpu_s)
            for r in runs if r.timing.self_cpu_s + r.timing.children_cpu_s
        ])
        mib = _median([r.timing.self_maxrss_kb / 1024 for r in runs])
        tools = _median([r.timing.children_cpu_s for r in runs])
        floor = _median([(r.timing.self_cpu_s + r.timing.children_cpu_s) / cpus / h.timing.wall_s
                         for r, h in zip(runs, by_hand, strict=True) if h.timing.wall_s])
        line = (f"{mode:8}{_median([r.timing.wall_s for r in runs]):>9.2f}{ratio:>11.2f}"
                f"{to_cold:>8.2f}{own:>11.2f}{share:>11.1f}{tools:>13.2f}{floor:>11.2f}"
                f"{mib:>9.0f}")
        print(line)
        lines.append(line)
        for run, hand in zip(runs, by_hand, strict=True):
            if run.problem:
                agree = False
                print(f"  {mode}: {run.problem}")
            differ = [n for n in hand.figures if not same(n, run.figures.get(n), hand.figures[n])]
            if differ:
                agree = False
                print(f"  {mode}: figures differ from the by-hand run: {', '.join(differ)}")
    print("  (ratios are per repeat, against the by-hand run of the same repeat, then the median;"
          " own CPU % = the auditor process's CPU / all CPU of the audit, tools included;"
          f" CPU floor = all CPU of the audit / {cpus} cores / by hand: no schedule of that work"
          " on this machine is faster)")
    return agree, lines


@dataclass
class Rounds:
    """Every run of every side and mode so far."""

    auditor: list[SideRun] = field(default_factory=list)
    warm: list[SideRun] = field(default_factory=list)
    reuse: list[SideRun] = field(default_factory=list)
    by_hand: list[SideRun] = field(default_factory=list)
    extra: Json = field(default_factory=dict)
    untouched: bool = True
    git_clean: bool = True


def git_status(root: Path) -> list[str]:
    """`git status --porcelain` of the project: what a user sees left behind."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, capture_output=True,
        text=True, check=False
    )
    return done.stdout.splitlines() if done.returncode == 0 else [f"git status: {done.stderr}"]


def audit_cold_and_warm(
    rounds: Rounds, i: int, args: argparse.Namespace, target: Target, osv_db: Path, scratch: Path,
    say: Callable[[str], None]
) -> None:
    """A cold audit with a fresh cache and a warm one right after, both with the default report
    folder inside the project, as a user's two `audit run .`; then what git shows."""
    cache_dir = scratch / f"cache-{i}"
    rounds.auditor.append(
        run_auditor(
            target, osv_db, scratch / f"auditor-{i}", args.jobs, cache_dir=cache_dir,
            default_out=True
        )
    )
    say(f"run {i + 1}/{args.repeat}: auditor, warm")
    rounds.warm.append(
        run_auditor(
            target, osv_db, scratch / f"warm-{i}", args.jobs, cache_dir=cache_dir, default_out=True
        )
    )
    shown = git_status(target.root)
    if shown:
        rounds.git_clean = False
        say("`git status --porcelain` after the audits: " + ", ".join(shown[:10]))
    reports = target.root / REPORT_DIR
    if reports.is_dir():
        shutil.move(reports, scratch / f"reports-{i}")


def one_round(
    rounds: Rounds, i: int, args: argparse.Namespace, target: Target, osv_db: Path, scratch: Path,
    say: Callable[[str], None]
) -> None:
    """Repeat I: a cold audit and a warm one, the tools by hand, and an audit reusing the
    by-hand test run; the project tree is checked around each side."""
    # Alternate which side goes first, so neither always meets the warmer caches.
    order = ("auditor", "by hand") if i % 2 == 0 else ("by hand", "auditor")
    for side in order:
        say(f"{target.spec.requirement}, run {i + 1}/{args.repeat}: {side}")
        before = snapshot(target.root)
        if side == "auditor":
            audit_cold_and_warm(rounds, i, args, target, osv_db, scratch, say)
        else:
            run, rounds.extra = run_by_hand(target, osv_db, scratch / f"by-hand-{i}")
            rounds.by_hand.append(run)
        touched = changes(before, snapshot(target.root))
        if touched:
            rounds.untouched = False
            say(f"{side} changed the project tree: " + ", ".join(touched[:10]))
    say(f"run {i + 1}/{args.repeat}: auditor, reusing the by-hand test run")
    work = scratch / f"by-hand-{i}" / "work"
    rounds.reuse.append(
        run_auditor(
            target, osv_db, scratch / f"reuse-{i}", args.jobs,
            cache_dir=scratch / f"reuse-cache-{i}",
            extra=("--coverage-data", str(work / ".coverage"), "--junit", str(work / "junit.xml"))
        )
    )


def parse_arguments(args_list: list[str]) -> argparse.Namespace:
    """The benchmark's command line, checked."""
    parser = argparse.ArgumentParser(
        description="Time `audit run` (cold, warm and reusing test data) against the same tools "
        "run by hand on real projects."
    )
    parser.add_argument(
        "--repeat", type=int, default=5,
        help="interleaved runs per side and project (default 5; medians)"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="download and install the projects again"
    )
    parser.add_argument(
        "--project", action="append", choices=sorted(PROJECTS),
        help="a project to audit, repeatable (default: " + " and ".join(DEFAULT_PROJECTS) + ")"
    )
    parser.add_argument(
        "--osv-db",
        help="directory of OSV advisories (default: "
        + " or ".join(str(p.relative_to(REPO)) for p in OSV_CANDIDATES)
        + ")",
    )
    parser.add_argument(
        "--jobs", type=int, default=None,
        help="passed to `audit run --jobs` (default: all gates at once)"
    )
    parser.add_argument(
        "--keep", action="store_true",
        help="keep the reports and tool outputs of every run and say where"
    )
    args = parser.parse_args(args_list)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    args.project = list(dict.fromkeys(args.project or DEFAULT_PROJECTS))
    return args


@dataclass(frozen=True)
class Outcome:
    """One project's medians against the goals, for the closing table."""

    project: str
    ratios: dict[str, float]
    own_cpu_pct: float
    agree: bool
    clean: bool


def bench_project(
    spec: ProjectSpec, args: argparse.Namespace, osv_db: Path, scratch: Path,
    say: Callable[[str], None]
) -> Outcome:
    """Every repeat of every mode on one project, its tables printed."""
    target = prepare(spec, args.fresh, say)
    rounds = Rounds()
    for i in range(args.repeat):
        one_round(rounds, i, args, target, osv_db, scratch / _slug(spec.requirement), say)
    auditor, by_hand = rounds.auditor, rounds.by_hand
    agree = report(auditor, by_hand, rounds.extra, target=target, osv_db=osv_db, jobs=args.jobs)
    modes = {"cold": auditor, "warm": rounds.warm, "reuse": rounds.reuse}
    modes_agree, _ = modes_report(modes, by_hand)
    print(
        "The project tree was left "
        + ("unchanged by both sides." if rounds.untouched else "CHANGED (see above).")
        + (
            " `git status --porcelain` was empty after the audits."
            if rounds.git_clean
            else " `git status --porcelain` showed files after the audits (see above)."
        )
    )
    ratios = {
        mode: _median(
            [
                r.timing.wall_s / h.timing.wall_s
                for r, h in zip(runs, by_hand, strict=True)
                if h.timing.wall_s
            ]
        )
        for mode, runs in modes.items()
    }
    own = _median(
        [
            100 * r.timing.self_cpu_s / (r.timing.self_cpu_s + r.timing.children_cpu_s)
            for r in auditor
            if r.timing.self_cpu_s + r.timing.children_cpu_s
        ]
    )
    return Outcome(
        spec.requirement, ratios, own, agree and modes_agree, rounds.untouched and rounds.git_clean
    )


def goals_report(outcomes: Sequence[Outcome]) -> None:
    """The closing table: each project's median ratios against the goals."""
    heads = "".join(f"{mode + ' <= ' + str(goal):>16}" for mode, goal in TARGETS.items())
    print(f"\n{'project':26}{heads}{'own CPU < 5%':>15}  figures  tree")
    for out in outcomes:
        cells = "".join(
            f"{out.ratios[mode]:>12.2f} {'ok' if out.ratios[mode] <= goal else 'NO':>3}"
            for mode, goal in TARGETS.items()
        )
        cpu = f"{out.own_cpu_pct:.1f}% {'ok' if out.own_cpu_pct < OWN_CPU_TARGET_PCT else 'NO'}"
        print(
            f"{out.project:26}{cells}{cpu:>15}  {'equal' if out.agree else 'DIFFER':7}"
            f"  {'clean' if out.clean else 'CHANGED'}"
        )


def compile_auditor(say: Callable[[str], None]) -> None:
    """Compile the auditor's own modules, as pip does when it installs a package: an editable
    checkout run with PYTHONDONTWRITEBYTECODE would compile them in memory on every audit, which
    no installed auditor does. Writes `__pycache__` only into this repository (git ignores it)."""
    say("compiling the auditor's modules (as an install does)")
    _run_checked([sys.executable, "-m", "compileall", "-q", "-j", "0",
                  *(str(REPO / name) for name in ("auditor", "gates", "reports"))],
                 "python -m compileall")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--by-hand-child"] and len(args_list) == 3:
        return by_hand_child(args_list[1], args_list[2])
    args = parse_arguments(args_list)

    def say(message: str) -> None:
        print(f"benchmark: {message}", file=sys.stderr, flush=True)

    scratch = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    try:
        compile_auditor(say)
        osv_db = osv_database(args.osv_db)
        outcomes = [
            bench_project(PROJECTS[name], args, osv_db, scratch, say) for name in args.project
        ]
        goals_report(outcomes)
    except SetupError as exc:
        say(f"error: {exc}")
        return 2
    finally:
        if args.keep:
            say(f"reports and tool outputs kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(o.agree and o.clean for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
