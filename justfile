# strata's tasks. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

moto := env_var_or_default("STRATA_MOTO_URL", "http://127.0.0.1:5000")

# Deploy the Miamo prod stack on the local emulator: plan, apply, outputs, plan again.
demo: emulators
    #!/usr/bin/env bash
    set -euo pipefail
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-{{moto}}}"
    if [ ! -x target/debug/examples/prod ]; then
      echo "== build: the first build compiles the AWS SDK crates; it takes several minutes"
      echo "   on a small machine (10-15 min on 2 cores). Later builds take seconds."
    fi
    # The workspace's feature set (see `test`), so that `just test` reuses this build.
    cargo build --workspace --examples
    ex=target/debug/examples/prod
    echo "== plan";            $ex plan
    echo "== apply";           $ex apply --yes
    echo "== outputs";         $ex outputs
    echo "== plan (again)";    $ex plan --detailed-exitcode && echo "No changes: the second plan is empty."

# Run every test: unit tests, doc tests, and integration tests on both emulators.
test: emulators lint
    # The emulator script itself: up, down, ports, stale pid files, venv repair (own ports).
    scripts/emulators/test.sh
    # Every build below selects the whole workspace with its dev-dependencies, so
    # that cargo resolves one feature set and compiles each SDK crate once (a
    # `-p` or root-only build would resolve another set and compile them again).
    # The CLI tests run the example binaries; the quick benchmark is a binary.
    cargo build --workspace --bins --examples
    target/debug/strata-bench --quick --json target/strata-bench-quick.json
    cargo test --workspace --doc
    cargo test --workspace --all-targets --no-fail-fast

# Crash-consistency sweep of the prod stack: SIGKILL after every k-th mutating
# call, rerun, check (about 10 s per k on this machine; `just test` runs every 25th).
crash-sweep stride="1": emulators
    cargo build --workspace --examples
    STRATA_CRASH_STRIDE={{stride}} cargo test --workspace --test it -- crash_sweep --nocapture

# Benchmarks, one table (+ target/strata-bench.json): scheduling efficiency,
# engine overhead, API calls of no-op plans and end-to-end time on a private
# moto, and cold builds (four cold builds: about 40 minutes on 2 cores;
# `just bench ""` shows the last build figures instead).
bench flags="--build": emulators
    cargo build --profile benchmark -p strata-bench
    target/benchmark/strata-bench {{flags}} --json target/strata-bench.json

# Cold build of `prod` and of the network-only feature set against SDK-only floors.
bench-build:
    scripts/bench-build.sh prod default
    scripts/bench-build.sh network ec2

# Lints: clippy with warnings as errors.
lint:
    cargo clippy --workspace --all-targets -- -D warnings
    # The network-only feature set (what `default-features = false, features = ["ec2"]` users build).
    cargo clippy -p strata --no-default-features --features ec2 -- -D warnings

# Start LocalStack (127.0.0.1:4566) and moto (127.0.0.1:5000); idempotent.
emulators:
    scripts/emulators.sh up

# Stop both emulators (only what `just emulators` started) and wait until their ports are free.
emulators-down:
    scripts/emulators.sh down

# The README's set-up on a fresh clone of HEAD with a minimal PATH: `just demo`, then
# `just test` (a cold build: about 30 min on 2 cores). Needs the emulator ports free.
fresh-check:
    scripts/fresh-check.sh
