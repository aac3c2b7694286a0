"""Compiled templates are kept in the cache directory and give the same reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from auditor.cache import CACHE_DIR_ENV
from tests.helpers import FIXTURES

RENDER = """\
import sys
from pathlib import Path
from auditor import scorecard
from reports.writer import write_reports
card = scorecard.read(Path(sys.argv[1]))
write_reports(card, ("html", "markdown"), Path(sys.argv[2]))
"""


def render(card: Path, out: Path, cache_dir: Path) -> tuple[str, str]:
    subprocess.run([sys.executable, "-c", RENDER, str(card), str(out)], check=True,
                   env={**os.environ, CACHE_DIR_ENV: str(cache_dir)})
    return ((out / "scorecard.html").read_text(encoding="utf-8"),
            (out / "scorecard.md").read_text(encoding="utf-8"))


def test_compiled_templates_are_reused_and_render_the_same(tmp_path: Path) -> None:
    card = FIXTURES / "reports" / "full.json"
    first = render(card, tmp_path / "one", tmp_path / "cache")
    compiled = list((tmp_path / "cache" / "templates").iterdir())
    assert compiled
    second = render(card, tmp_path / "two", tmp_path / "cache")
    assert first == second
    # A cache directory that cannot be created (a file is in the way) only costs the compiling.
    (tmp_path / "blocked").write_text("", encoding="utf-8")
    assert render(card, tmp_path / "three", tmp_path / "blocked") == first
