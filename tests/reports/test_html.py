"""scorecard.html: self-contained, escaped, bounded in size, and right in a real browser."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import msgspec
import pytest
from msgspec.structs import replace

from auditor.model import Condition, Finding, GateResult, Scorecard, ToolRun
from auditor.scorecard import untyped_details
from reports import templating
from reports.html import HtmlRenderer
from reports.templating import html_environment
from tests.reports.support import (
    CARDS,
    card,
    chromium,
    dump_dom,
    many_findings_gate,
    screenshot,
    with_gate,
)

needs_chromium = pytest.mark.skipif(
    chromium() is None,
    reason="headless Chromium is not installed (apt-get install -y chromium)",
)

TITLE_PAYLOAD = "document.title='pwned'"
DOM_PAYLOAD = "document.body.setAttribute('data-pwned','1')"
SCRIPT = f"<script>{TITLE_PAYLOAD};{DOM_PAYLOAD}</script>"
IMG = f'<img src=x onerror="{TITLE_PAYLOAD};{DOM_PAYLOAD}">'


class ConditionRows(HTMLParser):
    """Text of each scorecard row, keyed by its data-condition attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, str] = {}
        self._current: str | None = None
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs).get("data-condition")
        if tag == "tr" and found:
            self._current = found
            self.rows[found] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.rows[self._current] += data


def _rows(page: str) -> ConditionRows:
    parser = ConditionRows()
    parser.feed(page)
    return parser


def _visible_text(page: str) -> str:
    body = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _figure(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _evil_card() -> Scorecard:
    base = card("full")
    lint = next(g for g in base.gates if g.id == "lint")
    evil = Finding(
        path=f"pkg/{IMG}.py", line=7, rule="X<marquee>1</marquee>", severity="critical",
        message=f"{SCRIPT} and {IMG}", extra={"note": SCRIPT},
    )
    gate = GateResult(
        id="evil<i>", title=f"Evil {SCRIPT}", status="failed", score=0.0, duration_s=1.0,
        reason=None, tool=ToolRun(name=IMG, version=""),
        conditions=[Condition(
            id="c<script>", title=f"Cond {IMG}", value=3.0, unit="<u>", op="<=", threshold=0.0,
            status="failed", blocking=True,
        )],
        findings=[evil],
        details=msgspec.convert({"free <key>": SCRIPT, "rows": [{"a": IMG}]},
                                untyped_details({"free <key>": SCRIPT, "rows": []})),
    )
    gates = [replace(lint, findings=[*lint.findings, evil]) if g.id == "lint" else g
             for g in base.gates]
    return with_gate(replace(base, gates=gates,
                             target=replace(base.target, name=f"t{SCRIPT}")), gate)


@pytest.mark.parametrize("name", CARDS)
@pytest.mark.unit
def test_page_is_self_contained(name: str) -> None:
    page = HtmlRenderer().render(card(name))
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page
    assert "url(http" not in page
    assert "prefers-color-scheme:dark" in page
    assert "@media print" in page


@pytest.mark.parametrize("name", CARDS)
@pytest.mark.unit
def test_every_condition_is_a_row_with_target_value_and_status(name: str) -> None:
    scorecard = card(name)
    rows = _rows(HtmlRenderer().render(scorecard)).rows
    for gate in scorecard.gates:
        for c in gate.conditions:
            row = rows[f"{gate.id}.{c.id}"]
            assert c.title in row
            assert _figure(c.threshold) in row
            if c.value is not None:
                assert _figure(c.value) in row
            assert c.status in row
            assert ("non-blocking" in row) is (not c.blocking)


@pytest.mark.unit
def test_errored_and_skipped_gates_show_reason_and_log_tail() -> None:
    scorecard = card("partial")
    text = _visible_text(HtmlRenderer().render(scorecard))
    for gate in scorecard.gates:
        if gate.status in ("error", "skipped"):
            assert gate.reason
            assert gate.reason in text
    assert "KeyError: 'DATABASE_URL'" in text
    assert "\x1b" not in text


@pytest.mark.unit
def test_unknown_gate_and_unknown_details_render_generically() -> None:
    scorecard = card("partial")
    docs = next(g for g in scorecard.gates if g.id == "docs")
    text = _visible_text(HtmlRenderer().render(scorecard))
    details = msgspec.to_builtins(docs.details)
    assert details["style"] in text
    for f in details["files"]:
        assert f["path"] in text
    for finding in docs.findings:
        assert finding.message in text
    coverage = next(g for g in scorecard.gates if g.id == "coverage")
    # A fact of a known gate its own view does not show is shown too, under "Other details".
    assert coverage.details.interpreter is not None
    assert coverage.details.interpreter in text


@pytest.mark.unit
def test_markup_in_any_field_is_escaped() -> None:
    page = HtmlRenderer().render(_evil_card())
    assert "<script" not in page
    assert "<img" not in page
    assert "<marquee" not in page
    assert "&lt;script&gt;" in page
    assert "onerror=&#34;" in page or "onerror=&quot;" in page


@pytest.mark.unit
def test_ten_thousand_findings_stay_a_few_megabytes() -> None:
    big = with_gate(card("full"), many_findings_gate(10_000, gate_id="bulk"))
    page = HtmlRenderer().render(big)
    assert len(page.encode()) < 2_000_000
    assert "9,800 more findings in scorecard.json" in _visible_text(page)


@needs_chromium
@pytest.mark.parametrize("name", CARDS)
def test_browser_shows_every_condition(name: str, tmp_path: Path) -> None:
    scorecard = card(name)
    page = tmp_path / "scorecard.html"
    page.write_text(HtmlRenderer().render(scorecard), encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    rows = _rows(dom).rows
    count = sum(len(g.conditions) for g in scorecard.gates)
    assert len(rows) == count
    for gate in scorecard.gates:
        for c in gate.conditions:
            assert c.title in rows[f"{gate.id}.{c.id}"]
    text = _visible_text(dom)
    assert scorecard.status.upper() in text.upper()
    assert f"score {scorecard.score:g} /100" in text


@needs_chromium
def test_browser_runs_no_injected_markup(tmp_path: Path) -> None:
    scorecard = _evil_card()
    source = HtmlRenderer().render(scorecard)
    page = tmp_path / "scorecard.html"
    page.write_text(source, encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    title = re.search(r"<title>(.*?)</title>", dom, flags=re.S)
    assert title is not None
    assert html.unescape(title.group(1)) == f"Audit failed: t{SCRIPT} · grade F"
    parser = _rows(dom)
    assert "img" not in parser.tags
    assert "script" not in parser.tags
    assert "marquee" not in parser.tags
    assert "u" not in parser.tags
    assert 'data-pwned="1"' not in dom
    # The payloads are on the page as text.
    text = _visible_text(dom)
    assert SCRIPT in text
    assert f"pkg/{IMG}.py" in text


@needs_chromium
def test_the_payloads_do_run_when_not_escaped(tmp_path: Path) -> None:
    """The control: the same payloads, unescaped, change the title and the DOM."""
    page = tmp_path / "raw.html"
    page.write_text(f"<!DOCTYPE html><title>t</title><body>{IMG}</body>", encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    assert "<title>pwned</title>" in dom
    assert 'data-pwned="1"' in dom


@needs_chromium
def test_screenshot_of_the_full_fixture(tmp_path: Path) -> None:
    page = tmp_path / "scorecard.html"
    page.write_text(HtmlRenderer().render(card("full")), encoding="utf-8")
    png = tmp_path / "scorecard.png"
    screenshot(page, png, tmp_path / "profile")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# Run in the test only: the report itself carries no script (its CSP forbids one).
MEASURE_WIDTH = """<script>(function(){
  const width = document.documentElement.clientWidth, wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) continue;
    let clipped = false;
    for (let p = el.parentElement; p && !clipped; p = p.parentElement) {
      clipped = getComputedStyle(p).overflowX !== 'visible'
        && p.getBoundingClientRect().right <= width + 1;
    }
    if (!clipped) wide.push(el.tagName + ':' + Math.round(r.right));
  }
  document.body.setAttribute('data-wide', wide.join(' ') || 'none');
})();</script>"""


@needs_chromium
def test_no_element_is_wider_than_a_1280_pixel_window(tmp_path: Path) -> None:
    long_path = "src/" + "a_long_directory_name_" * 8 + "module.py"
    gate = replace(many_findings_gate(0), findings=[
        Finding(long_path, 1, "E501" * 10, "warning", "x" * 400, extra={"note": "y" * 300}),
    ])
    page_text = HtmlRenderer().render(with_gate(card("full"), gate))
    page_text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page_text)
    page = tmp_path / "wide.html"
    page.write_text(page_text.replace("</body>", MEASURE_WIDTH + "</body>"), encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile", "--window-size=1280,900",
                   "--virtual-time-budget=2000")
    wide = re.search(r'data-wide="([^"]*)"', dom)
    assert wide is not None, "the measuring script did not run"
    assert wide.group(1) == "none"


@pytest.mark.unit
def test_warming_up_loads_every_template_rendering_a_scorecard_of_those_gates_uses() -> None:
    """The audit compiles them in the background while the gates run; rendering afterwards
    loads nothing more."""
    scorecard = card("full")
    environment = html_environment()
    cache = environment.cache
    assert cache is not None
    cache.clear()
    templating.warm_up([gate.id for gate in scorecard.gates])
    warmed = set(cache.keys())
    assert {key[1] for key in warmed} >= {"scorecard.html.j2", "macros.html.j2",
                                          "coverage/view.html.j2"}
    HtmlRenderer().render(scorecard)
    assert set(cache.keys()) == warmed
