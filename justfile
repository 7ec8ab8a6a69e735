# strata's tasks. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

moto := env_var_or_default("STRATA_MOTO_URL", "http://127.0.0.1:5000")

# Deploy the demo stack on the local emulator: plan, apply, outputs, plan again.
demo: emulators
    #!/usr/bin/env bash
    set -euo pipefail
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-{{moto}}}"
    cargo build --quiet --example network
    ex=target/debug/examples/network
    echo "== plan";            $ex plan
    echo "== apply";           $ex apply --yes
    echo "== outputs";         $ex outputs
    echo "== plan (again)";    $ex plan --detailed-exitcode && echo "No changes: the second plan is empty."

# Run every test: unit tests, doc tests, and integration tests on both emulators.
test: emulators lint
    cargo build --examples
    cargo test --workspace --doc
    cargo test --workspace --all-targets --no-fail-fast

# Lints: rustfmt and clippy with warnings as errors.
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Start LocalStack (127.0.0.1:4566) and moto (127.0.0.1:5000); idempotent.
emulators:
    scripts/emulators.sh up

# Stop both emulators.
emulators-down:
    scripts/emulators.sh down
