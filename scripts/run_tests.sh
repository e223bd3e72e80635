#!/usr/bin/env bash
# Lint, then the whole suite: once on SQLite (the embedded default), then once on PostgreSQL.
#
# PostgreSQL is at $EHRGYM_TEST_POSTGRES_URL (default: the local server, trust auth).
# Without it the PostgreSQL run is skipped with a message, unless
# EHRGYM_REQUIRE_SERVICES=1 (as in CI), where its absence fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PG_URL=${EHRGYM_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/ehrgym}
# Test processes (pytest-xdist): one per core, at most four (each builds its own golden database).
# EHRGYM_TEST_WORKERS=0 runs in this process, for debugging.
WORKERS=(-n "${EHRGYM_TEST_WORKERS:-auto}" --maxprocesses 4)
# The slowest tests of each pass are listed at its end: where to look when the suite grows slow.
WORKERS+=(--durations=15 --durations-min=5)

echo "== Lint (ruff, rules in pyproject.toml) =="
"$(dirname "$PY")/ruff" check .
lint_status=$?

echo "== Test suite on SQLite =="
env -u DATABASE_URL "$PY" -m pytest "${WORKERS[@]}" "$@"
sqlite_status=$?

pg_reachable() {
  DATABASE_URL="$PG_URL" "$PY" - <<'PY' 2>/dev/null
import os, psycopg
from urllib.parse import urlsplit
u = urlsplit(os.environ["DATABASE_URL"])
psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                password=u.password or None, dbname="postgres", connect_timeout=3).close()
PY
}

if pg_reachable; then
  echo "== Test suite on PostgreSQL ($PG_URL) =="
  # Browser tests exercise the UI, not the database engine: they run once, on SQLite, except browser
  # mode's, whose steps run on PostgreSQL episode copies here. The task library is checked against
  # the whole population on SQLite; here the engine is, on a slice.
  DATABASE_URL="$PG_URL" EHRGYM_HARNESS_TEST_PATIENTS="${EHRGYM_HARNESS_TEST_PATIENTS:-24}" \
    "$PY" -m pytest "${WORKERS[@]}" -m "not browser or browser_on_postgres" "$@"
  pg_status=$?
elif [ "${EHRGYM_REQUIRE_SERVICES:-0}" = "1" ]; then
  echo "PostgreSQL at $PG_URL is required (EHRGYM_REQUIRE_SERVICES=1) but not reachable" >&2
  pg_status=1
else
  echo "PostgreSQL at $PG_URL not reachable: skipping the PostgreSQL run"
  pg_status=0
fi

[ "$lint_status" -eq 0 ] && [ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
