#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine, then runs it.
# Usage: scripts/test.sh [pytest args...]
# With TEST_RESULTS_DIR set (CI), the suite runs under coverage.py and leaves its coverage data
# (.coverage.*) and JUnit results (junit.xml) there, for `audit run --coverage-data` to reuse.
set -euo pipefail
cd "$(dirname "$0")/.."

# Headless Chromium renders the HTML report in its tests (Debian's package).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing chromium for the HTML report tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# The history and database timing tests start a throwaway PostgreSQL cluster of their own
# (Debian's package; its `postgres` user runs the server, which refuses to run as root).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1 \
    && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing postgresql for the history and database timing tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
# A target environment with older pinned tools (tests/fixtures/pinned-tools.txt): the tests of
# tool_source audit with the target's own ruff and mypy and a mypy plugin installed only there.
# Prepared once; tests skip (saying how to make it) when it is absent.
if [ ! -f tests/.toolenv/.installed ]; then
  echo "Preparing tests/.toolenv with the tools in tests/fixtures/pinned-tools.txt..."
  python3 -m venv --clear tests/.toolenv
  tests/.toolenv/bin/python -m pip install -q -r tests/fixtures/pinned-tools.txt
  touch tests/.toolenv/.installed
fi
if [ -n "${TEST_RESULTS_DIR:-}" ]; then
  mkdir -p "$TEST_RESULTS_DIR"
  rm -f "$TEST_RESULTS_DIR"/.coverage "$TEST_RESULTS_DIR"/.coverage.* "$TEST_RESULTS_DIR"/junit.xml
  # Absolute: the tests' child processes, measured too, run in other directories.
  export COVERAGE_FILE="$(cd "$TEST_RESULTS_DIR" && pwd)/.coverage"
  exec .venv/bin/python -m coverage run -p -m pytest --junitxml="$TEST_RESULTS_DIR/junit.xml" "$@"
fi
exec .venv/bin/python -m pytest "$@"
