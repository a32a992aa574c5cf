#!/usr/bin/env bash
# Start a real Kafka broker and a real PostgreSQL server (or use the ones named by
# AIRWARN_KAFKA_BOOTSTRAP / AIRWARN_TEST_POSTGRES_URL when they answer), run the
# whole test suite against them, and stop what was started, pass or fail.
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"

cleanup() {
    deploy/local/kafka.sh stop || true
    deploy/local/postgres.sh stop || true
}
trap cleanup EXIT

# A PostgreSQL URL in AIRWARN_DATABASE_URL (one database, no {service} placeholder)
# names a server to test against, as AIRWARN_TEST_POSTGRES_URL does.
if [[ -z "${AIRWARN_TEST_POSTGRES_URL:-}" && "${AIRWARN_DATABASE_URL:-}" == postgresql+asyncpg://* \
      && "${AIRWARN_DATABASE_URL}" != *"{"* ]]; then
    export AIRWARN_TEST_POSTGRES_URL="$AIRWARN_DATABASE_URL"
fi
AIRWARN_KAFKA_BOOTSTRAP="$(deploy/local/kafka.sh start | tail -n 1)"
AIRWARN_TEST_POSTGRES_URL="$(deploy/local/postgres.sh start | tail -n 1)"
export AIRWARN_KAFKA_BOOTSTRAP AIRWARN_TEST_POSTGRES_URL
# The broker creates no topic on first use: declare them, as an operator would.
"$ROOT/.venv/bin/airwarn" topics ensure >/dev/null
export AIRWARN_REQUIRE_INFRA=1
echo "test.sh: Kafka at $AIRWARN_KAFKA_BOOTSTRAP, PostgreSQL at ${AIRWARN_TEST_POSTGRES_URL%%@*}@..." >&2

"$ROOT/.venv/bin/python" -m pytest -q "$@"
