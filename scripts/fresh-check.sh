#!/usr/bin/env bash
# The README's set-up as a new user meets it: clone HEAD into a temporary
# folder and run the README's two commands there (`just demo`, then `just test`)
# with a minimal environment:
#   - PATH is the system folders, ~/.cargo/bin (rustup's, and where the README's
#     `cargo install --locked just` puts just) and nothing else: no uv, no pyenv
#     shims, no Python scripts folders, no virtualenv;
#   - every other variable is dropped (`env -i`) but HOME, USER, TERM and LANG
#     (and CARGO_HOME / RUSTUP_HOME when set), so the cargo registry and pip's
#     download cache are shared, the target folder is not;
#   - the clone has no .emulators/ and the emulators' ports must be free first.
# Prints each command's wall time. Logs go to target/fresh-check/; the clone is
# removed when both commands pass and kept (its path printed) when one fails.
#   scripts/fresh-check.sh   (or `just fresh-check`)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
min_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$HOME/.cargo/bin"
logs="$root/target/fresh-check"
mkdir -p "$logs"

in_min_env() {
  local keep=(HOME="$HOME" USER="${USER:-$(id -un)}" TERM="${TERM:-dumb}" LANG="${LANG:-C.UTF-8}" PATH="$min_path")
  [ -n "${CARGO_HOME:-}" ] && keep+=(CARGO_HOME="$CARGO_HOME")
  [ -n "${RUSTUP_HOME:-}" ] && keep+=(RUSTUP_HOME="$RUSTUP_HOME")
  env -i "${keep[@]}" "$@"
}

for tool in cargo just python3 git; do
  if ! in_min_env bash -c "command -v $tool" >/dev/null; then
    echo "error: $tool is not on the minimal PATH ($min_path): install the README's prerequisites the README's way" >&2
    exit 1
  fi
done
for port in 5000 4566; do
  if holder=$(in_min_env python3 "$root/scripts/emulators/proc.py" listeners "$port"); then
    echo "error: port $port is in use (pid $holder): stop the emulators first (\`just emulators-down\` in the checkout that started them)" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-fresh.XXXXXX")
clone="$work/strata"
git clone --quiet --no-local "$root" "$clone"
commit=$(git -C "$clone" rev-parse --short HEAD)
echo "fresh-check: a clone of $commit in $clone (uncommitted changes are not in it)"
echo "fresh-check: PATH=$min_path"
echo "fresh-check: $(in_min_env bash -c 'echo "$(command -v python3): $(python3 --version); $(command -v just): $(just --version); $(cargo --version)"')"
[ ! -e "$clone/.emulators" ] || { echo "error: the clone has a .emulators/" >&2; exit 1; }

ok=0
stop_emulators() {
  in_min_env bash -c "cd '$clone' && scripts/emulators.sh down" >>"$logs/emulators-down.log" 2>&1 || true
  if [ "$ok" = 1 ]; then rm -rf "$work"; else echo "fresh-check: kept $clone for inspection"; fi
}
trap stop_emulators EXIT

summary=()
run_step() {
  local name=$1 start end rc=0
  echo "== just $name (log: $logs/$name.log)"
  start=$(date +%s)
  in_min_env bash -c "cd '$clone' && just $name" 2>&1 | tee "$logs/$name.log" || rc=${PIPESTATUS[0]}
  end=$(date +%s)
  summary+=("just $name: exit $rc, $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s")
  echo "== ${summary[-1]}"
  return "$rc"
}

rc=0
run_step demo || rc=1
if [ "$rc" = 0 ]; then run_step test || rc=1; fi
in_min_env bash -c "cd '$clone' && scripts/emulators.sh down" | tee "$logs/emulators-down.log"
for port in 5000 4566; do
  if holder=$(in_min_env python3 "$root/scripts/emulators/proc.py" listeners "$port"); then
    summary+=("port $port still held after \`scripts/emulators.sh down\` (pid $holder)"); rc=1
  fi
done
echo "== fresh-check of $commit"
printf '   %s\n' "${summary[@]}"
if [ "$rc" = 0 ]; then ok=1; echo "fresh-check: passed"; else echo "fresh-check: FAILED"; fi
exit "$rc"
