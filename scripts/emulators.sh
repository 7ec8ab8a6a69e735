#!/usr/bin/env bash
# Start or stop the local AWS emulators used by strata's tests and demo.
#   scripts/emulators.sh up     install if missing, start both, wait until healthy (idempotent)
#   scripts/emulators.sh down   stop both
#   scripts/emulators.sh status
# LocalStack community 4.9.2 listens on 127.0.0.1:4566, moto server 5.2.5 on 127.0.0.1:5000.
# Everything lives in .emulators/ (git-ignored): Python venvs, pid files and logs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.emulators"
mkdir -p "$dir"

LOCALSTACK_VERSION=4.9.2
MOTO_VERSION=5.2.5
LOCALSTACK_URL=http://127.0.0.1:4566
MOTO_URL=http://127.0.0.1:5000

UV=(uv)
need_uv() {
  if ! command -v uv >/dev/null 2>&1; then
    python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
    UV=(python3 -m uv)
  fi
}

install_localstack() {
  if [ -x "$dir/localstack/bin/python" ] && "$dir/localstack/bin/python" -c "import localstack" 2>/dev/null; then return; fi
  need_uv
  "${UV[@]}" venv --quiet --allow-existing -p python3.11 "$dir/localstack"
  VIRTUAL_ENV="$dir/localstack" "${UV[@]}" pip install --quiet --exclude-newer 2025-10-20 "localstack-core[runtime]==$LOCALSTACK_VERSION"
}

install_moto() {
  if [ -x "$dir/moto/bin/moto_server" ]; then return; fi
  need_uv
  "${UV[@]}" venv --quiet --allow-existing -p python3.11 "$dir/moto"
  VIRTUAL_ENV="$dir/moto" "${UV[@]}" pip install --quiet --exclude-newer 2026-11-01 "moto[server]==$MOTO_VERSION"
}

healthy() { curl -fs -o /dev/null --max-time 2 "$1"; }

wait_healthy() {
  local name=$1 url=$2 log=$3
  for _ in $(seq 1 180); do
    if healthy "$url"; then echo "$name is up ($url)"; return 0; fi
    sleep 1
  done
  echo "$name did not become healthy; last log lines:" >&2
  tail -n 40 "$log" >&2 || true
  return 1
}

start_localstack() {
  if healthy "$LOCALSTACK_URL/_localstack/health"; then echo "LocalStack already running"; return; fi
  install_localstack
  # Host mode: no Docker. DNS server off; gateway on loopback only.
  (cd "$dir" && DNS_ADDRESS=0 GATEWAY_LISTEN=127.0.0.1:4566 SKIP_INFRA_DOWNLOADS=1 \
     DISABLE_EVENTS=1 LOCALSTACK_VOLUME_DIR="$dir/localstack-volume" \
     nohup setsid "$dir/localstack/bin/python" -m localstack.runtime.main \
     >"$dir/localstack.log" 2>&1 & echo $! >"$dir/localstack.pid")
}

start_moto() {
  if healthy "$MOTO_URL/moto-api/"; then echo "moto already running"; return; fi
  install_moto
  # moto's images plus an Ubuntu 20.04 stand-in (scripts/moto-amis.py); moto with
  # DeleteCacheSubnetGroup, which moto 5.2.5 lacks (scripts/moto_server.py).
  "$dir/moto/bin/python" "$root/scripts/moto-amis.py" "$dir/moto-amis.json"
  # ACM: moto issues a DNS-validated certificate this many seconds after the
  # request (it checks no records), standing in for DNS validation.
  (cd "$dir" && MOTO_AMIS_PATH="$dir/moto-amis.json" MOTO_ACM_VALIDATION_WAIT=2 nohup setsid "$dir/moto/bin/python" "$root/scripts/moto_server.py" -H 127.0.0.1 -p 5000 \
     >"$dir/moto.log" 2>&1 & echo $! >"$dir/moto.pid")
}

stop_one() {
  local name=$1 pidfile="$dir/$1.pid"
  if [ -f "$pidfile" ]; then
    local pid; pid=$(cat "$pidfile")
    # setsid made the emulator a process-group leader: stop the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pidfile"
    echo "$name stopped"
  fi
}

case "${1:-up}" in
  up)
    # Install both in parallel (network-bound), then start and wait.
    need_uv
    install_moto & m=$!
    install_localstack & l=$!
    wait $m; wait $l
    start_moto
    start_localstack
    wait_healthy moto "$MOTO_URL/moto-api/" "$dir/moto.log"
    wait_healthy LocalStack "$LOCALSTACK_URL/_localstack/health" "$dir/localstack.log"
    ;;
  down)
    stop_one moto
    stop_one localstack
    ;;
  status)
    healthy "$MOTO_URL/moto-api/" && echo "moto: up" || echo "moto: down"
    healthy "$LOCALSTACK_URL/_localstack/health" && echo "LocalStack: up" || echo "LocalStack: down"
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
