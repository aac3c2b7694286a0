"""`[[tool.audit.waivers]]`: findings a team accepts for a while, with a reason and an owner.

A waiver names a gate and a rule (a rule id, an advisory id or one of its aliases, or a
finding's fingerprint), optionally a path glob, and must say why, who owns it and when it
expires (a TOML date at most `max_waiver_days` ahead). An expired waiver stops waiving.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from auditor.errors import ConfigError
from auditor.model import Finding

DEFAULT_MAX_DAYS = 180
EXPIRING_DAYS = 14
KEYS = ("gate", "rule", "path", "reason", "owner", "expires")


@dataclass(frozen=True)
class Waiver:
    gate: str
    rule: str
    path: str | None
    reason: str
    owner: str
    expires: dt.date

    def label(self) -> str:
        where = f" in {self.path}" if self.path else ""
        return f"{self.gate} {self.rule}{where}"

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def expiring(self, today: dt.date) -> bool:
        return not self.expired(today) and (self.expires - today).days <= EXPIRING_DAYS

    def justification(self) -> str:
        return f"{self.reason} (waived by {self.owner} until {self.expires.isoformat()})"

    def matches(self, gate_id: str, finding: Finding) -> bool:
        if gate_id != self.gate:
            return False
        aliases = finding.extra.get("aliases")
        names = {finding.rule, finding.fingerprint}
        if isinstance(aliases, list):
            names.update(str(a) for a in aliases)
        if self.rule not in names:
            return False
        return self.path is None or fnmatchcase(finding.path, self.path)



def _optional(entry: dict[str, Any], key: str, where: str) -> str | None:
    return None if entry.get(key) is None else _required(entry, key, where)


def _required(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{where} needs `{key}` as a non-empty string"
            + (": say why the finding is accepted" if key == "reason" else "")
            + (": name who pays it off" if key == "owner" else "")
        )
    return value.strip()


def parse(
    entries: object, gates: list[str], max_days: int, today: dt.date, source: str
) -> list[Waiver]:
    """Validate the waiver tables; every problem is a ConfigError naming the waiver."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"`waivers` in {source} must be [[tool.audit.waivers]] tables")
    waivers: list[Waiver] = []
    for number, entry in enumerate(entries, 1):
        where = f"waiver {number} of {source}"
        unknown = sorted(set(entry) - set(KEYS))
        if unknown:
            raise ConfigError(
                f"`{unknown[0]}` is not a key of {where}; valid keys are: {', '.join(KEYS)}"
            )
        gate = _required(entry, "gate", where)
        if gate not in gates:
            raise ConfigError(f"`gate` of {where} is {gate!r}, not one of {', '.join(gates)}")
        rule = _required(entry, "rule", where)
        path = _optional(entry, "path", where)
        reason = _required(entry, "reason", where)
        owner = _required(entry, "owner", where)
        expires = entry.get("expires")
        if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
            raise ConfigError(
                f"`expires` of {where} must be a TOML date such as {today.isoformat()} "
                "(no quotes, no time)"
            )
        if (expires - today).days > max_days:
            raise ConfigError(
                f"`expires` of {where} is {expires.isoformat()}, more than `max_waiver_days` "
                f"({max_days}) ahead; choose an earlier date"
            )
        waivers.append(Waiver(gate, rule, path, reason, owner, expires))
    return waivers
