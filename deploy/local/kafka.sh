#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft, broker+controller) on
# loopback, with jars fetched from Maven Central by mvn. No Docker needed.
#
#   kafka.sh fetch    copy the broker jars into the cache (once)
#   kafka.sh start    start a broker (or reuse one), print its bootstrap address
#                     as the last line of stdout
#   kafka.sh stop     stop the broker this script started (no-op otherwise)
#   kafka.sh restart [--hard]
#                     stop the broker this script started (SIGTERM, or SIGKILL with
#                     --hard, as a crash would) and start it again on the same port
#                     with the same data: topics, messages and committed offsets
#                     survive; prints its bootstrap address
#   kafka.sh status   exit 0 when the broker answers; prints its address
#   kafka.sh logs     print the tail of the broker log
#
# Environment:
#   AIRWARN_KAFKA_BOOTSTRAP        use this broker if it answers; start nothing
#   AIRWARN_KAFKA_VERSION          org.apache.kafka:kafka_2.13 version (4.4.0)
#   AIRWARN_CACHE_DIR              jar cache (${XDG_CACHE_HOME:-~/.cache}/airwarn)
#   AIRWARN_KAFKA_DIR              run dir: pid, config, data, logs (<repo>/var/kafka)
#   AIRWARN_KAFKA_PORT             client port (19092)
#   AIRWARN_KAFKA_CONTROLLER_PORT  controller port (client port + 1)
#   AIRWARN_KAFKA_START_TIMEOUT    seconds to wait for metadata (90)
#   AIRWARN_KAFKA_HEAP_OPTS        JVM heap options (-Xmx512m -Xms256m)
#   PYTHON                         python for the probe (<repo>/.venv/bin/python)
#   JAVA_HOME / JAVA               java to run (java on PATH)
#   MVN                            maven to run (mvn)
#
# All messages go to stderr; stdout carries only the bootstrap address.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/../.." && pwd -P)"
CONF_DIR="$SCRIPT_DIR/kafka"

KAFKA_VERSION="${AIRWARN_KAFKA_VERSION:-4.4.0}"
CACHE_ROOT="${AIRWARN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/airwarn}"
DIST_DIR="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS_DIR="$DIST_DIR/libs"
FETCH_MARKER="$DIST_DIR/fetch.ok"

RUN_DIR="${AIRWARN_KAFKA_DIR:-$REPO_ROOT/var/kafka}"
PID_FILE="$RUN_DIR/kafka.pid"
DATA_DIR="$RUN_DIR/data"
SERVER_PROPS="$RUN_DIR/server.properties"
BROKER_LOG="$RUN_DIR/broker.log"
BROKER_OUT="$RUN_DIR/kafka.out"

HOST=127.0.0.1
PORT="${AIRWARN_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${AIRWARN_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
BOOTSTRAP="$HOST:$PORT"
START_TIMEOUT="${AIRWARN_KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT=30

PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
if [[ -n "${JAVA:-}" ]]; then
    :
elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
else
    JAVA=java
fi
MVN="${MVN:-mvn}"
# Word splitting of the heap options is intended.
read -r -a HEAP_OPTS <<<"${AIRWARN_KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- probe -----------------------------------------------------------------

# probe BOOTSTRAP [TIMEOUT]: 0 when the broker serves metadata.
probe() {
    PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" \
        "$PYTHON" -m shared.bus.probe "$1" --timeout "${2:-5}"
}

port_in_use() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# --- fetch -----------------------------------------------------------------

fetch_done() {
    [[ -f "$FETCH_MARKER" && -d "$LIBS_DIR" ]]
}

storage_tool_class() {
    sed -n 's/^storage_tool=//p' "$FETCH_MARKER"
}

list_jar() {
    if command -v unzip >/dev/null 2>&1; then
        unzip -Z1 "$1"
    else
        jar tf "$1"
    fi
}

# Find the StorageTool class in the fetched jars; it has moved between versions.
find_storage_tool() {
    local jar cls
    for cls in kafka/tools/StorageTool.class org/apache/kafka/tools/StorageTool.class \
        org/apache/kafka/storage/StorageTool.class; do
        for jar in "$1"/kafka*.jar; do
            # grep without -q reads all input: no SIGPIPE under pipefail.
            if list_jar "$jar" 2>/dev/null | grep -x "$cls" >/dev/null; then
                cls="${cls%.class}"
                printf '%s\n' "${cls//\//.}"
                return 0
            fi
        done
    done
    return 1
}

do_fetch_locked() {
    fetch_done && return 0
    local tmp="$DIST_DIR/libs.tmp.$$" started=$SECONDS storage_tool
    rm -rf "$tmp"
    log "fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION with mvn into $LIBS_DIR"
    # mvn writes errors to stdout (stdout is for the address only), and -q still
    # prints colour resets: keep its output in a file, show it on failure.
    if ! "$MVN" -q -B -Dstyle.color=never -f "$CONF_DIR/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime \
        -Dkafka.version="$KAFKA_VERSION" >"$DIST_DIR/mvn.log" 2>&1; then
        cat "$DIST_DIR/mvn.log" >&2
        rm -rf "$tmp"
        die "mvn could not fetch kafka_2.13:$KAFKA_VERSION (is Maven Central reachable?)"
    fi
    [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || {
        rm -rf "$tmp"
        die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"
    }
    if ls "$tmp"/slf4j-api-2.* >/dev/null 2>&1 && ! ls "$tmp"/log4j-slf4j2-impl-* >/dev/null 2>&1; then
        log "warning: slf4j-api 2.x resolved; use log4j-slf4j2-impl in $CONF_DIR/pom.xml"
    fi
    storage_tool="$(find_storage_tool "$tmp")" || {
        rm -rf "$tmp"
        die "no StorageTool class found in the kafka jars"
    }
    rm -rf "$LIBS_DIR"
    mv "$tmp" "$LIBS_DIR"
    printf 'version=%s\nstorage_tool=%s\n' "$KAFKA_VERSION" "$storage_tool" >"$FETCH_MARKER"
    log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - started)) s"
}

cmd_fetch() {
    fetch_done && return 0
    mkdir -p "$DIST_DIR"
    if command -v flock >/dev/null 2>&1; then
        # Serialise concurrent fetches (parallel CI jobs share the cache).
        (
            flock 9
            do_fetch_locked
        ) 9>"$DIST_DIR/.lock"
    else
        do_fetch_locked
    fi
}

# --- our broker ------------------------------------------------------------

read_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(<"$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$pid"
}

# is_ours PID: the process is alive and is the broker of this run dir.
is_ours() {
    kill -0 "$1" 2>/dev/null || return 1
    if [[ -r "/proc/$1/cmdline" ]]; then
        local cmdline
        cmdline="$(tr '\0' ' ' <"/proc/$1/cmdline")"
        [[ "$cmdline" == *kafka.Kafka* && "$cmdline" == *"$SERVER_PROPS"* ]]
    else
        ps -p "$1" -o args= 2>/dev/null | grep -q 'kafka\.Kafka'
    fi
}

# our_pid: print the pid of our running broker; drop a stale pid file.
our_pid() {
    local pid
    pid="$(read_pid)" || return 1
    if is_ours "$pid"; then
        printf '%s\n' "$pid"
        return 0
    fi
    log "removing stale pid file (pid $pid is not our broker)"
    rm -f "$PID_FILE"
    return 1
}

show_logs() {
    local f
    for f in "$RUN_DIR/format.log" "$BROKER_OUT" "$BROKER_LOG"; do
        [[ -s "$f" ]] || continue
        printf -- '----- %s (tail) -----\n' "$f" >&2
        tail -n "${1:-40}" "$f" >&2
    done
}

render_config() {
    local esc_data
    esc_data="$(printf '%s' "$DATA_DIR" | sed 's/[\\&|]/\\&/g')"
    sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
        -e "s|@DATA_DIR@|$esc_data|g" "$CONF_DIR/server.properties.in" >"$SERVER_PROPS"
}

java_opts() {
    JAVA_OPTS=(
        "${HEAP_OPTS[@]}"
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError
        -Djava.awt.headless=true
        -Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties"
        -Dkafka.logs.dir="$RUN_DIR"
        -cp "$LIBS_DIR/*"
    )
}

# A Kafka Uuid as a string: 16 random bytes, URL-safe base64 without padding,
# not starting with '-' (which the CLI would read as an option).
new_cluster_id() {
    "$PYTHON" - <<'EOF'
import base64
import uuid

while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break
EOF
}

format_storage() {
    local storage_tool cluster_id
    storage_tool="$(storage_tool_class)"
    cluster_id="$(new_cluster_id)"
    if ! "$JAVA" "${JAVA_OPTS[@]}" "$storage_tool" format -t "$cluster_id" \
        -c "$SERVER_PROPS" --ignore-formatted >"$RUN_DIR/format.log" 2>&1; then
        show_logs
        die "formatting storage with $storage_tool failed"
    fi
}

launch() {
    local setsid_cmd=() i
    # New session: the broker outlives the caller's terminal and process group.
    command -v setsid >/dev/null 2>&1 && setsid_cmd=(setsid)
    rm -f "$PID_FILE.new"
    # The inner shell records its own pid, then execs java under that pid.
    nohup "${setsid_cmd[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE.new" \
        "$JAVA" "${JAVA_OPTS[@]}" kafka.Kafka "$SERVER_PROPS" \
        >"$BROKER_OUT" 2>&1 </dev/null &
    for ((i = 0; i < 100; i++)); do
        [[ -s "$PID_FILE.new" ]] && break
        sleep 0.05
    done
    [[ -s "$PID_FILE.new" ]] || die "broker process did not start"
    mv "$PID_FILE.new" "$PID_FILE"
}

wait_ready() {
    local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            show_logs
            rm -f "$PID_FILE"
            die "broker exited during startup"
        fi
        probe "$BOOTSTRAP" 2 && return 0
        sleep 0.2
    done
    show_logs
    log "broker did not serve metadata within ${START_TIMEOUT}s; stopping it"
    stop_pid "$pid"
    rm -f "$PID_FILE"
    exit 1
}

stop_pid() {
    local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log "broker $pid still running after ${STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
}

# --- commands --------------------------------------------------------------

cmd_start() {
    local pid started
    if [[ -n "${AIRWARN_KAFKA_BOOTSTRAP:-}" ]]; then
        if probe "$AIRWARN_KAFKA_BOOTSTRAP" 5; then
            log "using the broker at $AIRWARN_KAFKA_BOOTSTRAP"
            printf '%s\n' "$AIRWARN_KAFKA_BOOTSTRAP"
            return 0
        fi
        log "AIRWARN_KAFKA_BOOTSTRAP=$AIRWARN_KAFKA_BOOTSTRAP does not answer; starting a local broker"
    fi

    if pid="$(our_pid)"; then
        log "broker already running (pid $pid)"
        grep -qx "advertised.listeners=PLAINTEXT://$BOOTSTRAP" "$SERVER_PROPS" ||
            die "the running broker (pid $pid) does not listen on $BOOTSTRAP; run 'kafka.sh stop' with its settings first"
        wait_ready "$pid"
        printf '%s\n' "$BOOTSTRAP"
        return 0
    fi

    local p
    for p in "$PORT" "$CONTROLLER_PORT"; do
        if port_in_use "$p"; then
            die "port $HOST:$p is already in use by another process; set AIRWARN_KAFKA_BOOTSTRAP to use that broker or AIRWARN_KAFKA_PORT to pick another port"
        fi
    done

    cmd_fetch
    started=$SECONDS
    # Never wipe data: a broker started again keeps its topics, messages and offsets.
    # Storage is formatted only when it never was (no meta.properties yet).
    rm -f "$SERVER_PROPS" "$RUN_DIR/format.log"
    mkdir -p "$RUN_DIR" "$DATA_DIR"
    render_config
    java_opts
    if [[ -f "$DATA_DIR/meta.properties" ]]; then
        log "keeping the existing data in $DATA_DIR"
    else
        format_storage
    fi
    log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (run dir $RUN_DIR)"
    launch
    pid="$(<"$PID_FILE")"
    wait_ready "$pid"
    log "broker ready (pid $pid) after $((SECONDS - started)) s"
    printf '%s\n' "$BOOTSTRAP"
}

cmd_stop() {
    local pid
    if ! pid="$(our_pid)"; then
        log "no broker started by this script is running"
        return 0
    fi
    log "stopping broker (pid $pid)"
    stop_pid "$pid"
    rm -f "$PID_FILE"
}

# The same broker again: same config, same data dir, no new cluster id.
cmd_restart() {
    local pid started i
    case "${1:-}" in
    "" | --hard) ;;
    *) die "restart takes only --hard, not '$1'" ;;
    esac
    [[ -f "$SERVER_PROPS" && -d "$DATA_DIR" ]] ||
        die "no broker data in $RUN_DIR to restart; run 'kafka.sh start' first"
    grep -qx "advertised.listeners=PLAINTEXT://$BOOTSTRAP" "$SERVER_PROPS" ||
        die "the broker of $RUN_DIR does not listen on $BOOTSTRAP; set AIRWARN_KAFKA_PORT to its port"
    fetch_done || die "no broker jars in $LIBS_DIR; run 'kafka.sh fetch' first"
    started=$SECONDS
    if pid="$(our_pid)"; then
        if [[ "${1:-}" == --hard ]]; then
            log "killing broker (pid $pid) with SIGKILL; keeping $DATA_DIR"
            kill -KILL "$pid" 2>/dev/null || true
            while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
        else
            log "stopping broker (pid $pid); keeping $DATA_DIR"
            stop_pid "$pid"
        fi
        rm -f "$PID_FILE"
    else
        log "no broker of $RUN_DIR running; starting it on its data"
    fi
    for ((i = 0; i < 200; i++)); do
        port_in_use "$PORT" || port_in_use "$CONTROLLER_PORT" || break
        sleep 0.1
    done
    port_in_use "$PORT" && die "port $HOST:$PORT is still in use after the broker stopped"
    java_opts
    launch
    pid="$(<"$PID_FILE")"
    wait_ready "$pid"
    log "broker ready again (pid $pid) after $((SECONDS - started)) s"
    printf '%s\n' "$BOOTSTRAP"
}

cmd_status() {
    local pid
    if [[ -n "${AIRWARN_KAFKA_BOOTSTRAP:-}" ]] && probe "$AIRWARN_KAFKA_BOOTSTRAP" 3; then
        printf '%s\n' "$AIRWARN_KAFKA_BOOTSTRAP"
        return 0
    fi
    if pid="$(our_pid)" && probe "$BOOTSTRAP" 3; then
        log "broker running (pid $pid)"
        printf '%s\n' "$BOOTSTRAP"
        return 0
    fi
    log "no broker answering"
    return 1
}

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

main() {
    case "${1:-}" in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart "${2:-}" ;;
    status) cmd_status ;;
    logs) show_logs "${2:-80}" ;;
    -h | --help | help) usage ;;
    *)
        usage
        exit 2
        ;;
    esac
}

main "$@"
