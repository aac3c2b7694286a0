"""Rewrite the report gold files (tests/fixtures/reports/gold) from the fixture scorecards.

    .venv/bin/python scripts/update_gold.py

The one way gold files change: review `git diff tests/fixtures/reports/gold` before committing.
A test run never rewrites them.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.registry import RENDERERS  # after the path is set
from tests.reports.support import CARDS, card, write_gold
from tests.reports.test_gold import FORMATS


def main() -> int:
    for name in CARDS:
        for format_id in FORMATS:
            renderer = RENDERERS[format_id]
            suffix = renderer.filename.rsplit(".", 1)[1]
            written = write_gold(renderer.render(card(name)), f"{name}.{suffix}")
            print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
