#!/usr/bin/env bash
# Test of scripts/emulators.sh, on ports and a run folder of its own (the venvs
# of .emulators/ are shared, so `up` installs nothing new), beside the emulators
# the other tests use. It checks that
#   - `up` (its output piped, as CI and `just` do) returns, and starts one moto and
#     one LocalStack whose recorded pids are the processes listening on their ports;
#   - a second `up` starts nothing: the same pids, one listener each;
#   - `down` stops exactly those pids and the ports are free; `down` twice is harmless;
#   - `down` leaves alone a process it did not start that holds a port, and a
#     process named by a stale pid file; `up` refuses a port held by something else;
#   - a half-made venv (no packages, no stamp) is made again by `install`, not trusted.
# Run by `just test`; takes about a minute (LocalStack's start, moto's reinstall).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
es="$root/scripts/emulators.sh"
export STRATA_MOTO_PORT="${STRATA_TEST_MOTO_PORT:-5190}"
export STRATA_LOCALSTACK_PORT="${STRATA_TEST_LOCALSTACK_PORT:-4690}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-emulators-test.XXXXXX")
export STRATA_EMULATORS_RUN_DIR="$tmp/run"
run="$STRATA_EMULATORS_RUN_DIR"
proc() { python3 "$root/scripts/emulators/proc.py" "$@"; }
step() { echo "-- $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
bg=()
cleanup() {
  "$es" down >/dev/null 2>&1 || true
  for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
pid_of() { cut -d' ' -f1 "$run/$1.pid"; }
listeners() { proc listeners "$1" 2>/dev/null || true; }
expect_in() { case "$2" in *"$1"*) ;; *) fail "expected \"$1\" in: $2" ;; esac; }

for port in "$STRATA_MOTO_PORT" "$STRATA_LOCALSTACK_PORT"; do
  [ -z "$(listeners "$port")" ] || fail "port $port is in use before the test: $(listeners "$port")"
done

step "up, its output piped, returns and starts one of each"
timeout 300 bash -c '"$0" up | cat' "$es" || fail "up did not return (or failed)"
m=$(pid_of moto); l=$(pid_of localstack)
[ "$(listeners "$STRATA_MOTO_PORT")" = "$m" ] || fail "moto's pid file says $m, port $STRATA_MOTO_PORT is held by: $(listeners "$STRATA_MOTO_PORT")"
[ "$(listeners "$STRATA_LOCALSTACK_PORT")" = "$l" ] || fail "LocalStack's pid file says $l, port $STRATA_LOCALSTACK_PORT is held by: $(listeners "$STRATA_LOCALSTACK_PORT")"

step "up twice starts nothing more"
out=$("$es" up)
expect_in "moto already running (pid $m" "$out"
expect_in "localstack already running (pid $l" "$out"
[ "$(pid_of moto)" = "$m" ] && [ "$(pid_of localstack)" = "$l" ] || fail "a second up changed the pids"
n=$(pgrep -fc "moto_server.py -H 127.0.0.1 -p $STRATA_MOTO_PORT" || true)
[ "$n" = 1 ] || fail "$n moto processes on port $STRATA_MOTO_PORT after two ups"

step "down stops exactly those processes and frees the ports"
out=$("$es" down)
expect_in "moto stopped (pid $m); port $STRATA_MOTO_PORT is free" "$out"
expect_in "localstack stopped (pid $l); port $STRATA_LOCALSTACK_PORT is free" "$out"
[ ! -d "/proc/$m" ] || fail "moto (pid $m) still runs after down"
[ ! -d "/proc/$l" ] || fail "LocalStack (pid $l) still runs after down"
[ -z "$(listeners "$STRATA_MOTO_PORT")$(listeners "$STRATA_LOCALSTACK_PORT")" ] || fail "ports still held after down"

step "down twice is harmless"
out=$("$es" down) || fail "a second down failed"
expect_in "moto: not running; port $STRATA_MOTO_PORT is free" "$out"

step "down leaves alone what it did not start; up refuses a port held by something else"
python3 -m http.server "$STRATA_MOTO_PORT" --bind 127.0.0.1 >/dev/null 2>&1 & foreign=$!; bg+=("$foreign")
for _ in $(seq 1 50); do [ -n "$(listeners "$STRATA_MOTO_PORT")" ] && break; sleep 0.1; done
sleep 30 & sleeper=$!; bg+=("$sleeper")
echo "$sleeper $(proc start-time "$sleeper")" >"$run/localstack.pid"   # a stale pid file naming a live process
out=$("$es" down)
expect_in "moto: not started by this script; port $STRATA_MOTO_PORT is held by another process, left alone: $foreign:" "$out"
expect_in "localstack: its pid file names a process that is no longer localstack" "$out"
kill -0 "$foreign" 2>/dev/null || fail "down killed a process it did not start (pid $foreign)"
kill -0 "$sleeper" 2>/dev/null || fail "down killed the process a stale pid file named (pid $sleeper)"
if out=$("$es" up 2>&1); then fail "up used a port held by a process that is not moto: $out"; fi
expect_in "port $STRATA_MOTO_PORT is taken by a process that is not moto: $foreign:" "$out"
kill "$foreign"

step "a half-made venv is made again, not trusted"
export STRATA_EMULATORS_DIR="$tmp/venvs"
python3 -m venv "$tmp/venvs/moto"
out=$("$es" install moto)
expect_in "moto: $tmp/venvs/moto is incomplete or out of date" "$out"
expect_in "moto: installed" "$out"
"$tmp/venvs/moto/bin/python" -c "import moto" || fail "the repaired venv does not import moto"
out=$("$es" install moto)
[ -z "$out" ] || fail "an installed venv was installed again: $out"
echo "emulators.sh: all checks passed"
