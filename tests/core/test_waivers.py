"""Waivers: their validation, word for word, and what they match."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from auditor import waivers
from auditor.errors import ConfigError
from auditor.model import Fact, Finding

pytestmark = pytest.mark.unit

TODAY = dt.date(2026, 6, 1)
GATES = ["lint", "security"]
VALID = {"gate": "lint", "rule": "F401", "reason": "generated", "owner": "core",
         "expires": TODAY + dt.timedelta(days=30)}


def _parse(*entries: dict[str, Any], max_days: int = 180) -> list[waivers.Waiver]:
    return waivers.parse(list(entries), GATES, max_days, TODAY, "pyproject.toml")


def _error(*entries: object, max_days: int = 180) -> str:
    with pytest.raises(ConfigError) as raised:
        waivers.parse(list(entries), GATES, max_days, TODAY, "pyproject.toml")
    return str(raised.value)


def test_a_valid_waiver_is_read_trimmed_and_round_trips() -> None:
    parsed = _parse({**VALID, "rule": " F401 ", "path": " gen/* ", "owner": " core "})
    assert parsed == [waivers.Waiver("lint", "F401", "gen/*", "generated", "core",
                                     TODAY + dt.timedelta(days=30))]
    one = parsed[0]
    assert (one.gate, one.rule, one.path, one.reason, one.owner, one.expires.isoformat()) == (
        "lint", "F401", "gen/*", "generated", "core", "2026-07-01",
    )
    assert _parse(VALID)[0].path is None
    assert _parse({**VALID, "path": None})[0].path is None


def test_the_number_counts_from_one() -> None:
    assert _error(VALID, {**VALID, "gate": "type"}) == (
        "`gate` of waiver 2 of pyproject.toml is 'type', not one of lint, security"
    )


@pytest.mark.parametrize(("entries", "message"), [
    ("not a list", "`waivers` in pyproject.toml must be [[tool.audit.waivers]] tables"),
    (["not a table"], "`waivers` in pyproject.toml must be [[tool.audit.waivers]] tables"),
])
def test_waivers_must_be_tables(entries: object, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        waivers.parse(entries, GATES, 180, TODAY, "pyproject.toml")
    assert str(raised.value) == message


@pytest.mark.parametrize(("change", "message"), [
    ({"color": "red"}, "`color` is not a key of waiver 1 of pyproject.toml; valid keys are: "
                       "gate, rule, path, reason, owner, expires"),
    ({"reason": " "}, "waiver 1 of pyproject.toml needs `reason` as a non-empty string: "
                      "say why the finding is accepted"),
    ({"owner": ""}, "waiver 1 of pyproject.toml needs `owner` as a non-empty string: "
                    "name who pays it off"),
    ({"rule": 7}, "waiver 1 of pyproject.toml needs `rule` as a non-empty string"),
    ({"gate": ""}, "waiver 1 of pyproject.toml needs `gate` as a non-empty string"),
    ({"path": 3}, "waiver 1 of pyproject.toml needs `path` as a non-empty string"),
    ({"expires": "2026-07-01"}, "`expires` of waiver 1 of pyproject.toml must be a TOML date "
                                "such as 2026-06-01 (no quotes, no time)"),
    ({"expires": dt.datetime(2026, 7, 1, 12, 0)}, "`expires` of waiver 1 of pyproject.toml "
                                                  "must be a TOML date such as 2026-06-01 (no "
                                                  "quotes, no time)"),
    ({"expires": TODAY + dt.timedelta(days=181)}, "`expires` of waiver 1 of pyproject.toml is "
                                                  "2026-11-29, more than `max_waiver_days` "
                                                  "(180) ahead; choose an earlier date"),
])
def test_every_problem_is_named_word_for_word(change: dict[str, Any], message: str) -> None:
    assert _error({**VALID, **change}) == message


def test_a_waiver_may_expire_exactly_max_days_ahead() -> None:
    at_limit = TODAY + dt.timedelta(days=180)
    assert _parse({**VALID, "expires": at_limit})[0].expires == at_limit


def test_labels_and_justification() -> None:
    plain = _parse(VALID)[0]
    assert plain.label() == "lint F401"
    assert _parse({**VALID, "path": "gen/*"})[0].label() == "lint F401 in gen/*"
    assert plain.justification() == "generated (waived by core until 2026-07-01)"


def test_expiry_is_inclusive_and_expiring_means_within_two_weeks() -> None:
    waiver = _parse({**VALID, "expires": TODAY + dt.timedelta(days=14)})[0]
    assert waiver.expiring(TODAY)
    assert not waiver.expiring(TODAY - dt.timedelta(days=1))
    assert not waiver.expired(waiver.expires)
    assert waiver.expired(waiver.expires + dt.timedelta(days=1))
    assert not waiver.expiring(waiver.expires + dt.timedelta(days=1))


def _finding(rule: str, path: str = "gen/a.py", **extra: Fact) -> Finding:
    return Finding(path, 1, rule, "warning", "m", fingerprint="fp1", extra=dict(extra))


def test_matching_by_gate_rule_alias_fingerprint_and_path() -> None:
    waiver = waivers.Waiver("security", "GHSA-1", "gen/*", "r", "o", TODAY)
    assert waiver.matches("security", _finding("PYSEC-9", aliases=["GHSA-1", "CVE-2"]))
    assert not waiver.matches("lint", _finding("GHSA-1"))
    assert not waiver.matches("security", _finding("PYSEC-9", aliases="GHSA-1"))
    assert not waiver.matches("security", _finding("PYSEC-9"))
    assert not waiver.matches("security", _finding("GHSA-1", path="src/a.py"))
    by_fingerprint = waivers.Waiver("lint", "fp1", None, "r", "o", TODAY)
    assert by_fingerprint.matches("lint", _finding("F401", path="anywhere.py"))
