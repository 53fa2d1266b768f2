#!/usr/bin/env bash
# A local Apache Kafka broker without Docker: one KRaft node that is both broker and controller,
# bound to 127.0.0.1, run from the broker jars fetched from Maven Central (see pom.xml).
#
#   deploy/local/kafka.sh start    fetch jars (once), format storage (once), start, wait until it serves
#   deploy/local/kafka.sh stop     SIGTERM, SIGKILL after a grace period; removes an ephemeral data dir
#   deploy/local/kafka.sh status   exit 0 when running, 3 when not
#   deploy/local/kafka.sh fetch    only fetch the jars into the cache
#
# Every command is idempotent: start on a running broker prints its address and succeeds; stop on a
# stopped one succeeds. Environment (defaults in brackets):
#   KAFKA_VERSION [3.9.1]  KAFKA_PORT [9092]  KAFKA_CONTROLLER_PORT [9093]
#   KAFKA_DATA_DIR [deploy/local/.run/kafka-$KAFKA_PORT]  config, pid file, logs and data of this broker
#   KAFKA_EPHEMERAL [0]     1: stop deletes KAFKA_DATA_DIR (tests use a temp dir)
#   KAFKA_CACHE_DIR [deploy/local/.cache]  jars go to $KAFKA_CACHE_DIR/kafka-$KAFKA_VERSION/libs
#   KAFKA_HEAP_OPTS [-Xms256m -Xmx768m]  KAFKA_START_TIMEOUT [120] s  KAFKA_STOP_GRACE [30] s
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$HERE/.run/kafka-$KAFKA_PORT}"
KAFKA_EPHEMERAL="${KAFKA_EPHEMERAL:-0}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-$HERE/.cache}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_STOP_GRACE="${KAFKA_STOP_GRACE:-30}"

LIBS="$KAFKA_CACHE_DIR/kafka-$KAFKA_VERSION/libs"
PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
CONFIG="$KAFKA_DATA_DIR/server.properties"
LOG4J="$KAFKA_DATA_DIR/log4j.properties"
LOG_DIR="$KAFKA_DATA_DIR/logs"
SERVER_LOG="$LOG_DIR/server.log"
LOG_DIRS="$KAFKA_DATA_DIR/data"
EPHEMERAL_MARKER="$KAFKA_DATA_DIR/.remove-on-stop"
# 16 MiB: room for the 8 MiB LIDAR sweeps of the design plus record batch overhead.
MAX_BYTES=16777216

say() { echo "kafka.sh: $*"; }
# Exit codes: 1 start/stop failed, 4 a required tool is missing, 5 a port is taken (callers may retry).
die() { echo "kafka.sh: error: $*" >&2; exit 1; }
die_missing() { echo "kafka.sh: error: $*" >&2; exit 4; }
die_port() { echo "kafka.sh: error: $*" >&2; exit 5; }

JAVA_MAJOR=0
JAVA_ID=""
require_java() {
  command -v java >/dev/null 2>&1 || die_missing "java not found on PATH. Kafka $KAFKA_VERSION needs a JDK/JRE 17 (Debian: apt-get install openjdk-17-jre-headless)."
  local settings spec
  settings="$(java -XshowSettings:properties -version 2>&1)"
  spec="$(sed -n 's/^ *java\.specification\.version = //p' <<<"$settings" | head -n1)"
  JAVA_MAJOR="${spec#1.}"; JAVA_MAJOR="${JAVA_MAJOR%%.*}"
  [[ "$JAVA_MAJOR" =~ ^[0-9]+$ ]] || JAVA_MAJOR=0
  if [[ "$JAVA_MAJOR" -gt 0 && "$JAVA_MAJOR" -lt 11 ]]; then
    die_missing "java $spec found, Kafka $KAFKA_VERSION needs Java 11 or newer (17 recommended)."
  fi
  # Identifies the exact JVM build, for the class-data-sharing archive below.
  JAVA_ID="$(grep -E '^ *java\.(vm\.version|home) = ' <<<"$settings" | tr -d ' ' | tr '\n' '|')"
}

# Fetch the broker jars once. Concurrent callers (parallel test runs) serialise on a lock, and the
# jars land in a temp dir that is renamed into place, so a half-finished fetch is never used.
fetch() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || die_missing "mvn not found on PATH and the Kafka $KAFKA_VERSION jars are not cached in $LIBS. Install Maven (Debian: apt-get install maven) or point KAFKA_BROKERS at an existing broker."
  mkdir -p "$KAFKA_CACHE_DIR"
  local lock="$KAFKA_CACHE_DIR/.fetch.lock"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$lock"
    flock 9
  fi
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  local tmp="$KAFKA_CACHE_DIR/.kafka-$KAFKA_VERSION.$$.tmp"
  rm -rf "$tmp"
  say "fetching Apache Kafka $KAFKA_VERSION broker jars from Maven Central into $LIBS"
  mkdir -p "$tmp"
  if ! mvn -B -Dstyle.color=never -f "$HERE/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1; then
    grep -E 'ERROR|Could not' "$tmp/mvn.log" | head -n 20 >&2 || tail -n 20 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central (offline? proxy in ~/.m2/settings.xml? errors above)"
  fi
  [[ -f "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || { rm -rf "$tmp"; die "maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing in $tmp/libs"; }
  touch "$tmp/libs/.complete"
  rm -rf "$KAFKA_CACHE_DIR/kafka-$KAFKA_VERSION"
  mv "$tmp" "$KAFKA_CACHE_DIR/kafka-$KAFKA_VERSION"
  say "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars"
}

# The pid in the pid file, when that process is alive and is this broker (guards against pid reuse).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $CONFIG" || return 1
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

write_config() {
  mkdir -p "$LOG_DIR" "$LOG_DIRS"
  cat >"$CONFIG" <<EOF
# Written by deploy/local/kafka.sh: single-node KRaft, broker and controller in one process, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$LOG_DIRS

# One node: internal topics cannot have more than one replica.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
# Consumers in tests join immediately instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0

# Topics are created by the project with the admin client, never by a stray produce or fetch.
auto.create.topics.enable=false

# Records up to 16 MiB (8 MiB LIDAR sweeps with headroom).
message.max.bytes=$MAX_BYTES
replica.fetch.max.bytes=$MAX_BYTES
replica.fetch.response.max.bytes=$MAX_BYTES
socket.request.max.bytes=$((MAX_BYTES * 2))
fetch.max.bytes=$((MAX_BYTES * 4))

# Small footprint on a shared development machine.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=134217728
EOF
  cat >"$LOG4J" <<EOF
# Written by deploy/local/kafka.sh: everything to one file, INFO for the broker, WARN for the chatty parts.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$SERVER_LOG
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.raft=WARN
log4j.logger.org.apache.kafka.controller=WARN
log4j.logger.kafka.coordinator=WARN
log4j.logger.org.apache.kafka.coordinator=WARN
EOF
}

# A Kafka Uuid: 16 random bytes, URL-safe base64 without padding; like Uuid.randomUuid, never one
# that starts with '-' (it would read as a command-line option).
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* && "$id" != "AAAAAAAAAAAAAAAAAAAAAA" && "$id" != "AAAAAAAAAAAAAAAAAAAAAQ" ]] && break
  done
  echo "$id"
}

format_storage() {
  if [[ -f "$LOG_DIRS/meta.properties" ]]; then return 0; fi
  local id
  id="$(random_cluster_id)"
  say "formatting KRaft storage in $LOG_DIRS (cluster id $id)"
  # A short-lived tool: C1 only and the serial collector cut its CPU time by about a third.
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$LIBS/*" -Dlog4j.configuration="file:$LOG4J" \
    kafka.tools.StorageTool format \
    -t "$id" -c "$CONFIG" >"$LOG_DIR/format.log" 2>&1 \
    || { cat "$LOG_DIR/format.log" >&2; die "formatting storage failed (log above)"; }
}

bootstrap() { echo "127.0.0.1:$KAFKA_PORT"; }

# Class-data sharing: the broker's first run (per JVM build and jar directory) dumps the classes it
# loaded into an archive when it stops; later starts map that archive instead of parsing and
# verifying ~5000 classes, which cuts start-up CPU by about a third. KAFKA_CDS=0 turns it off.
CDS_DUMP="$KAFKA_DATA_DIR/classes.jsa"
CDS_TARGET="$KAFKA_DATA_DIR/classes.jsa.target"
cds_options() {
  [[ "${KAFKA_CDS:-1}" == "1" && "$JAVA_MAJOR" -ge 13 ]] || return 0
  local archive
  archive="$KAFKA_CACHE_DIR/kafka-$KAFKA_VERSION/cds-$(printf '%s' "$LIBS|$JAVA_ID" | cksum | cut -d' ' -f1).jsa"
  rm -f "$CDS_DUMP" "$CDS_TARGET"
  if [[ -f "$archive" ]]; then
    cds_opts=(-XX:SharedArchiveFile="$archive" -Xshare:auto)
  else
    cds_opts=(-XX:ArchiveClassesAtExit="$CDS_DUMP")
    echo "$archive" >"$CDS_TARGET"
  fi
}

# After a clean exit (SIGTERM, not SIGKILL), move a freshly dumped archive into the jar cache.
harvest_cds_archive() {
  [[ -f "$CDS_DUMP" && -f "$CDS_TARGET" ]] || return 0
  local target
  target="$(cat "$CDS_TARGET")"
  if [[ ! -f "$target" ]] && cp "$CDS_DUMP" "$target.$$.tmp" 2>/dev/null; then
    mv -f "$target.$$.tmp" "$target"
    say "saved a class-data-sharing archive for faster starts: $target"
  fi
  rm -f "$CDS_DUMP" "$CDS_TARGET"
}

start() {
  local pid
  if pid="$(running_pid)"; then
    say "already running (pid $pid), bootstrap $(bootstrap)"
    bootstrap_line
    return 0
  fi
  rm -f "$PID_FILE"
  require_java
  fetch
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$port"; then die_port "127.0.0.1:$port is already in use by another process; set KAFKA_PORT / KAFKA_CONTROLLER_PORT"; fi
  done
  write_config
  if [[ "$KAFKA_EPHEMERAL" == "1" ]]; then touch "$EPHEMERAL_MARKER"; fi
  format_storage
  # A fresh log per start, so the readiness check cannot match a line from a previous run.
  if [[ -f "$SERVER_LOG" ]]; then mv -f "$SERVER_LOG" "$SERVER_LOG.previous"; fi
  : >"$SERVER_LOG"

  local cds_opts=()
  cds_options

  local started_at=$SECONDS
  # setsid: the broker must outlive this script and not receive the caller's terminal signals.
  # shellcheck disable=SC2086
  setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError "${cds_opts[@]}" \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$LOG4J" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$LIBS/*" kafka.Kafka "$CONFIG" </dev/null >"$LOG_DIR/stdout.log" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  say "starting Apache Kafka $KAFKA_VERSION (KRaft broker+controller, pid $pid) on 127.0.0.1:$KAFKA_PORT, controller 127.0.0.1:$KAFKA_CONTROLLER_PORT, data $KAFKA_DATA_DIR"

  while :; do
    if ! alive "$pid"; then
      rm -f "$PID_FILE"
      echo "---- $SERVER_LOG (tail)" >&2; tail -n 30 "$SERVER_LOG" >&2 || true
      echo "---- $LOG_DIR/stdout.log (tail)" >&2; tail -n 30 "$LOG_DIR/stdout.log" >&2 || true
      if grep -q "Address already in use" "$SERVER_LOG" "$LOG_DIR/stdout.log" 2>/dev/null; then
        die_port "the broker could not bind 127.0.0.1:$KAFKA_PORT or :$KAFKA_CONTROLLER_PORT (address already in use)"
      fi
      die "the broker exited during start-up (logs above)"
    fi
    if grep -q "Kafka Server started" "$SERVER_LOG" && port_open "$KAFKA_PORT"; then break; fi
    if (( SECONDS - started_at >= KAFKA_START_TIMEOUT )); then
      tail -n 30 "$SERVER_LOG" >&2 || true
      stop_pid "$pid" || true
      die "the broker did not serve within ${KAFKA_START_TIMEOUT}s (log tail above)"
    fi
    sleep 0.2
  done
  local version
  version="$(sed -n 's/.*Kafka version: \([^ ]*\).*/\1/p' "$SERVER_LOG" | head -n1)"
  say "Apache Kafka ${version:-?} serving on $(bootstrap) after $(( SECONDS - started_at ))s (log $SERVER_LOG)"
  bootstrap_line
}

# The last lines of `start` are KEY=value for callers (shared/infra): address, the version the
# running broker reports in its log (not the one asked for), pid and log file.
bootstrap_line() {
  local version pid
  version="$(sed -n 's/.*Kafka version: \([^ ]*\).*/\1/p' "$SERVER_LOG" 2>/dev/null | head -n1)"
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  echo "KAFKA_BROKERS=$(bootstrap)"
  echo "KAFKA_VERSION=${version:-unknown}"
  echo "KAFKA_PID=$pid"
  echo "KAFKA_LOG=$SERVER_LOG"
}

# Returns 1 when the broker had to be SIGKILLed (its exit-time work, like the CDS dump, is incomplete).
stop_pid() {
  local pid="$1" waited=0 killed=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while alive "$pid"; do
    if (( waited >= KAFKA_STOP_GRACE * 5 )); then
      say "pid $pid still alive after ${KAFKA_STOP_GRACE}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      killed=1
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  # Wait for the kernel to reap it so the ports are free when we return.
  while alive "$pid"; do sleep 0.1; done
  return "$killed"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    say "stopping broker pid $pid"
    if stop_pid "$pid"; then harvest_cds_archive; fi
  else
    say "not running"
  fi
  rm -f "$PID_FILE" "$CDS_DUMP" "$CDS_TARGET"
  if [[ -f "$EPHEMERAL_MARKER" ]]; then
    rm -rf "$KAFKA_DATA_DIR"
    say "removed ephemeral data dir $KAFKA_DATA_DIR"
  fi
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "$KAFKA_PORT"; then
      say "running (pid $pid), bootstrap $(bootstrap)"
    else
      say "running (pid $pid) but 127.0.0.1:$KAFKA_PORT is not accepting connections yet"
    fi
    return 0
  fi
  say "not running"
  return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) require_java; fetch; say "jars cached in $LIBS" ;;
  *) echo "usage: $0 start|stop|status|fetch   (environment: see the top of this file)" >&2; exit 2 ;;
esac
