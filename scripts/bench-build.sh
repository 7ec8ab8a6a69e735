#!/usr/bin/env bash
# Cold build time of a strata example against the floor: an empty binary that
# depends only on the AWS SDK crates the example uses. Each build gets a fresh
# target directory (crates are already downloaded; compile time only).
#   scripts/bench-build.sh [example] [features]     (default: network, ec2)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example=${1:-network}
features=${2:-ec2}
work="$root/target/bench-build"
rm -rf "$work"; mkdir -p "$work/floor/src"

sdk_deps=$(python3 - "$features" <<'PY'
import sys
feats = sys.argv[1].split(",")
crates = {"ec2": "aws-sdk-ec2"}
print("\n".join(f'{crates[f]} = "1"' for f in feats if f in crates))
PY
)
cat > "$work/floor/Cargo.toml" <<TOML
[package]
name = "floor"
version = "0.0.0"
edition = "2021"
[dependencies]
aws-config = { version = "1", features = ["behavior-version-latest"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
$sdk_deps
[profile.dev]
debug = "line-tables-only"
[profile.dev.package."*"]
debug = false
[workspace]
TOML
echo 'fn main() {}' > "$work/floor/src/main.rs"
cp "$root/Cargo.lock" "$work/floor/Cargo.lock"

t0=$(date +%s.%N)
(cd "$work/floor" && CARGO_TARGET_DIR="$work/floor-target" cargo build --quiet)
t1=$(date +%s.%N)
(cd "$root" && CARGO_TARGET_DIR="$work/strata-target" cargo build --quiet --example "$example" --no-default-features --features "$features")
t2=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" "$example" "$features" <<'PY'
import sys, json
t0, t1, t2 = map(float, sys.argv[1:4])
floor, strata = t1 - t0, t2 - t1
res = {"example": sys.argv[4], "features": sys.argv[5], "floor_s": round(floor, 1),
       "strata_s": round(strata, 1), "overhead_pct": round(100 * (strata - floor) / floor, 1)}
print(f"cold build: floor {floor:.1f}s, strata example {strata:.1f}s, overhead {res['overhead_pct']}%")
print(json.dumps(res))
PY
