#!/usr/bin/env bash
# Run a private, throw-away PostgreSQL server on loopback for the tests, with
# Debian's server binaries (installed with apt-get when missing). No Docker
# needed. The system's own clusters (pg_lsclusters) are never touched.
#
#   postgres.sh start    start a cluster (or reuse one), print its SQLAlchemy
#                        URL as the last line of stdout
#   postgres.sh stop     stop the cluster this script started (no-op otherwise)
#   postgres.sh restart [--hard]
#                        stop the cluster this script started (fast shutdown, or
#                        immediate with --hard: a crash, recovered from the WAL at
#                        start) and start it again on the same data; prints its URL
#   postgres.sh status   exit 0 when the server answers; prints its URL
#   postgres.sh url      print the URL of our cluster (whether running or not)
#   postgres.sh logs     print the tail of the server log
#
# Environment:
#   AIRWARN_TEST_POSTGRES_URL   use this server if it answers; start nothing
#                               (postgresql+asyncpg://user:pw@host:port/db)
#   AIRWARN_PG_DIR              run dir: data, socket, logs (<repo>/var/postgres)
#   AIRWARN_PG_PORT             port on 127.0.0.1 (55432)
#   AIRWARN_PG_BINDIR           server binaries (highest /usr/lib/postgresql/*/bin)
#   AIRWARN_PG_START_TIMEOUT    seconds to wait for the server (60)
#   AIRWARN_PG_DURABLE          1: production durability (fsync, synchronous_commit and
#                               full_page_writes on), as `make bench` runs it
#   PYTHON                      python for the probe (<repo>/.venv/bin/python)
#
# The data dir is wiped at every start: each run gets an empty database
# (restart keeps it). For speed the test server runs with fsync and
# synchronous_commit off: a crash (restart --hard) loses the last commits of any
# database that does not set synchronous_commit = on for itself. AIRWARN_PG_DURABLE=1
# turns all three back on. When run as
# root, initdb and the server run as the 'postgres' system user.
# All messages go to stderr; stdout carries only the URL.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/../.." && pwd -P)"

RUN_DIR="${AIRWARN_PG_DIR:-$REPO_ROOT/var/postgres}"
DATA_DIR="$RUN_DIR/data"
SOCK_DIR="$RUN_DIR/socket"
SERVER_LOG="$RUN_DIR/postgres.log"
INITDB_LOG="$RUN_DIR/initdb.log"
LOCK_FILE="$RUN_DIR/.lock"

HOST=127.0.0.1
PORT="${AIRWARN_PG_PORT:-55432}"
if [[ "${AIRWARN_PG_DURABLE:-0}" == 1 ]]; then DURABILITY=on; else DURABILITY=off; fi
DB_USER=airwarn
DB_PASSWORD=airwarn
DB_NAME=airwarn
SUPERUSER=postgres
URL="postgresql+asyncpg://$DB_USER:$DB_PASSWORD@$HOST:$PORT/$DB_NAME"
START_TIMEOUT="${AIRWARN_PG_START_TIMEOUT:-60}"
STOP_TIMEOUT=30

PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
BIN_DIR="${AIRWARN_PG_BINDIR:-}"

# now: wall clock in ms; elapsed START: seconds since START, to 0.1 s.
now() { date +%s%3N; }
elapsed() { local ms=$(($(now) - $1)); printf '%d.%d\n' $((ms / 1000)) $((ms % 1000 / 100)); }
log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ "$PORT" =~ ^[0-9]+$ ]] || die "AIRWARN_PG_PORT=$PORT is not a port number"

# --- probe -----------------------------------------------------------------

# probe_python URL TIMEOUT: 0 when asyncpg connects and runs a query, 1 when
# not, 3 when no python with asyncpg is available.
probe_python() {
    [[ -x "$PYTHON" ]] || command -v "$PYTHON" >/dev/null 2>&1 || return 3
    "$PYTHON" - "$1" "$2" 2>/dev/null <<'EOF'
import asyncio
import sys
from urllib.parse import unquote, urlsplit

try:
    import asyncpg
except ImportError:
    sys.exit(3)

u = urlsplit(sys.argv[1])
timeout = float(sys.argv[2])


async def main():
    conn = await asyncpg.connect(
        host=u.hostname or "127.0.0.1",
        port=u.port or 5432,
        user=unquote(u.username) if u.username else None,
        password=unquote(u.password) if u.password is not None else None,
        database=unquote(u.path.lstrip("/")) or None,
        timeout=timeout,
    )
    try:
        await conn.fetchval("select 1")
    finally:
        await conn.close()


try:
    asyncio.run(asyncio.wait_for(main(), timeout + 1))
except Exception:
    sys.exit(1)
EOF
}

# url_host_port URL: print "host port" of an SQLAlchemy URL.
url_host_port() {
    local rest="${1#*://}" hostport host port=5432
    rest="${rest##*@}"
    hostport="${rest%%/*}"
    hostport="${hostport%%\?*}"
    if [[ "$hostport" == \[*\]* ]]; then # [ipv6]:port
        host="${hostport%%]*}"
        host="${host#[}"
        [[ "$hostport" == *]:* ]] && port="${hostport##*]:}"
    elif [[ "$hostport" == *:* ]]; then
        host="${hostport%:*}"
        port="${hostport##*:}"
    else
        host="$hostport"
    fi
    printf '%s %s\n' "${host:-localhost}" "$port"
}

pg_isready_cmd() {
    if [[ -n "$BIN_DIR" && -x "$BIN_DIR/pg_isready" ]]; then
        printf '%s\n' "$BIN_DIR/pg_isready"
    else
        command -v pg_isready
    fi
}

# probe URL [TIMEOUT]: 0 when the server at URL answers. Uses asyncpg (a real
# login with the URL's credentials) when available, pg_isready otherwise.
probe() {
    local rc=0 host port isready
    probe_python "$1" "${2:-5}" || rc=$?
    ((rc != 3)) && return "$rc"
    read -r host port < <(url_host_port "$1")
    if isready="$(pg_isready_cmd)"; then
        "$isready" -q -h "$host" -p "$port" -t "${2:-5}"
    else
        (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# --- binaries --------------------------------------------------------------

find_bindir() {
    local initdb
    initdb="$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)" || true
    [[ -n "$initdb" ]] || return 1
    dirname -- "$initdb"
}

install_server() {
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 ||
            die "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) and not root without sudo; install Debian's 'postgresql' package or set AIRWARN_TEST_POSTGRES_URL"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "no PostgreSQL server binaries and no apt-get; install PostgreSQL or set AIRWARN_TEST_POSTGRES_URL"
    log "no PostgreSQL server binaries found; installing Debian's postgresql package"
    # apt-get writes progress to stdout (stdout is for the URL only).
    if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
            --no-install-recommends postgresql; } >&2; then
        die "installing the postgresql package failed; install it by hand or set AIRWARN_TEST_POSTGRES_URL"
    fi
}

ensure_binaries() {
    if [[ -n "$BIN_DIR" ]]; then
        [[ -x "$BIN_DIR/initdb" && -x "$BIN_DIR/pg_ctl" ]] ||
            die "AIRWARN_PG_BINDIR=$BIN_DIR has no initdb/pg_ctl"
        return 0
    fi
    if ! BIN_DIR="$(find_bindir)"; then
        install_server
        BIN_DIR="$(find_bindir)" || die "no /usr/lib/postgresql/*/bin/initdb after installing postgresql"
    fi
}

# Binaries for stop/status: none needed if none are installed (nothing runs).
locate_binaries() {
    [[ -n "$BIN_DIR" ]] || BIN_DIR="$(find_bindir)" || BIN_DIR=""
    [[ -n "$BIN_DIR" ]]
}

# --- running as the cluster's user -----------------------------------------

# as_pg CMD...: run CMD as the user owning the cluster: 'postgres' when we are
# root (the server refuses to run as root), ourselves otherwise. From /, so an
# unreadable current directory does not bother the postgres tools. fd 9 (the
# lock, see with_lock) is closed: the server must not inherit and hold it.
as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@") 9>&-
    else
        (cd / && "$@") 9>&-
    fi
}

check_user() {
    ((EUID == 0)) || return 0
    command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (util-linux)"
    id -u postgres >/dev/null 2>&1 ||
        die "running as root needs the 'postgres' system user (it comes with Debian's postgresql package)"
}

# The data dir must be ours to operate on: refuse a cluster made by another user.
check_owner() {
    [[ -d "$DATA_DIR" ]] || return 0
    local owner want
    owner="$(stat -c %U -- "$DATA_DIR")"
    if ((EUID == 0)); then want=postgres; else want="$(id -un)"; fi
    [[ "$owner" == "$want" ]] ||
        die "$DATA_DIR belongs to '$owner', not '$want'; run postgres.sh as the user that started it, or use another AIRWARN_PG_DIR"
}

# --- our cluster -----------------------------------------------------------

# is_running: our cluster's postmaster is alive (pg_ctl status).
is_running() {
    [[ -f "$DATA_DIR/postmaster.pid" ]] || return 1
    locate_binaries || return 1
    check_user
    as_pg "$BIN_DIR/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

running_pid() { sed -n 1p "$DATA_DIR/postmaster.pid" 2>/dev/null; }
running_port() { sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null; }

show_logs() {
    local f
    for f in "$INITDB_LOG" "$SERVER_LOG"; do
        [[ -s "$f" ]] || continue
        printf -- '----- %s (tail) -----\n' "$f" >&2
        tail -n "${1:-40}" "$f" >&2
    done
}

# conf_str VALUE: a postgresql.conf string literal.
conf_str() { printf "'%s'" "${1//\'/\'\'}"; }

write_config() {
    local sockets
    # A Unix socket path is limited to 107 bytes; go TCP-only if ours is longer.
    if ((${#SOCK_DIR} + ${#PORT} + 10 <= 107)); then
        sockets="$SOCK_DIR"
    else
        log "socket dir path too long for a Unix socket; listening on TCP only"
        sockets=""
    fi
    cat >>"$DATA_DIR/postgresql.conf" <<EOF

# --- airwarn test server (deploy/local/postgres.sh) ---
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = $(conf_str "$sockets")
max_connections = 200
fsync = $DURABILITY
synchronous_commit = $DURABILITY
full_page_writes = $DURABILITY
logging_collector = off
EOF
    cat >"$DATA_DIR/pg_hba.conf" <<EOF
# airwarn test server: trust everything local; it only listens on $HOST.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   $HOST/32  trust
EOF
}

init_cluster() {
    # Fresh state for every run (the lock file stays).
    rm -rf "$DATA_DIR" "$SOCK_DIR"
    rm -f "$SERVER_LOG" "$INITDB_LOG"
    mkdir -p "$SOCK_DIR"
    if ((EUID == 0)); then
        chown postgres: "$RUN_DIR" "$SOCK_DIR"
        runuser -u postgres -- test -w "$RUN_DIR" ||
            die "user postgres cannot write $RUN_DIR (a parent dir is not searchable?); set AIRWARN_PG_DIR to e.g. /tmp/airwarn-postgres"
    fi
    chmod 0700 "$SOCK_DIR"
    if ! as_pg "$BIN_DIR/initdb" -D "$DATA_DIR" -U "$SUPERUSER" -A trust -E UTF8 \
        --no-locale --no-sync >"$INITDB_LOG" 2>&1; then
        show_logs
        die "initdb failed"
    fi
    write_config
}

start_server() {
    if ! as_pg "$BIN_DIR/pg_ctl" start -w -t "$START_TIMEOUT" -D "$DATA_DIR" \
        -l "$SERVER_LOG" >&2; then
        show_logs
        as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m immediate >/dev/null 2>&1 || true
        die "PostgreSQL did not start"
    fi
}

psql_admin() {
    "$BIN_DIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$SUPERUSER" \
        -d postgres -tA "$@"
}

ensure_role_and_db() {
    psql_admin >&2 <<EOF
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASSWORD';
    END IF;
END
\$\$;
EOF
    if [[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
        psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
    fi
}

wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        probe "$URL" 2 && return 0
        is_running || {
            show_logs
            die "PostgreSQL exited during startup"
        }
        sleep 0.2
    done
    show_logs
    die "PostgreSQL does not accept connections at $URL after ${START_TIMEOUT}s"
}

with_lock() {
    mkdir -p "$RUN_DIR"
    if command -v flock >/dev/null 2>&1; then
        # Serialise concurrent starts/stops of the same run dir.
        (
            flock 9
            "$@"
        ) 9>"$LOCK_FILE"
    else
        "$@"
    fi
}

# --- commands --------------------------------------------------------------

start_locked() {
    local started port
    check_user
    check_owner
    if is_running; then
        port="$(running_port)"
        [[ "$port" == "$PORT" ]] ||
            die "the running cluster (pid $(running_pid)) listens on port $port, not $PORT; run 'postgres.sh stop' with its settings first"
        log "PostgreSQL already running (pid $(running_pid))"
        ensure_role_and_db
        wait_ready
        printf '%s\n' "$URL"
        return 0
    fi
    if port_in_use "$PORT"; then
        die "port $HOST:$PORT is already in use by another process; set AIRWARN_TEST_POSTGRES_URL to use that server or AIRWARN_PG_PORT to pick another port"
    fi
    ensure_binaries
    check_user
    started="$(now)"
    log "starting PostgreSQL $("$BIN_DIR/postgres" -V | awk '{print $3}') on $HOST:$PORT (run dir $RUN_DIR)"
    init_cluster
    start_server
    ensure_role_and_db
    wait_ready
    log "PostgreSQL ready (pid $(running_pid)) after $(elapsed "$started") s"
    printf '%s\n' "$URL"
}

cmd_start() {
    if [[ -n "${AIRWARN_TEST_POSTGRES_URL:-}" ]]; then
        if probe "$AIRWARN_TEST_POSTGRES_URL" 5; then
            log "using the server at AIRWARN_TEST_POSTGRES_URL"
            printf '%s\n' "$AIRWARN_TEST_POSTGRES_URL"
            return 0
        fi
        log "AIRWARN_TEST_POSTGRES_URL does not answer; starting a local server"
    fi
    with_lock start_locked
}

stop_locked() {
    if ! is_running; then
        log "no PostgreSQL started by this script is running"
        return 0
    fi
    check_owner
    log "stopping PostgreSQL (pid $(running_pid))"
    if ! as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t "$STOP_TIMEOUT" >&2; then
        log "fast shutdown did not finish in ${STOP_TIMEOUT}s; trying immediate"
        as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m immediate -w >&2 ||
            die "could not stop PostgreSQL (pid $(running_pid))"
    fi
}

cmd_stop() {
    # Never touches AIRWARN_TEST_POSTGRES_URL's server: only our run dir's.
    [[ -d "$RUN_DIR" ]] || {
        log "no PostgreSQL started by this script is running"
        return 0
    }
    with_lock stop_locked
}

restart_locked() {
    local started mode=fast port
    [[ "${1:-}" == --hard ]] && mode=immediate
    check_user
    check_owner
    [[ -f "$DATA_DIR/PG_VERSION" ]] || die "no cluster in $DATA_DIR to restart; run 'postgres.sh start' first"
    locate_binaries || die "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"
    started="$(now)"
    if is_running; then
        port="$(running_port)"
        [[ "$port" == "$PORT" ]] ||
            die "the running cluster (pid $(running_pid)) listens on port $port, not $PORT; set AIRWARN_PG_PORT to its port"
        log "stopping PostgreSQL (pid $(running_pid), $mode shutdown); keeping $DATA_DIR"
        as_pg "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m "$mode" -w -t "$STOP_TIMEOUT" >&2 ||
            die "could not stop PostgreSQL (pid $(running_pid))"
    else
        log "no PostgreSQL of $RUN_DIR running; starting it on its data"
    fi
    start_server
    wait_ready
    log "PostgreSQL ready again (pid $(running_pid)) after $(elapsed "$started") s"
    printf '%s\n' "$URL"
}

cmd_restart() {
    case "${1:-}" in
    "" | --hard) ;;
    *) die "restart takes only --hard, not '$1'" ;;
    esac
    with_lock restart_locked "${1:-}"
}

cmd_status() {
    if [[ -n "${AIRWARN_TEST_POSTGRES_URL:-}" ]] && probe "$AIRWARN_TEST_POSTGRES_URL" 3; then
        printf '%s\n' "$AIRWARN_TEST_POSTGRES_URL"
        return 0
    fi
    if is_running && probe "$URL" 3; then
        log "PostgreSQL running (pid $(running_pid))"
        printf '%s\n' "$URL"
        return 0
    fi
    log "no PostgreSQL answering"
    return 1
}

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

main() {
    case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart "${2:-}" ;;
    status) cmd_status ;;
    url) printf '%s\n' "$URL" ;;
    logs) show_logs "${2:-80}" ;;
    -h | --help | help) usage ;;
    *)
        usage
        exit 2
        ;;
    esac
}

main "$@"
