"""What the audited code can see: never the auditor's own settings and secrets."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers import audit, condition, write_project

SNOOPING_TEST = '''\
import os
from pathlib import Path

from pkg import VALUE


def test_reads_the_environment():
    assert VALUE == 1
    seen = sorted(k for k in os.environ if k.startswith("AUDIT_"))
    Path(os.environ["SNOOP_FILE"]).write_text(",".join(seen))
    assert "AUDIT_HISTORY_URL" not in os.environ
'''


def test_the_targets_tests_never_see_the_auditors_settings(tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": '[tool.coverage.run]\nsource = ["pkg"]\n',
        "pkg/__init__.py": "VALUE = 1\n",
        "tests/test_env.py": SNOOPING_TEST,
    })
    store = tmp_path / "team-history.sqlite"
    code, card = audit(root, tmp_path / "out", gates="coverage", python=sys.executable, env={
        "AUDIT_HISTORY_URL": str(store), "AUDIT_TOKEN": "secret", "SNOOP_FILE": str(seen),
    })
    assert condition(card, "coverage", "tests_failed")["value"] == 0, code
    # The auditor itself used its setting: the run is recorded in that store.
    assert store.is_file()
    # The test ran and saw none of the auditor's own variables (the outcomes plugin's is the
    # auditor's own channel into the run, passed on purpose).
    assert seen.read_text(encoding="utf-8") in ("", "AUDIT_PYTEST_OUTCOMES")
