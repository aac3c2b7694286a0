"""Shared pieces of the report tests: fixture scorecards, gold files, headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import msgspec

from auditor import scorecard
from auditor.model import Details, Finding, GateResult, Scorecard, ToolRun
from tests.helpers import validate_scorecard

REPORT_FIXTURES = Path(__file__).parent.parent / "fixtures" / "reports"
GOLD = REPORT_FIXTURES / "gold"
SARIF_SCHEMA = REPORT_FIXTURES / "sarif" / "sarif-schema-2.1.0.json"
UPDATE_ENV = "AUDIT_UPDATE_GOLD"
CARDS = ("full", "partial")

# The renderers print the scorecard's own auditor version; a gold file should not change
# with every release of the fixture's producer.
SCRUBS: list[tuple[str, str]] = [(r"\b(Auditor|auditor) \d+\.\d+\.\d+\S*", r"\1 X.Y.Z")]


def card_data(name: str) -> dict[str, Any]:
    """A fixture scorecard as JSON data, validated against the scorecard schema."""
    data: dict[str, Any] = json.loads((REPORT_FIXTURES / f"{name}.json").read_text("utf-8"))
    validate_scorecard(data)
    return data


def card(name: str) -> Scorecard:
    path = REPORT_FIXTURES / f"{name}.json"
    card_data(name)
    return scorecard.read(path)


def scrub(text: str) -> str:
    for pattern, replacement in SCRUBS:
        text = re.sub(pattern, replacement, text)
    return text


def gold_text(rendered: str) -> str:
    """What a gold file holds for a rendered report: its volatile parts scrubbed."""
    return scrub(rendered)


def write_gold(rendered: str, name: str) -> Path:
    """(Re)write GOLD/name: only `scripts/update_gold.py` calls this, never a test."""
    gold = GOLD / name
    gold.parent.mkdir(parents=True, exist_ok=True)
    gold.write_text(gold_text(rendered), encoding="utf-8")
    gold.with_name(gold.name + ".actual").unlink(missing_ok=True)
    return gold


def assert_gold(actual: str, name: str) -> None:
    """Compare with GOLD/name; on a mismatch write name.actual beside it for review.

    Gold files change only through `scripts/update_gold.py`: a run with the old rewrite switch
    (AUDIT_UPDATE_GOLD) set fails instead of rewriting them and passing.
    """
    if os.environ.get(UPDATE_ENV):
        raise AssertionError(
            f"{UPDATE_ENV} is set, but a test run never rewrites gold files: unset it and run "
            "scripts/update_gold.py, then review the diff"
        )
    gold = GOLD / name
    got = gold_text(actual)
    side = gold.with_name(gold.name + ".actual")
    expected = gold.read_text(encoding="utf-8") if gold.exists() else None
    if got != expected:
        side.write_text(got, encoding="utf-8")
        raise AssertionError(
            f"{name} differs from its gold file; see {side} "
            "(run scripts/update_gold.py to accept the new output, then review the diff)"
        )
    side.unlink(missing_ok=True)


def sarif_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text("utf-8")))


def with_gate(base: Scorecard, gate: GateResult) -> Scorecard:
    """The scorecard with one more gate appended."""
    card = msgspec.structs.replace(base, gates=[*base.gates, gate])
    validate_scorecard(json.loads(scorecard.dumps(card)))
    return card


def many_findings_gate(count: int, gate_id: str = "lint", tool: str = "") -> GateResult:
    findings = [
        Finding(
            path=f"pkg/module_{i % 400:03d}.py", line=i % 900 + 1, rule=f"E{i % 37:03d}",
            severity=("critical", "warning", "info")[i % 3],
            message=f"finding number {i} with a message of some length " + "x" * (i % 50),
            tool=tool,
        )
        for i in range(count)
    ]
    return GateResult(
        id=gate_id, title=gate_id.title(), status="passed", score=100.0, duration_s=1.0,
        reason=None, tool=ToolRun(name=tool or "ruff", version="0.17.1"), conditions=[],
        findings=findings, details=Details(),
    )


# ---- Chromium ------------------------------------------------------------------------------

def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_args(profile: Path) -> list[str]:
    exe = chromium()
    assert exe is not None
    return [
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}",
    ]


def dump_dom(page: Path, profile: Path, *extra: str) -> str:
    """The DOM after the page loaded (and any script on it ran), as Chromium serialises it."""
    proc = subprocess.run(
        [*chromium_args(profile), *extra, "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def screenshot(page: Path, png: Path, profile: Path, size: str = "1280,2000") -> None:
    proc = subprocess.run(
        [*chromium_args(profile), f"--screenshot={png}", f"--window-size={size}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert png.stat().st_size > 10_000
