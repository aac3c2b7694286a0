"""`audit run` with a history: recorded after the run, and a history that cannot be read or
written is a warning that never loses the scorecard or changes the exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import audit, load_scorecard, run_cli, write_project
from tests.history.cards import cli

NOISY = {"pkg/noisy.py": "import os\nimport sys\nimport re\nimport json\nimport abc\nx = 1\n"}


def _project(tmp_path: Path) -> Path:
    """A project whose lint gate fails (exit 1): 5 warnings in one file."""
    return write_project(tmp_path / "proj", {
        **NOISY, "pyproject.toml": '[tool.ruff.lint]\nselect = ["F"]\n',
    })


def test_a_run_is_recorded_and_read_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], store_url: str,
) -> None:
    root = _project(tmp_path)
    store = store_url
    code, card = audit(root, tmp_path / "out", "--history", store, gates="lint")
    assert code == 1
    assert card["history"]["recorded"] is True
    assert card["history"]["warnings"] == []
    assert card["history"]["store"].rsplit("/", 1)[-1] == store.rsplit("/", 1)[-1]
    code, out, _ = cli(capsys, "history", root, "--history", store, "--format", "json")
    rows = json.loads(out)
    assert [(r["status"], r["figures"]["lint.max_warnings_per_file"]["value"]) for r in rows] == [
        ("failed", 5.0)
    ]


def test_the_default_history_is_per_user_and_keyed_by_the_target(
    tmp_path: Path, private_user_data: Path,
) -> None:
    root = _project(tmp_path)
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out", "--format", "json")
    card = load_scorecard(tmp_path / "out")
    store = Path(card["history"]["store"])
    assert f"history: recorded in {store}" in result.stdout
    assert store.is_file()
    assert private_user_data in store.parents
    assert store.name.startswith("proj-")
    assert card["history"]["target"] == str(root.resolve())
    assert not any(p.suffix == ".sqlite" for p in root.rglob("*"))


@pytest.mark.parametrize("history", ["corrupt", "unreachable"])
def test_a_broken_history_is_a_warning_and_never_changes_the_verdict(
    tmp_path: Path, history: str,
) -> None:
    root = _project(tmp_path)
    if history == "corrupt":
        broken = tmp_path / "corrupt.sqlite"
        broken.write_bytes(b"this is not a database\n" * 200)
        where = str(broken)
    else:
        where = "postgresql://audit@127.0.0.1:9/nothing"  # the discard port: nobody listens
    reference, reference_card = audit(root, tmp_path / "ref", "--no-history", gates="lint")
    result = run_cli("run", root, "--gates", "lint", "--out", tmp_path / "out",
                     "--format", "html,json,markdown", "--history", where)
    card = load_scorecard(tmp_path / "out")
    assert result.code == reference == 1
    assert [g["conditions"] for g in card["gates"]] == [
        g["conditions"] for g in reference_card["gates"]
    ]
    warnings = card["history"]["warnings"]
    assert len(warnings) == 1
    assert "could not be opened" in warnings[0]
    assert card["history"]["recorded"] is False
    assert "warning: history:" in result.stdout
    html = (tmp_path / "out" / "scorecard.html").read_text(encoding="utf-8")
    assert "History warnings" in html
    assert "could not be opened" in (tmp_path / "out" / "scorecard.md").read_text("utf-8")


def test_two_audits_at_the_same_moment_both_land(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path)
    store = tmp_path / "shared.sqlite"
    audits = [
        subprocess.Popen(
            [sys.executable, "-m", "auditor", "run", str(root), "--gates", "lint", "--out",
             str(tmp_path / f"out{i}"), "--format", "json", "--history", str(store)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in (1, 2)
    ]
    for one in audits:
        _, err = one.communicate(timeout=300)
        assert one.returncode == 1, err
    for i in (1, 2):
        assert load_scorecard(tmp_path / f"out{i}")["history"]["recorded"] is True
    _, out, _ = cli(capsys, "history", root, "--history", store, "--format", "json")
    assert len(json.loads(out)) == 2


@pytest.mark.parametrize(("args", "needle"), [
    (["--history", "{root}/history.sqlite"], "inside the audited project"),
    (["--history", "{tmp}/h.sqlite", "--no-history"], "contradict"),
    (["--history", "mysql://db/x"], "SQLite (a file) or PostgreSQL"),
    (["--compare", "{tmp}/missing.json"], "does not exist"),
])
def test_bad_history_options_are_usage_errors(
    tmp_path: Path, args: list[str], needle: str, capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path)
    filled = [a.format(root=root, tmp=tmp_path) for a in args]
    code, _, err = cli(capsys, "run", root, "--gates", "lint", "--out", tmp_path / "out", *filled)
    assert code == 2, err
    assert needle in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_config_names_the_history_in_short_or_in_the_gate_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    short = _project(tmp_path / "a")
    with (short / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[tool.audit]\nhistory = "../short.sqlite"\n')
    table = _project(tmp_path / "b")
    with (table / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[tool.audit.history]\nstore = "{tmp_path / "table.sqlite"}"\n')
    for root, name in ((short, "short.sqlite"), (table, "table.sqlite")):
        _, card = audit(root, root.parent / "out", gates="lint")
        assert card["history"]["store"] == str(root.parent / name if name == "short.sqlite"
                                               else tmp_path / name)
        assert card["history"]["recorded"] is True


@pytest.mark.parametrize(("blocking", "code", "status"), [
    (True, 3, "error"), (False, 1, "skipped"),
])
def test_an_unreadable_history_is_an_error_only_when_its_conditions_block(
    tmp_path: Path, blocking: bool, code: int, status: str,
) -> None:
    root = _project(tmp_path)
    flag = "true" if blocking else "false"
    config = tmp_path / "audit.toml"
    config.write_text(
        "[history]\nenabled = true\n"
        f"build_success_rate = {{ threshold = 100, blocking = {flag} }}\n", encoding="utf-8",
    )
    where = "postgresql://audit@127.0.0.1:9/nothing"  # the discard port: nobody listens
    result = run_cli("run", root, "--gates", "lint,history", "--config", config, "--out",
                     tmp_path / "out", "--format", "json", "--history", where)
    history = next(g for g in load_scorecard(tmp_path / "out")["gates"] if g["id"] == "history")
    assert result.code == code, result.stdout + result.stderr
    assert history["status"] == status
    assert "could not be read" in history["reason"]
    if blocking:
        assert "build_success_rate block the run" in history["reason"]
