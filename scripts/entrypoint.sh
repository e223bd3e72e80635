#!/usr/bin/env bash
# One entrypoint for every EHRGym process, in the Docker image and on a plain machine:
#
#   scripts/entrypoint.sh init            migrate, build the golden database if missing, demo logins, task library
#   scripts/entrypoint.sh web             init (unless EHRGYM_SKIP_INIT=1), then the web server on EHRGYM_BIND:EHRGYM_PORT
#                                         (EHRGYM_WEB_PROCESSES processes sharing it: python -m ehrsite.serve)
#   scripts/entrypoint.sh worker [ARGS]   a Celery worker (ARGS go to `celery worker`, e.g. --concurrency=2)
#   scripts/entrypoint.sh beat [ARGS]     Celery beat: exactly one per deployment
#   scripts/entrypoint.sh manage ARGS     any manage.py command
#
# Settings come from the environment as everywhere else (README, "Configuration"); worker and beat
# need REDIS_URL, and every process of a deployment the same DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
EHRGYM_PORT=${EHRGYM_PORT:-8000}
EHRGYM_BIND=${EHRGYM_BIND:-0.0.0.0}

manage() { "$PYTHON" manage.py "$@"; }

init() {
  # The same sequence as `make run`: build_golden keeps an existing golden database unless a migration
  # is newer, so a restart is quick; setup_demo imports the population only into an empty database.
  manage migrate --noinput
  manage build_golden
  if [ "${EHRGYM_SETUP_DEMO:-1}" = "1" ]; then
    manage setup_demo
  fi
  manage tasks sync
}

need_redis() {
  if [ -z "${REDIS_URL:-}" ]; then
    echo "entrypoint: the $1 role needs REDIS_URL (the Celery broker), e.g. redis://redis:6379/0" >&2
    exit 2
  fi
}

role=${1:-web}
[ $# -gt 0 ] && shift
case "$role" in
  init)
    init
    ;;
  web)
    if [ "${EHRGYM_SKIP_INIT:-0}" != "1" ]; then
      init
    fi
    echo "EHRGym is serving on ${EHRGYM_BIND}:${EHRGYM_PORT}"
    exec "$PYTHON" -m ehrsite.serve -b "$EHRGYM_BIND" -p "$EHRGYM_PORT" "$@"
    ;;
  worker)
    need_redis worker
    exec "$PYTHON" -m celery -A ehrsite worker --loglevel="${EHRGYM_CELERY_LOG_LEVEL:-info}" "$@"
    ;;
  beat)
    need_redis beat
    # The schedule file goes to the data directory: the working directory may not be writable.
    data_dir=${EHRGYM_DATA_DIR:-var}
    mkdir -p "$data_dir"
    exec "$PYTHON" -m celery -A ehrsite beat --loglevel="${EHRGYM_CELERY_LOG_LEVEL:-info}" \
      --schedule "$data_dir/celerybeat-schedule" "$@"
    ;;
  manage)
    exec "$PYTHON" manage.py "$@"
    ;;
  *)
    echo "entrypoint: unknown role '$role': use web, worker, beat, init or manage" >&2
    exit 2
    ;;
esac
