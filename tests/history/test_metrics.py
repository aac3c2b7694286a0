"""The success metrics on histories with known answers: pure figures, then the history gate in
the scorecard and the HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditor.history.metrics import compute
from auditor.history.store import BuildRecord
from tests.helpers import audit, condition, gate, write_project
from tests.history.cards import card, cli, save

NOW = datetime(2026, 3, 2, 12, 0, 0)


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute)


def test_a_failure_at_ten_and_a_pass_at_twenty_past_is_an_mttr_of_20() -> None:
    records = [
        BuildRecord(_at(9), "main", "passed", True),
        BuildRecord(_at(10), "main", "failed", False),
        BuildRecord(_at(10, 10), "main", "failed", False),
        BuildRecord(_at(10, 20), "main", "passed", True),
    ]
    found = compute(records, main_branch="main", window_days=30, now=NOW, min_runs=3)
    assert found.mttr_minutes.value == 20
    assert found.mttr_minutes.basis == 1
    assert found.build_success_rate.value == 50
    assert found.build_success_rate.basis == 4


def test_mttr_is_the_mean_over_recovered_failures_only() -> None:
    records = [
        BuildRecord(_at(8), "main", "error", None),
        BuildRecord(_at(8, 30), "main", "passed", True),
        BuildRecord(_at(10), "main", "failed", False),
        BuildRecord(_at(10, 10), "main", "passed", True),
        BuildRecord(_at(11), "main", "failed", False),
    ]
    found = compute(records, main_branch="main", window_days=30, now=NOW, min_runs=1)
    assert found.mttr_minutes.value == 20  # (30 + 10) / 2; the failure at 11:00 is still open
    assert [e.minutes for e in found.episodes] == [30, 10, None]
    # The run that measured neither tests nor lint is no build.
    assert (found.build_success_rate.value, found.build_success_rate.basis) == (50, 4)


def test_first_time_success_counts_each_new_branch_once() -> None:
    records = [
        BuildRecord(NOW - timedelta(days=40), "old", "failed", False),
        BuildRecord(_at(9), "old", "passed", True),
        BuildRecord(_at(9), "a", "passed", True),
        BuildRecord(_at(9, 30), "b", "failed", False),
        BuildRecord(_at(9, 40), "b", "passed", True),
        BuildRecord(_at(10), "c", "passed", True),
        BuildRecord(_at(10), "main", "passed", True),
        BuildRecord(_at(10), None, "failed", False),
    ]
    found = compute(records, main_branch="main", window_days=30, now=NOW, min_runs=3)
    assert [(f.branch, f.status) for f in found.first_audits] == [
        ("a", "passed"), ("b", "failed"), ("c", "passed")
    ]
    assert round(found.first_time_success_rate.value or 0, 2) == 66.67


def test_too_few_runs_and_the_window_give_reasons() -> None:
    records = [
        BuildRecord(NOW - timedelta(days=31), "main", "failed", False),
        BuildRecord(_at(9), "main", "passed", True),
    ]
    found = compute(records, main_branch="main", window_days=30, now=NOW, min_runs=3)
    assert found.build_success_rate.value is None
    assert found.build_success_rate.reason == (
        "1 audit(s) on `main` ran the tests or the linter in the last 30 days; "
        "at least 3 are needed"
    )
    assert found.mttr_minutes.value is None
    assert "no failing audit on `main`" in (found.mttr_minutes.reason or "")


ENABLED = """
[tool.ruff.lint]
select = ["F"]

[tool.audit.history]
enabled = true
main_branch = "main"
"""


def test_the_history_gate_shows_the_known_answers_in_the_scorecard_and_the_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    store_url: str,
) -> None:
    root = write_project(tmp_path / "proj", {"ok.py": "x = 1\n", "pyproject.toml": ENABLED})
    store = store_url
    start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(hours=5)
    history = [
        card(start, tests_failed=1),                                   # main fails
        card(start + timedelta(minutes=20)),                           # ...passes 20 min later
        card(start + timedelta(hours=1), critical_errors=2),           # fails again
        card(start + timedelta(hours=1, minutes=40)),                  # ...40 min later
        card(start + timedelta(hours=2), branch="feature-a"),
        card(start + timedelta(hours=2), branch="feature-b", tests_failed=3),
        card(start + timedelta(hours=3), branch="feature-b"),
        card(start + timedelta(hours=3), branch="feature-c"),
        card(start + timedelta(hours=3), branch="feature-d", critical_errors=1),
    ]
    monkeypatch.chdir(root)
    imported = cli(capsys, "history", "import", *save(history, tmp_path / "cards"),
                   "--history", store)
    assert imported[0] == 0, imported[2]
    code, scorecard = audit(root, tmp_path / "out", "--history", store,
                            "--format", "html,json", gates="lint,history")
    assert code == 0
    assert gate(scorecard, "history")["status"] == "passed"  # non-blocking by default
    build = condition(scorecard, "history", "build_success_rate")
    first = condition(scorecard, "history", "first_time_success_rate")
    mttr = condition(scorecard, "history", "mttr_minutes")
    assert (build["value"], build["status"], build["blocking"]) == (50, "failed", False)
    assert (first["value"], first["status"]) == (50, "failed")
    assert (mttr["value"], mttr["status"]) == (30, "failed")  # (20 + 40) / 2, target < 30
    details = gate(scorecard, "history")["details"]
    assert details["figures"]["build_success_rate"]["basis"] == 4
    assert details["figures"]["first_time_success_rate"]["basis"] == 4
    assert [e["minutes"] for e in details["episodes"]] == [20, 40]
    assert scorecard["history"]["metrics"]["figures"]["mttr_minutes"]["value"] == 30
    html = (tmp_path / "out" / "scorecard.html").read_text(encoding="utf-8")
    assert '<td>Mean time to recovery</td><td class="num">30 min</td>' in html
    assert "Build success rate</td><td class=\"num\">50%" in html
    assert "Not audited here, and why" in html
    assert "Uptime" in html


def test_the_history_gate_skips_with_a_reason_when_runs_are_too_few(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"ok.py": "x = 1\n", "pyproject.toml": ENABLED})
    code, scorecard = audit(root, tmp_path / "out", "--history", tmp_path / "h.sqlite",
                            gates="lint,history")
    assert code == 0
    history = gate(scorecard, "history")
    assert history["status"] == "skipped"
    assert "too few recorded runs" in history["reason"]
    reasons = {c["id"]: (c["status"], c["reason"]) for c in history["conditions"]}
    assert reasons["build_success_rate"][0] == "skipped"
    assert "at least 3 are needed" in reasons["build_success_rate"][1]
