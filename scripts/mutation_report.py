"""Per-module mutation figures from `mutmut results --all true` on standard input.

Each line is `module.function__mutmut_N: status`. Killed and timed-out mutants count as
killed; survived, untested ("no tests") and any other status as survived. Exits 1 when a
module's share killed is under --floor.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

KILLED = {"killed", "timeout"}


def tally(lines: list[str]) -> dict[str, Counter[str]]:
    per_module: dict[str, Counter[str]] = {}
    for line in lines:
        name, _, status = line.strip().rpartition(": ")
        if "__mutmut_" not in name:
            continue
        module = name.rsplit(".", 1)[0]
        per_module.setdefault(module, Counter())[
            "killed" if status.strip() in KILLED else "survived"
        ] += 1
    return per_module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--floor", type=float, default=95.0)
    floor = parser.parse_args().floor
    per_module = tally(sys.stdin.read().splitlines())
    if not per_module:
        print("mutmut reported no mutant", file=sys.stderr)
        return 1
    below = []
    for module, counts in sorted(per_module.items()):
        total = counts["killed"] + counts["survived"]
        share = 100 * counts["killed"] / total
        print(f"{module}: {counts['killed']} of {total} killed ({share:.1f}%)")
        if share < floor:
            below.append(module)
    if below:
        print(f"under {floor:g}% killed: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
