#!/usr/bin/env bash
# `make bench`: start a Kafka broker and a PostgreSQL server of the benchmark's own (their
# own ports and folders, so that a test run on the usual ones is never disturbed, nor
# disturbs the figures), run bench/run.py against them, and stop what was started.
#
# Environment (besides deploy/local/kafka.sh's and postgres.sh's own):
#   AIRWARN_BENCH_KAFKA_PORT   broker client port (39092)
#   AIRWARN_BENCH_PG_PORT      PostgreSQL port (57432)
# Arguments are passed to bench/run.py (e.g. --only micro, --profile alerting).
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

export AIRWARN_KAFKA_PORT="${AIRWARN_BENCH_KAFKA_PORT:-39092}"
export AIRWARN_KAFKA_DIR="$ROOT/var/bench/kafka"
export AIRWARN_PG_PORT="${AIRWARN_BENCH_PG_PORT:-57432}"
export AIRWARN_PG_DIR="$ROOT/var/bench/postgres"
# Production durability: fsync, synchronous_commit and full_page_writes on (the test
# server turns them off, which would flatter every commit); the table says so.
export AIRWARN_PG_DURABLE=1
# the services' consumer groups have fixed names: never share a broker with a test run
unset AIRWARN_KAFKA_BOOTSTRAP AIRWARN_TEST_POSTGRES_URL

cleanup() {
    deploy/local/kafka.sh stop || true
    deploy/local/postgres.sh stop || true
}
trap cleanup EXIT

KAFKA="$(deploy/local/kafka.sh start | tail -n 1)"
POSTGRES="$(deploy/local/postgres.sh start | tail -n 1)"
echo "bench.sh: Kafka at $KAFKA, PostgreSQL at ${POSTGRES%%@*}@..." >&2
"$ROOT/.venv/bin/python" -m bench.run --kafka "$KAFKA" --postgres "$POSTGRES" \
    --workdir "$ROOT/var/bench/run" "$@"
