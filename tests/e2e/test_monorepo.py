"""A monorepo audited as a user runs it: two services and a library, each its own project with
its own tests; one verdict per run, the same verdict from per-component CI jobs merged by
`audit summary`, and only what a change touched audited again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema

from auditor import summary as summary_mod
from auditor.history import location
from tests.gitrepo import commit_all, git, init_repo
from tests.helpers import CliResult, load_scorecard, run_cli

FULL = "def used(x: int) -> int:\n    return x + 1\n"
HALF = FULL + "\n\ndef unused(x: int) -> int:\n    y = x * 2\n    y += 1\n    return y\n"
TEST = "from {pkg}.core import used\n\n\ndef test_used() -> None:\n    assert used(1) == 2\n"


def _component(pkg: str, code: str, extra: str = "") -> dict[str, str]:
    return {
        "pyproject.toml": f'[project]\nname = "{pkg}"\nversion = "0.1.0"\n{extra}\n'
        f'[tool.coverage.run]\nsource = ["{pkg}"]\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        f"{pkg}/__init__.py": "",
        f"{pkg}/core.py": code,
        "tests/__init__.py": "",
        "tests/test_core.py": TEST.format(pkg=pkg),
    }


def _monorepo(root: Path, components: str = '["services/*", "libs/common"]') -> Path:
    files = {
        "pyproject.toml": f'[tool.audit]\ncomponents = {components}\ngates = ["coverage", "lint"]\n'
    }
    parts = {
        "services/orders": _component(
            "orders", FULL, '\n[tool.uv.sources]\ncommon = { path = "../../libs/common" }\n'
        ),
        # Its own target over the root's default: 50% covered, it needs 80.
        "services/users": _component("users", HALF),
        "libs/common": _component("common", FULL),
    }
    for folder, own in parts.items():
        files.update({f"{folder}/{name}": text for name, text in own.items()})
    return init_repo(root, files)


def _summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, summary_mod.schema())
    return data


def _statuses(summary: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["status"] for row in summary["components"]}


def _merged(repo: Path, tmp_path: Path) -> CliResult:
    """Each component audited as a CI job of its own, its folder delivered as an artifact,
    then merged."""
    # Not `reports/`: `python -m auditor` (as the tests run it) would import that folder as the
    # auditor's own `reports` package; the `audit` command does not look in its directory.
    reports = tmp_path / "artifacts"
    for name in ("orders", "users", "common"):
        job = tmp_path / f"job-{name}"
        ran = run_cli("run", ".", "--components", name, "--out", job, "--no-history", cwd=repo)
        assert ran.code == (1 if name == "users" else 0), ran.stderr
        assert _statuses(_summary(job))[name] != "not_selected"
        shutil.copytree(job / name, reports / name)
    return run_cli(
        "summary",
        "artifacts/*/scorecard.json",
        "--root",
        repo,
        "--out",
        tmp_path / "merged",
        "--format",
        "json,html,junit,sarif",
        cwd=tmp_path,
    )


def test_one_verdict_for_a_monorepo_and_the_same_from_merged_jobs(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono")
    out = tmp_path / "out"
    result = run_cli("run", ".", "--out", out, "--no-history", "--format", "json,html", cwd=repo)
    assert result.code == 1, result.stderr
    one_run = _summary(out)
    assert _statuses(one_run) == {"common": "passed", "orders": "passed", "users": "failed"}
    users = next(r for r in one_run["components"] if r["name"] == "users")
    assert [(g["id"], g["status"], g.get("failing")) for g in users["gates"]] == [
        ("coverage", "failed", ["line_coverage"]),
        ("lint", "passed", None),
    ]
    assert "users: coverage (line_coverage)" in one_run["reason"]
    assert "users: coverage (line_coverage)" in result.stdout
    card = load_scorecard(out / "users")
    assert card["target"]["component"] == "services/users"
    assert users["report"] == "users/scorecard.html"
    assert git(repo, "status", "--porcelain") == ""

    merged = _merged(repo, tmp_path)
    assert merged.code == 1, merged.stderr
    assert _statuses(_summary(tmp_path / "merged")) == _statuses(one_run)
    assert (tmp_path / "merged" / "junit.xml").is_file()

    shutil.rmtree(tmp_path / "artifacts" / "orders")
    missing = run_cli(
        "summary",
        "artifacts/*/scorecard.json",
        "--root",
        repo,
        "--out",
        tmp_path / "merged",
        cwd=tmp_path,
    )
    assert missing.code == 3
    assert "no scorecard of component orders" in missing.stderr
    assert _statuses(_summary(tmp_path / "merged"))["orders"] == "missing"

    _only_what_changed(repo, tmp_path)


def _only_what_changed(repo: Path, tmp_path: Path) -> None:
    listed = run_cli("components", ".", "--format", "json", cwd=repo)
    assert [c["name"] for c in json.loads(listed.stdout)["include"]] == [
        "common",
        "orders",
        "users",
    ]
    git(repo, "checkout", "-q", "-b", "change")
    core = repo / "libs" / "common" / "common" / "core.py"
    core.write_text(FULL + "\n\ndef also(x: int) -> int:\n    return x\n", encoding="utf-8")
    (repo / "libs" / "common" / "tests" / "test_also.py").write_text(
        "from common.core import also\n\n\ndef test_also() -> None:\n    assert also(2) == 2\n",
        encoding="utf-8",
    )
    commit_all(repo, "change the library")
    changed = run_cli("components", ".", "--format", "json", "--new-code", "main", cwd=repo)
    assert changed.code == 0, changed.stderr
    assert json.loads(changed.stdout) == {
        "include": [
            {"name": "common", "path": "libs/common"},
            {"name": "orders", "path": "services/orders"},
        ]
    }
    # The one the change did not touch: its last result stands, and the summary says so.
    out = tmp_path / "changed"
    ran = run_cli(
        "run",
        ".",
        "--out",
        out,
        "--no-history",
        "--new-code",
        "main",
        "--components",
        "users",
        "--format",
        "json",
        cwd=repo,
    )
    assert ran.code == 1, ran.stderr
    rows = {r["name"]: r for r in _summary(out)["components"]}
    assert rows["users"]["reused"]["source"] == "the cache"
    assert rows["users"]["reused"]["why"].startswith("unchanged since the merge base of main")
    assert rows["users"]["status"] == "failed"
    assert "is reused from the cache" in ran.stderr
    assert "Auditing" not in ran.stderr


def test_bad_component_lists_are_one_plain_error_and_exit_2(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono", '["services/*", "lib/*"]')
    result = run_cli("run", ".", "--out", tmp_path / "out", cwd=repo)
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        f"audit: error: `lib/*` in `components` in [tool.audit] of {repo / 'pyproject.toml'} "
        f"matches no directory under {repo}; fix the glob or remove it"
    ]
    plain = init_repo(tmp_path / "plain", {"pyproject.toml": "[project]\nname = 'p'\n"})
    chosen = run_cli("run", ".", "--components", "x", "--out", tmp_path / "o2", cwd=plain)
    assert chosen.code == 2
    assert "lists no components" in chosen.stderr


def test_each_component_has_its_own_history(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono")
    git(repo, "remote", "add", "origin", "https://user:secret@example.invalid/mono.git")
    assert location.identity(repo) == "https://example.invalid/mono.git"
    assert location.identity(repo / "services" / "users") == (
        "https://example.invalid/mono.git#services/users"
    )
    assert location.default_path(location.identity(repo / "libs" / "common")).name.startswith(
        "common-"
    )
