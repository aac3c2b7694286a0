#!/usr/bin/env bash
# Mutation testing of the pure core that decides every verdict, against the unit tier alone
# (mutmut 3; its settings are [tool.mutmut] in pyproject.toml). Prints each module's share of
# mutants killed, and fails when one is under the floor (default 95, or MUTATION_FLOOR).
# A mutant no unit test reaches counts as survived; a timeout counts as killed.
# Usage: scripts/mutation.sh            (after scripts/test.sh has set up .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q "mutmut>=3.8,<4"
rm -rf mutants
.venv/bin/mutmut run --max-children "$(nproc)" >/dev/null 2>&1 || true
.venv/bin/mutmut results --all true | .venv/bin/python scripts/mutation_report.py \
  --floor "${MUTATION_FLOOR:-95}"
