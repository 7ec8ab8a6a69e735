#!/usr/bin/env bash
# Start or stop the local AWS emulators used by strata's tests and demo.
#   scripts/emulators.sh up       install what is missing or broken, start both, wait until healthy (idempotent)
#   scripts/emulators.sh down     stop exactly what `up` started and wait until its ports are free
#   scripts/emulators.sh status
#   scripts/emulators.sh install [moto] [localstack]   install (or repair) only
# LocalStack community 4.9.2 listens on 127.0.0.1:4566, moto server 5.2.5 on 127.0.0.1:5000.
#
# Each emulator gets a venv of its own in .emulators/ (git-ignored), made with
# `python3 -m venv` and filled by that venv's own pip from the pinned, hashed
# files in scripts/emulators/ (nothing is installed into any other Python, and
# nothing but Python 3.11+ with pip and venv is needed). A venv counts as
# installed only once its packages import and its stamp (the lock file's hash)
# is written, so an interrupted install is made again, not trusted.
#
# Each emulator runs in a session of its own; its own pid (written by the child
# just before it execs the emulator) and start time are kept in a pid file, and
# `down` stops only a process whose pid, start time and command line match.
#
# Settings (for the script's own test and for private runs):
#   STRATA_PYTHON               the interpreter that makes the venvs (default python3)
#   STRATA_EMULATORS_DIR        where the venvs live (default .emulators)
#   STRATA_EMULATORS_RUN_DIR    pid files, logs, LocalStack's volume (default: STRATA_EMULATORS_DIR)
#   STRATA_MOTO_PORT, STRATA_LOCALSTACK_PORT   (default 5000, 4566)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$root/scripts/emulators"
venvs="${STRATA_EMULATORS_DIR:-$root/.emulators}"
run="${STRATA_EMULATORS_RUN_DIR:-$venvs}"
PYTHON="${STRATA_PYTHON:-python3}"
MOTO_PORT="${STRATA_MOTO_PORT:-5000}"
LOCALSTACK_PORT="${STRATA_LOCALSTACK_PORT:-4566}"
mkdir -p "$venvs" "$run"
venvs="$(cd "$venvs" && pwd)"; run="$(cd "$run" && pwd)"

proc() { "$PYTHON" "$here/proc.py" "$@"; }

module_of() { case $1 in moto) echo moto ;; localstack) echo localstack ;; esac; }
port_of() { case $1 in moto) echo "$MOTO_PORT" ;; localstack) echo "$LOCALSTACK_PORT" ;; esac; }
health_url() {
  case $1 in
    moto) echo "http://127.0.0.1:$MOTO_PORT/moto-api/" ;;
    localstack) echo "http://127.0.0.1:$LOCALSTACK_PORT/_localstack/health" ;;
  esac
}
# What the emulator's command line contains (checked before `down` kills a pid).
cmd_mark() { case $1 in moto) echo "moto_server.py -H 127.0.0.1 -p $MOTO_PORT" ;; localstack) echo "localstack.runtime.main" ;; esac; }

check_python() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found: the emulators need Python 3.11 or newer with pip and venv (see README, Prerequisites)" >&2
    exit 1
  fi
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: the emulators need Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    exit 1
  fi
  if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
    echo "error: $PYTHON cannot make venvs (no venv/ensurepip module; on Debian or Ubuntu: apt install python3-venv)" >&2
    exit 1
  fi
}

# The stamp an installed venv carries: the lock file's hash and the interpreter's version.
stamp_of() {
  "$PYTHON" - "$here/$1.txt" <<'PY'
import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest(), sys.version.split()[0])
PY
}

installed() {
  local v="$venvs/$1"
  [ -f "$v/.strata-installed" ] && [ "$(cat "$v/.strata-installed")" = "$(stamp_of "$1")" ] \
    && "$v/bin/python" -c "import $(module_of "$1")" 2>/dev/null
}

install_one() {
  local name=$1 v="$venvs/$1" log="$venvs/$1-install.log"
  if installed "$name"; then return 0; fi
  if [ -e "$v" ]; then
    echo "$name: $v is incomplete or out of date (an interrupted or older install): making it again"
    rm -rf "$v"
  fi
  echo "$name: installing into $v (pip, the pinned versions of scripts/emulators/$name.txt; a minute or two)"
  if ! "$PYTHON" -m venv "$v" >"$log" 2>&1; then
    echo "error: $PYTHON -m venv $v failed (log: $log):" >&2; tail -n 20 "$log" >&2; return 1
  fi
  if ! "$v/bin/python" -m pip install --disable-pip-version-check --no-input --require-hashes --no-deps \
      -r "$here/$name.txt" >>"$log" 2>&1; then
    echo "error: pip could not install $name into $v (log: $log):" >&2; tail -n 20 "$log" >&2; return 1
  fi
  if ! "$v/bin/python" -c "import $(module_of "$name")" >>"$log" 2>&1; then
    echo "error: the venv $v does not import $(module_of "$name") after installing (log: $log):" >&2
    tail -n 20 "$log" >&2; return 1
  fi
  stamp_of "$name" >"$v/.strata-installed"
  echo "$name: installed"
}

install() {
  check_python
  local names=("$@") pids=() failed=0
  [ ${#names[@]} -gt 0 ] || names=(moto localstack)
  # In parallel: both are network-bound.
  for n in "${names[@]}"; do install_one "$n" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  return $failed
}

# The pid of the emulator this script started, if that process is still it.
our_pid() {
  local name=$1 pidfile="$run/$1.pid" pid start
  [ -f "$pidfile" ] || return 1
  read -r pid start <"$pidfile" || return 1
  [ -n "${pid:-}" ] && [ -n "${start:-}" ] || return 1
  [ "$(proc start-time "$pid" 2>/dev/null)" = "$start" ] || return 1
  case "$(proc describe "$pid")" in *"$(cmd_mark "$name")"*) echo "$pid" ;; *) return 1 ;; esac
}

holders() { proc listeners "$1" 2>/dev/null | while read -r p; do if [ "$p" = "?" ]; then echo "?: (a process this user cannot see)"; else proc describe "$p"; fi; done; }

launch() {
  local name=$1 pidfile="$run/$1.pid" log="$run/$1.log"
  shift
  rm -f "$pidfile" "$pidfile.child"
  # setsid: a session (and process group) of its own, so that `down` can stop the
  # emulator and anything it starts. setsid may fork, so the child writes its own
  # pid just before it execs the emulator: that pid is the emulator's.
  # It also closes every inherited descriptor above 2 (a caller's pipe held open
  # by the emulator would keep that caller waiting for an end of file forever).
  # The whole subshell's output goes to the log: nothing left behind holds the caller's.
  (cd "$run" && exec nohup setsid bash -c '
    for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    echo "$$" >"$0"; exec "$@"' "$pidfile.child" "$@") >"$log" 2>&1 </dev/null &
  local pid=""
  for _ in $(seq 1 100); do
    [ -s "$pidfile.child" ] && pid=$(cat "$pidfile.child") && [ -n "$pid" ] && break
    sleep 0.1
  done
  if [ -z "$pid" ]; then echo "error: $name did not start (log: $log)" >&2; return 1; fi
  echo "$pid $(proc start-time "$pid")" >"$pidfile"
  rm -f "$pidfile.child"
}

start_one() {
  local name=$1 port url pid
  port=$(port_of "$name"); url=$(health_url "$name")
  if pid=$(our_pid "$name"); then
    echo "$name already running (pid $pid, port $port)"
    return 0
  fi
  if proc listeners "$port" >/dev/null 2>&1; then
    if proc health "$url"; then
      echo "$name: port $port already answers, served by a process this script did not start ($(holders "$port" | head -n 1)); using it"
      return 0
    fi
    echo "error: port $port is taken by a process that is not $name: $(holders "$port" | head -n 1)" >&2
    return 1
  fi
  case $name in
    moto)
      # moto's images plus an Ubuntu 20.04 stand-in (scripts/moto-amis.py); moto with
      # the calls moto 5.2.5 lacks (scripts/moto_server.py: DeleteCacheSubnetGroup, backup selections, ...).
      # ACM: moto issues a DNS-validated certificate this many seconds after the
      # request (it checks no records), standing in for DNS validation.
      # IAM: moto loads the AWS-managed policies (arn:aws:iam::aws:policy/...), so they can be got and attached.
      "$venvs/moto/bin/python" "$root/scripts/moto-amis.py" "$venvs/moto-amis.json"
      launch moto env MOTO_AMIS_PATH="$venvs/moto-amis.json" MOTO_ACM_VALIDATION_WAIT=2 MOTO_IAM_LOAD_MANAGED_POLICIES=true \
        "$venvs/moto/bin/python" "$root/scripts/moto_server.py" -H 127.0.0.1 -p "$port"
      ;;
    localstack)
      # Host mode: no Docker. DNS server off; gateway on loopback only.
      # SERVICES: every community provider but DynamoDB. Offline, DynamoDB's
      # first call tries to download DynamoDB Local and every call then fails
      # with InternalError after the SDK's retries (about 40 s for each plan,
      # which lists every kind); left out, it answers at once, as the services
      # LocalStack does not have do. strata's DynamoDB tests run on moto.
      launch localstack env DNS_ADDRESS=0 GATEWAY_LISTEN="127.0.0.1:$port" SKIP_INFRA_DOWNLOADS=1 \
        SERVICES=acm,apigateway,cloudformation,cloudwatch,ec2,es,opensearch,events,firehose,iam,kinesis,kms,lambda,logs,route53,resourcegroupstaggingapi,s3,scheduler,secretsmanager,ses,sns,sqs,ssm,stepfunctions,sts \
        DISABLE_EVENTS=1 LOCALSTACK_VOLUME_DIR="$run/localstack-volume" \
        "$venvs/localstack/bin/python" -m localstack.runtime.main
      ;;
  esac
}

wait_healthy() {
  local name=$1 url pid
  url=$(health_url "$name")
  for _ in $(seq 1 180); do
    if proc health "$url"; then echo "$name is up ($url)"; return 0; fi
    if [ -f "$run/$name.pid" ] && ! pid=$(our_pid "$name"); then
      echo "error: $name exited before it became healthy; last log lines ($run/$name.log):" >&2
      tail -n 40 "$run/$name.log" >&2 || true
      return 1
    fi
    sleep 1
  done
  echo "error: $name did not become healthy in 180 s; last log lines ($run/$name.log):" >&2
  tail -n 40 "$run/$name.log" >&2 || true
  return 1
}

port_free_within() {
  local port=$1 tries=$2
  for _ in $(seq 1 "$tries"); do
    proc listeners "$port" >/dev/null 2>&1 || return 0
    sleep 0.5
  done
  return 1
}

stop_one() {
  local name=$1 pidfile="$run/$1.pid" port pid
  port=$(port_of "$name")
  if pid=$(our_pid "$name"); then
    # The emulator leads its own process group (setsid): stop the group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do [ -d "/proc/$pid" ] || break; sleep 0.5; done
    if [ -d "/proc/$pid" ]; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do [ -d "/proc/$pid" ] || break; sleep 0.5; done
    fi
    if [ -d "/proc/$pid" ]; then echo "error: $name (pid $pid) does not stop" >&2; return 1; fi
    rm -f "$pidfile"
    if port_free_within "$port" 20; then
      echo "$name stopped (pid $pid); port $port is free"
      return 0
    fi
    echo "$name stopped (pid $pid), but port $port is still held by another process, left alone: $(holders "$port" | head -n 1)"
    return 0
  fi
  if [ -f "$pidfile" ]; then
    echo "$name: its pid file names a process that is no longer $name (removed the stale pid file)"
    rm -f "$pidfile"
  fi
  if proc listeners "$port" >/dev/null 2>&1; then
    echo "$name: not started by this script; port $port is held by another process, left alone: $(holders "$port" | head -n 1)"
  else
    echo "$name: not running; port $port is free"
  fi
}

status_one() {
  local name=$1 port url pid
  port=$(port_of "$name"); url=$(health_url "$name")
  if pid=$(our_pid "$name"); then
    if proc health "$url"; then echo "$name: up (pid $pid) at $url"; else echo "$name: started (pid $pid), not answering yet at $url"; fi
  elif proc health "$url"; then
    echo "$name: up at $url, not started by this script ($(holders "$port" | head -n 1))"
  else
    echo "$name: down"
  fi
}

case "${1:-up}" in
  up)
    install moto localstack
    start_one moto
    start_one localstack
    wait_healthy moto
    wait_healthy localstack
    ;;
  down)
    stop_one moto
    stop_one localstack
    ;;
  status)
    status_one moto
    status_one localstack
    ;;
  install)
    shift
    install "$@"
    ;;
  *) echo "usage: $0 up|down|status|install [moto] [localstack]" >&2; exit 2 ;;
esac
