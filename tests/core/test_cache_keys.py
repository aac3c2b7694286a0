"""The result cache's key: made of the target's files, never of what the auditor writes (the
report folder, wherever it is, and the cache directory), and of their contents, not their
modification times; a cache that does not read (`--no-cache`) still stores."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from auditor import cache
from auditor.model import Details, GateResult, ToolRun
from auditor.plugin import GateConfig
from auditor.registry import gates as registered_gates

EVERY_FILE = cache.CacheSpec(files=None, interpreter=False)
"""A gate whose tools read every file of the target (the coverage gate's files)."""


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("x = 1\n", encoding="utf-8")
    return root


def _key(root: Path, store: Path, *excluded: Path) -> str:
    results = cache.ResultCache(root, Path(sys.executable), store, excluded=excluded)
    config = GateConfig(thresholds={}, blocking={}, options={}, timeout=1.0)
    return results.key(registered_gates()["lint"], EVERY_FILE, config)


def _result() -> GateResult:
    return GateResult(id="lint", title="lint", status="passed", score=100.0, duration_s=1.5,
                      reason=None, tool=ToolRun(name="t", version="1"), conditions=[],
                      findings=[], details=Details(interpreter="python"))


def test_the_report_folder_and_the_cache_never_enter_the_key(tmp_path: Path) -> None:
    root = _project(tmp_path / "target")
    store = root / "own-cache"
    out = root / "reports"
    before = _key(root, store, out)
    out.mkdir()
    (out / "scorecard.json").write_text("{}\n", encoding="utf-8")
    (store / "results" / "lint").mkdir(parents=True)
    (store / "results" / "lint" / "k.json").write_text("{}\n", encoding="utf-8")
    assert _key(root, store, out) == before
    # Not the auditor's: a file of the target, where the reports would go.
    assert _key(root, store) != before


def test_a_report_folder_outside_the_target_changes_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path / "target")
    assert _key(root, tmp_path / "store", tmp_path / "out") == _key(root, tmp_path / "store")


def test_the_key_follows_contents_not_modification_times(tmp_path: Path) -> None:
    root = _project(tmp_path / "target")
    store = tmp_path / "store"
    source = root / "pkg" / "mod.py"
    before = _key(root, store)
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 7_000_000_000))
    assert _key(root, store) == before
    kept = source.stat()
    source.write_text("x = 2\n", encoding="utf-8")
    os.utime(source, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert source.stat().st_size == kept.st_size
    assert _key(root, store) != before


def test_a_cache_that_does_not_read_still_stores(tmp_path: Path) -> None:
    root = _project(tmp_path / "target")
    store = tmp_path / "store"
    lint = registered_gates()["lint"]
    config = GateConfig(thresholds={}, blocking={}, options={}, timeout=1.0)
    measured: list[int] = []

    def measure() -> GateResult:
        measured.append(1)
        return _result()

    writing = cache.ResultCache(root, Path(sys.executable), store, reads=False)
    assert writing.through(lint, config, measure).cached is None
    assert writing.through(lint, config, measure).cached is None
    assert len(measured) == 2
    reading = cache.ResultCache(root, Path(sys.executable), store)
    assert reading.through(lint, config, measure).cached is not None
    assert len(measured) == 2


def test_an_environment_variable_a_gate_declares_enters_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Django project's settings module changes what the coverage, security and deploy gates
    measure: the variable that names it is part of their keys, and of no other gate's."""
    root = _project(tmp_path / "target")
    results = cache.ResultCache(root, Path(sys.executable), tmp_path / "store")
    config = GateConfig(thresholds={}, blocking={}, options={}, timeout=1.0)
    declared = {gate_id: cache.spec_of(gate) for gate_id, gate in registered_gates().items()}
    reading = {gate_id for gate_id, spec in declared.items()
               if spec is not None and "DJANGO_SETTINGS_MODULE" in spec.environment}
    assert reading == {"coverage", "security", "deploy"}
    spec = declared["security"]
    assert spec is not None
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    unset = results.key(registered_gates()["security"], spec, config)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "shop.settings.production")
    production = results.key(registered_gates()["security"], spec, config)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "shop.settings.dev")
    assert len({unset, production, results.key(registered_gates()["security"], spec, config)}) == 3
    lint = declared["lint"]
    assert lint is not None
    with_dev = results.key(registered_gates()["lint"], lint, config)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    assert results.key(registered_gates()["lint"], lint, config) == with_dev
