"""Loading configuration from a `--config` file."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import config

pytestmark = pytest.mark.unit


def test_config_file_with_tool_audit_prefix_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "audit.toml"
    path.write_text(
        '[project]\nname = "x"\n\n[tool.audit]\ngates = ["lint"]\n\n'
        "[tool.audit.coverage]\nline_coverage = 91\n",
        encoding="utf-8",
    )
    loaded = config.load(tmp_path, path)
    assert loaded.selected == ("lint",)
    assert loaded.gates["coverage"].thresholds["line_coverage"] == 91


def test_config_file_with_top_level_keys_still_works(tmp_path: Path) -> None:
    path = tmp_path / "audit.toml"
    path.write_text("[coverage]\nline_coverage = 92\n", encoding="utf-8")
    assert config.load(tmp_path, path).gates["coverage"].thresholds["line_coverage"] == 92
