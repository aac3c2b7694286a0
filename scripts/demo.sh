#!/usr/bin/env bash
# Installs the auditor and the example service on a fresh machine, then audits the service with
# every gate. Reports go to ./audit-report (open audit-report/scorecard.html).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/audit ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e .
fi
service=examples/service
if [ ! -x "$service/.venv/bin/python" ]; then
  python3 -m venv "$service/.venv"
  "$service/.venv/bin/python" -m pip install -q --upgrade pip
  "$service/.venv/bin/python" -m pip install -q -r "$service/requirements.txt"
fi
exec .venv/bin/audit run "$service" --out audit-report --format html,json,junit,sarif,markdown,badge "$@"
