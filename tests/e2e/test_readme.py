"""The README's configuration reference is what `audit init` writes, so it cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor import init_section
from auditor.registry import gates as registered_gates

pytestmark = pytest.mark.unit

README = Path(__file__).parents[2] / "README.md"


def test_reference_block_matches_audit_init() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- reference: .*? -->\n```toml\n(.*?)```\n<!-- end reference -->", text, re.DOTALL
    )
    assert match, "the README lost its reference block"
    assert match.group(1) == init_section.render().rstrip("\n") + "\n", (
        "README reference is stale: paste the output of `audit init --stdout`"
    )


def test_every_gate_condition_and_option_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    for gate in registered_gates().values():
        assert f"[tool.audit.{gate.id}]" in text
        for spec in gate.conditions:
            assert spec.id in text
        for option in gate.options:
            assert option.name in text
