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
status=0
.venv/bin/audit run "$service" --out audit-report --format html,json,junit,sarif,markdown,badge "$@" || status=$?

# The statements behind db_avg_ms and db_max_ms (scorecard.html lists them for both stages).
.venv/bin/python - audit-report/scorecard.json <<'PY' || true
import json
import sys

card = json.load(open(sys.argv[1], encoding="utf-8"))
load = next((g for g in card["gates"] if g["id"] == "load"), None)
normal = ((load or {}).get("details") or {}).get("database", {}).get("stages", {}).get("normal")
if normal:
    print(f"\nDatabase statements at normal load: {normal['statements']} run, "
          f"average {normal['avg_ms']:.2f} ms, slowest {normal['max_ms']:.2f} ms")
    for s in sorted(normal["top"], key=lambda s: -s["max_ms"])[:5]:
        flag = "  (likely N+1)" if s["n_plus_one"] else ""
        print(f"  max {s['max_ms']:8.2f} ms  mean {s['mean_ms']:7.2f} ms  x{s['count']:<5} "
              f"{s['text'][:90]}{flag}")
PY
exit "$status"
