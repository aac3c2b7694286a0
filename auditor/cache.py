"""A per-user cache of gate results, keyed by everything that can change a result.

A gate opts in by declaring `cache = CacheSpec(...)` beside its conditions: which of the target's
files its tools read, which of the auditor's own distributions are its tools, whether it uses the
target's interpreter, and which option makes its result expire. The key is a hash of those
files' contents, the tools' versions, the gate's configuration, the target root and interpreter
and, when the gate uses it, the list of distributions installed in that interpreter. A gate that
runs alone (load) is never cached, nor is a result that could not measure.

An entry that cannot be read, parsed or understood is a miss (and is removed), never an error.
The directory is bounded in size; the least recently used entries go first.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from auditor import __version__, gitinfo, procs
from auditor.errors import GateError
from auditor.model import Cached, GateResult, GitInfo
from auditor.newcode import under_any, written_inside
from auditor.plugin import Gate, GateConfig
from auditor.scorecard import gate_result

CACHE_DIR_ENV = "AUDIT_CACHE_DIR"
"""Overrides the per-user cache directory (platformdirs' user cache dir for `auditor`)."""
MAX_BYTES = 256 * 1024 * 1024
"""Size bound of the stored results; the least recently used are evicted beyond it."""
ENTRY_FORMAT = 2

PROBE_TIMEOUT_S = 60.0
SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages", "build", "dist"}

# Run by the target's interpreter: its version and the distributions (and .pth files) on its
# path, by directory entry name, which carries name and version; no metadata is parsed.
_DISTRIBUTIONS = """\
import os, sys
print(sys.version)
for entry in sys.path:
    try:
        names = sorted(os.listdir(entry or "."))
    except OSError:
        continue
    for name in names:
        if name.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")):
            print(os.path.join(entry, name))
"""


@dataclass(frozen=True)
class CacheSpec:
    """What a gate's result depends on, besides its configuration and the auditor's version."""

    files: tuple[str, ...] | None = None
    """Name patterns (fnmatch, on the file name) of the target files its tools read; None: all
    the target's tracked and untracked, not ignored, files."""
    tools: tuple[str, ...] = ()
    """Distributions of the auditor's own environment that are its tools (their versions)."""
    interpreter: bool = True
    """It uses the target's interpreter: the distributions installed there count."""
    expires_option: str | None = None
    """An option holding the hours after which a stored result is too old (advisory data)."""
    inputs: Callable[[GateConfig], Sequence[str]] | None = None
    """Files outside the target's tree it reads, from its configuration (absolute paths)."""
    environment: tuple[str, ...] = ()
    """Environment variables its tools read that change what they measure (the settings module
    a Django project runs with): their values are part of the key."""


def spec_of(gate: Gate) -> CacheSpec | None:
    """The gate's cache declaration; None (never cached) for gates without one or that run
    alone."""
    spec = getattr(gate, "cache", None)
    if gate.runs_alone or not isinstance(spec, CacheSpec):
        return None
    return spec


def cache_root() -> Path:
    """The per-user cache directory of the auditor."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    import platformdirs  # noqa: PLC0415  # only audits that cache need it

    return Path(platformdirs.user_cache_dir("auditor", appauthor=False))


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _walk(root: Path) -> list[str]:
    """Files under ROOT outside hidden directories, environments and build output."""
    found: list[str] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = [
            d for d in dirs
            if not d.startswith(".") and d not in SKIPPED_DIRS
            and not (here / d / "pyvenv.cfg").exists()
        ]
        found.extend((here / f).relative_to(root).as_posix() for f in files)
    return found



class CacheEntry(msgspec.Struct, frozen=True):
    """A stored gate result and when it was measured."""

    format: int
    key: str
    stored_ts: float
    measured_at: str
    commit: str | None
    result: msgspec.Raw
    """The GateResult's JSON, read with its gate's details type."""


class ResultCache:
    """The result cache for one audit of one target; safe to use from the gates' threads."""

    def __init__(
        self, root: Path, python: Path, directory: Path | None = None, *,
        excluded: Sequence[Path] = (), reads: bool = True,
    ) -> None:
        self.root = root
        self.python = python
        self.directory = (directory or cache_root()) / "results"
        self.reads = reads
        """False (`--no-cache`): every gate measures again; what it measured is still stored."""
        self._excluded = written_inside(root, [*excluded, self.directory.parent])
        self._lock = threading.Lock()
        self._files: list[str] | None = None
        self._hashes: dict[str, str] = {}
        self._interpreter: str | None = None
        self._commit: GitInfo | None = None
        self._described = False

    def tool_dir(self) -> Path:
        """This target's directory for tools' incremental caches, kept between audits."""
        path = self.directory.parent / "tools" / _digest(str(self.root))[:20]
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- what the key is made of -------------------------------------------------------------

    def _list_files(self) -> list[str]:
        with self._lock:
            if self._files is None:
                listed = self._git_files() or _walk(self.root)
                self._files = [rel for rel in listed if not under_any(rel, self._excluded)]
            return self._files

    def _git_files(self) -> list[str] | None:
        try:
            result = procs.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=self.root, timeout=PROBE_TIMEOUT_S,
            )
        except GateError:
            return None
        if result.returncode != 0:
            return None
        return sorted({name for name in result.stdout.split("\0") if name})

    def _file_hash(self, rel: str) -> str:
        with self._lock:
            known = self._hashes.get(rel)
        if known is not None:
            return known
        path = self.root / rel
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = "missing"
        with self._lock:
            self._hashes[rel] = digest
        return digest

    def _files_digest(self, patterns: tuple[str, ...] | None) -> str:
        names = [
            rel for rel in self._list_files()
            if patterns is None or any(fnmatch.fnmatch(rel.rsplit("/", 1)[-1], p)
                                       for p in patterns)
        ]
        return _digest([(rel, self._file_hash(rel)) for rel in names])

    def _interpreter_digest(self) -> str:
        with self._lock:
            if self._interpreter is not None:
                return self._interpreter
        try:
            # -B: the target's interpreter (a .venv in its tree) is run, never written to.
            result = procs.run([str(self.python), "-B", "-c", _DISTRIBUTIONS], cwd=self.root,
                               timeout=PROBE_TIMEOUT_S)
            listing = f"{result.returncode}\n{result.stdout}"
        except GateError as exc:
            listing = f"unavailable: {exc}"
        digest = _digest(listing)
        with self._lock:
            self._interpreter = digest
        return digest

    @staticmethod
    def _tool_versions(tools: Iterable[str]) -> dict[str, str]:
        from importlib import metadata  # noqa: PLC0415

        versions: dict[str, str] = {}
        for name in tools:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = "not installed"
        return versions

    @staticmethod
    def _inputs_digest(paths: Sequence[str]) -> str:
        hashes = []
        for name in paths:
            try:
                hashes.append((name, hashlib.sha256(Path(name).read_bytes()).hexdigest()))
            except OSError:
                hashes.append((name, "missing"))
        return _digest(hashes)

    def key(self, gate: Gate, spec: CacheSpec, config: GateConfig) -> str:
        """The hash of everything that can change the gate's result."""
        return _digest(
            ENTRY_FORMAT,
            __version__,
            gate.id,
            str(self.root),
            str(self.python),
            config.thresholds,
            config.blocking,
            config.options,
            self._tool_versions(spec.tools),
            self._interpreter_digest() if spec.interpreter else None,
            self._files_digest(spec.files),
            self._inputs_digest(spec.inputs(config)) if spec.inputs else None,
            {name: os.environ.get(name) for name in spec.environment},
        )

    # -- expected durations: the longest gate starts first -------------------------------------

    def _durations_file(self) -> Path:
        return self.directory.parent / "durations" / f"{_digest(str(self.root))[:20]}.json"

    def expected_durations(self) -> dict[str, float]:
        """Seconds each gate took when it last measured this target; empty when unknown."""
        try:
            data = json.loads(self._durations_file().read_text(encoding="utf-8"))
            return {str(k): float(v) for k, v in data.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def remember_durations(self, results: Iterable[GateResult]) -> None:
        """Keep how long each gate that measured took, for the next audit's order."""
        known = self.expected_durations()
        known.update({r.id: r.duration_s for r in results
                      if r.cached is None and r.status in ("passed", "failed")})
        path = self._durations_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{os.getpid()}")
            temp.write_text(json.dumps(known), encoding="utf-8")
            temp.replace(path)
        except OSError:
            return

    # -- entries -----------------------------------------------------------------------------

    def _entry(self, gate_id: str, key: str) -> Path:
        return self.directory / gate_id / f"{key}.json"

    def lookup(self, gate: Gate, spec: CacheSpec, config: GateConfig, key: str) -> \
            GateResult | None:
        """The stored result under KEY, marked cached; None when absent, expired or unreadable."""
        path = self._entry(gate.id, key)
        try:
            entry = msgspec.json.decode(path.read_bytes(), type=CacheEntry)
            if entry.format != ENTRY_FORMAT or entry.key != key:
                raise ValueError("not an entry of this format")
            stored = entry.stored_ts
            result = gate_result(entry.result, gate.details_type)
            cached = Cached(
                measured_at=entry.measured_at, commit=entry.commit, duration_s=result.duration_s
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, msgspec.DecodeError):
            path.unlink(missing_ok=True)
            return None
        if spec.expires_option is not None:
            hours = config.options.get(spec.expires_option)
            if isinstance(hours, int | float) and time.time() - stored > float(hours) * 3600:
                return None
        if result.id != gate.id or result.status not in ("passed", "failed"):
            path.unlink(missing_ok=True)
            return None
        os.utime(path)  # recently used: evicted last
        return msgspec.structs.replace(result, cached=cached)

    def _commit_of_root(self) -> str | None:
        with self._lock:
            if not self._described:
                self._commit = gitinfo.describe(self.root)
                self._described = True
            git = self._commit
        return git.commit if git is not None else None

    def store(self, key: str, result: GateResult) -> None:
        """Keep a measured result; results that could not measure are never stored."""
        if result.status not in ("passed", "failed") or result.cached is not None:
            return
        entry = CacheEntry(
            format=ENTRY_FORMAT,
            key=key,
            stored_ts=time.time(),
            measured_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            commit=self._commit_of_root(),
            result=msgspec.Raw(msgspec.json.encode(result)),
        )
        path = self._entry(result.id, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            temp.write_bytes(msgspec.json.encode(entry))
            temp.replace(path)
            self.evict()
        except OSError:
            return  # a cache that cannot be written costs speed, never the result

    def evict(self, max_bytes: int = MAX_BYTES) -> None:
        """Remove the least recently used entries until the stored results fit MAX_BYTES."""
        entries = []
        for path in self.directory.glob("*/*.json"):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size

    def through(
        self, gate: Gate, config: GateConfig, measure: Callable[[], GateResult], held: str = ""
    ) -> GateResult:
        """The stored result of GATE when nothing it depends on changed, else MEASURE's, stored.
        HELD describes what the findings are held against (baseline, waivers, the new-code
        change): a result judged against other rules is not reused."""
        spec = spec_of(gate)
        if spec is None:
            return measure()
        started = time.monotonic()
        key = _digest(self.key(gate, spec, config), held)
        hit = self.lookup(gate, spec, config, key) if self.reads else None
        if hit is not None:
            return msgspec.structs.replace(hit, duration_s=round(time.monotonic() - started, 3))
        result = measure()
        self.store(key, result)
        return result
