#!/usr/bin/env bash
# A local Redis without Docker: Debian's redis-server on 127.0.0.1, no persistence.
#
#   deploy/local/redis.sh start    start and wait until it answers PING
#   deploy/local/redis.sh stop     SIGTERM, SIGKILL after a grace period; removes an ephemeral data dir
#   deploy/local/redis.sh status   exit 0 when running, 3 when not
#
# Idempotent like kafka.sh. Environment (defaults in brackets):
#   REDIS_PORT [6379]  REDIS_DATA_DIR [deploy/local/.run/redis-$REDIS_PORT]  pid file, log, working dir
#   REDIS_EPHEMERAL [0]  1: stop deletes REDIS_DATA_DIR   REDIS_START_TIMEOUT [30] s  REDIS_STOP_GRACE [10] s
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_DATA_DIR="${REDIS_DATA_DIR:-$HERE/.run/redis-$REDIS_PORT}"
REDIS_EPHEMERAL="${REDIS_EPHEMERAL:-0}"
REDIS_START_TIMEOUT="${REDIS_START_TIMEOUT:-30}"
REDIS_STOP_GRACE="${REDIS_STOP_GRACE:-10}"
PID_FILE="$REDIS_DATA_DIR/redis.pid"
LOG_FILE="$REDIS_DATA_DIR/redis.log"
EPHEMERAL_MARKER="$REDIS_DATA_DIR/.remove-on-stop"

say() { echo "redis.sh: $*"; }
# Exit codes: 1 start/stop failed, 4 a required tool is missing, 5 a port is taken (callers may retry).
die() { echo "redis.sh: error: $*" >&2; exit 1; }
die_missing() { echo "redis.sh: error: $*" >&2; exit 4; }
die_port() { echo "redis.sh: error: $*" >&2; exit 5; }

redis_bin() {
  local bin
  bin="$(command -v redis-server 2>/dev/null || true)"
  [[ -n "$bin" ]] || { [[ -x /usr/bin/redis-server ]] && bin=/usr/bin/redis-server; }
  [[ -n "$bin" ]] || die_missing "redis-server not found. Install it (Debian: apt-get install redis-server) or point REDIS_URL at an existing Redis."
  echo "$bin"
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "redis-server.*127.0.0.1:$REDIS_PORT" || return 1
  fi
  echo "$pid"
}

# Alive = exists and is not a zombie: a server started by an earlier invocation of this script is
# reparented to init, which may reap it late; a zombie holds no port and no files.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)"
  [[ "$state" != "Z" ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PING over bash's /dev/tcp, so redis-cli is not needed.
# A subshell, so the descriptor and the silenced connect error stay local.
ping_ok() (
  local reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT"; } 2>/dev/null || exit 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 2 reply <&3 || true
  [[ "$reply" == "+PONG"* ]]
)

start() {
  local pid bin
  if pid="$(running_pid)"; then
    say "already running (pid $pid) on 127.0.0.1:$REDIS_PORT"
    result_lines
    return 0
  fi
  rm -f "$PID_FILE"
  bin="$(redis_bin)"
  if port_open "$REDIS_PORT"; then die_port "127.0.0.1:$REDIS_PORT is already in use by another process; set REDIS_PORT"; fi
  mkdir -p "$REDIS_DATA_DIR"
  if [[ "$REDIS_EPHEMERAL" == "1" ]]; then touch "$EPHEMERAL_MARKER"; fi
  : >"$LOG_FILE"
  # No persistence (tests and development), loopback only, no daemonize so $! is the server's pid.
  setsid "$bin" --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$REDIS_DATA_DIR" --logfile "$LOG_FILE" --protected-mode yes --daemonize no \
    </dev/null >/dev/null 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local started_at=$SECONDS
  until ping_ok; do
    if ! alive "$pid"; then
      rm -f "$PID_FILE"; tail -n 20 "$LOG_FILE" >&2 || true
      if grep -q "Address already in use" "$LOG_FILE"; then die_port "redis-server could not bind 127.0.0.1:$REDIS_PORT (address already in use)"; fi
      die "redis-server exited during start-up (log above)"
    fi
    if (( SECONDS - started_at >= REDIS_START_TIMEOUT )); then
      kill -KILL "$pid" 2>/dev/null || true; rm -f "$PID_FILE"
      die "redis-server did not answer PING within ${REDIS_START_TIMEOUT}s"
    fi
    sleep 0.05
  done
  say "redis-server $(server_version) (pid $pid) answering PING on 127.0.0.1:$REDIS_PORT, no persistence, dir $REDIS_DATA_DIR"
  result_lines
}

# The version the running server reports in its log, not the one on PATH.
server_version() {
  local v
  v="$(sed -n 's/.*Redis version=\([^,]*\),.*/\1/p' "$LOG_FILE" 2>/dev/null | head -n1)"
  echo "${v:-unknown}"
}

# The last lines of `start` are KEY=value for callers (shared/infra).
result_lines() {
  echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  echo "REDIS_VERSION=$(server_version)"
  echo "REDIS_PID=$(cat "$PID_FILE" 2>/dev/null || true)"
  echo "REDIS_LOG=$LOG_FILE"
}

stop() {
  local pid waited=0
  if pid="$(running_pid)"; then
    say "stopping redis-server pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid"; do
      if (( waited >= REDIS_STOP_GRACE * 10 )); then
        say "pid $pid still alive after ${REDIS_STOP_GRACE}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1; waited=$((waited + 1))
    done
    while alive "$pid"; do sleep 0.05; done
  else
    say "not running"
  fi
  rm -f "$PID_FILE"
  if [[ -f "$EPHEMERAL_MARKER" ]]; then
    rm -rf "$REDIS_DATA_DIR"
    say "removed ephemeral data dir $REDIS_DATA_DIR"
  fi
}

status() {
  local pid
  if pid="$(running_pid)"; then say "running (pid $pid) on 127.0.0.1:$REDIS_PORT"; return 0; fi
  say "not running"; return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status   (environment: see the top of this file)" >&2; exit 2 ;;
esac
