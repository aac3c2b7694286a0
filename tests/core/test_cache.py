"""The result cache: a hit equals the miss and is marked cached; every input of the key misses
when it changes; the vulnerability part expires; --no-cache bypasses it; a corrupt entry is a
miss. The lint gate (ruff, fast) stands for every cached gate in the end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from auditor import cache
from auditor.model import Cached, Details, GateResult, ToolRun
from auditor.plugin import GateConfig
from auditor.registry import gates as registered_gates
from tests import helpers
from tests.helpers import copy_project, gate

VOLATILE = ("duration_s", "cached")


def lint(root: Path, out: Path, cache_dir: Path, *extra: str | Path) -> tuple[int, dict[str, Any]]:
    return helpers.audit(root, out, *extra, gates="lint", python=sys.executable,
                         env={cache.CACHE_DIR_ENV: str(cache_dir)})


def stable(card: dict[str, Any], gate_id: str) -> dict[str, Any]:
    """A gate of a scorecard without what differs between a measurement and its cached copy."""
    return {k: v for k, v in gate(card, gate_id).items() if k not in VOLATILE}


def git_project(tmp_path: Path) -> Path:
    root = copy_project("lint_findings", tmp_path)
    for args in (["init", "-q"], ["add", "."],
                 ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def test_a_hit_is_marked_cached_and_equals_the_miss(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    store = tmp_path / "cache"
    code1, first = lint(root, tmp_path / "out1", store)
    code2, second = lint(root, tmp_path / "out2", store)
    assert "cached" not in gate(first, "lint")
    marked = gate(second, "lint")["cached"]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert marked["commit"] == commit
    assert marked["measured_at"].endswith("Z")
    assert marked["duration_s"] == gate(first, "lint")["duration_s"]
    assert code1 == code2
    assert stable(first, "lint") == stable(second, "lint")
    html = helpers.run_cli("report", tmp_path / "out2" / "scorecard.json", "--format", "html")
    assert html.code == 0
    assert "cached, measured" in (tmp_path / "out2" / "scorecard.html").read_text(encoding="utf-8")

    _, third = lint(root, tmp_path / "out3", store, "--no-cache")
    assert "cached" not in gate(third, "lint")
    assert stable(third, "lint") == stable(first, "lint")


def test_a_changed_source_file_or_config_value_misses(tmp_path: Path) -> None:
    root = copy_project("lint_findings", tmp_path)
    store = tmp_path / "cache"
    lint(root, tmp_path / "out1", store)
    source = next(p for p in sorted((root / "pkg").glob("*.py")) if p.stat().st_size)
    source.write_text(source.read_text(encoding="utf-8") + "\nunused_name = 1\n",
                      encoding="utf-8")
    _, changed = lint(root, tmp_path / "out2", store)
    assert "cached" not in gate(changed, "lint")
    _, again = lint(root, tmp_path / "out3", store)
    assert "cached" in gate(again, "lint")

    config = tmp_path / "audit.toml"
    config.write_text("[lint]\nmax_warnings_per_file = 9\n", encoding="utf-8")
    _, reconfigured = lint(root, tmp_path / "out4", store, "--config", config)
    assert "cached" not in gate(reconfigured, "lint")


def test_the_interpreters_installed_packages_are_part_of_the_key(tmp_path: Path) -> None:
    root = copy_project("lint_findings", tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    store = tmp_path / "cache"

    def run(out: str) -> dict[str, Any]:
        _, card = helpers.audit(root, tmp_path / out, gates="lint", python=python,
                                env={cache.CACHE_DIR_ENV: str(store)})
        return card

    run("out1")
    assert "cached" in gate(run("out2"), "lint")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # What pip leaves when it installs a distribution: its metadata directory.
    dist = Path(site) / "extra_package-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-package\nVersion: 1.0\n",
                                   encoding="utf-8")
    assert "cached" not in gate(run("out3"), "lint")


def _config(gate_id: str, **options: object) -> GateConfig:
    g = registered_gates()[gate_id]
    return GateConfig(
        thresholds={c.id: c.default for c in g.conditions},
        blocking={c.id: c.blocking for c in g.conditions},
        options={**{o.name: o.default for o in g.options}, **options},
        timeout=g.default_timeout,
    )


def _result(gate_id: str) -> GateResult:
    return GateResult(id=gate_id, title=gate_id, status="passed", score=100.0, duration_s=1.5,
                      reason=None, tool=ToolRun(name="t", version="1"), conditions=[],
                      findings=[], details=Details(interpreter="python"))


def test_the_tools_version_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    root = copy_project("lint_findings", tmp_path)
    results = cache.ResultCache(root, Path(sys.executable), tmp_path / "cache")
    spec = cache.spec_of(registered_gates()["lint"])
    assert spec is not None
    before = results.key(registered_gates()["lint"], spec, _config("lint"))
    # Another ruff first on the path, as an upgrade in place would leave it.
    other = tmp_path / "site"
    dist = other / "ruff-0.0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ruff\nVersion: 0.0.1\n",
                                   encoding="utf-8")
    monkeypatch.syspath_prepend(str(other))
    fresh = cache.ResultCache(root, Path(sys.executable), tmp_path / "cache")
    assert fresh.key(registered_gates()["lint"], spec, _config("lint")) != before


def test_the_vulnerability_part_expires(tmp_path: Path) -> None:
    security = registered_gates()["security"]
    spec = cache.spec_of(security)
    assert spec is not None
    assert spec.expires_option == "vulnerability_cache_hours"
    results = cache.ResultCache(tmp_path, Path(sys.executable), tmp_path / "cache")
    config = _config("security")
    assert config.options["vulnerability_cache_hours"] == 12
    results.store("k", _result("security"))
    hit = results.lookup(security, spec, config, "k")
    assert hit is not None
    assert hit.cached is not None
    entry = results.directory / "security" / "k.json"
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["stored_ts"] = time.time() - 13 * 3600
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert results.lookup(security, spec, config, "k") is None
    assert results.lookup(security, spec, _config("security", vulnerability_cache_hours=24),
                          "k") is not None


def test_a_corrupt_entry_is_a_miss_never_an_error(tmp_path: Path) -> None:
    root = copy_project("lint_findings", tmp_path)
    store = tmp_path / "cache"
    code, first = lint(root, tmp_path / "out1", store)
    entries = list((store / "results" / "lint").glob("*.json"))
    assert len(entries) == 1
    entries[0].write_text('{"format": 1, "key": "', encoding="utf-8")
    code2, second = lint(root, tmp_path / "out2", store)
    assert code2 == code
    assert "cached" not in gate(second, "lint")
    assert stable(second, "lint") == stable(first, "lint")
    _, third = lint(root, tmp_path / "out3", store)
    assert "cached" in gate(third, "lint")


@pytest.mark.unit
def test_the_load_gate_and_errors_are_never_cached(tmp_path: Path) -> None:
    assert cache.spec_of(registered_gates()["load"]) is None
    results = cache.ResultCache(tmp_path, Path(sys.executable), tmp_path / "cache")
    errored = GateResult(id="lint", title="lint", status="error", score=0.0, duration_s=1.0,
                         reason="crashed", tool=ToolRun(name="", version=""), conditions=[],
                         findings=[], details=Details())
    results.store("k", errored)
    assert not (results.directory / "lint" / "k.json").exists()


def test_the_oldest_entries_are_evicted_beyond_the_bound(tmp_path: Path) -> None:
    results = cache.ResultCache(tmp_path, Path(sys.executable), tmp_path / "cache")
    for index, key in enumerate(("old", "mid", "new")):
        results.store(key, _result("lint"))
        path = results.directory / "lint" / f"{key}.json"
        stamp = time.time() - 100 + index
        os.utime(path, (stamp, stamp))
    # Entries differ by a byte or two (their timestamps): room for the two largest.
    sizes = sorted(p.stat().st_size for p in (results.directory / "lint").glob("*.json"))
    results.evict(max_bytes=sizes[-1] + sizes[-2])
    assert sorted(p.stem for p in (results.directory / "lint").glob("*.json")) == ["mid", "new"]


@pytest.mark.unit
def test_durations_are_remembered_for_the_next_order(tmp_path: Path) -> None:
    results = cache.ResultCache(tmp_path, Path(sys.executable), tmp_path / "cache")
    assert results.expected_durations() == {}
    slow = replace(_result("coverage"), duration_s=9.0)
    reused = replace(_result("type"), duration_s=0.1,
                     cached=Cached(measured_at="x", commit=None, duration_s=0.1))
    results.remember_durations([slow, _result("lint"), reused])
    assert results.expected_durations() == {"coverage": 9.0, "lint": 1.5}
