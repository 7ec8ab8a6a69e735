#!/usr/bin/env bash
# Cold build time of a strata program against the floor: an empty binary that
# depends only on the AWS SDK crates the program's features pull in (plus
# aws-config and tokio, which any SDK program needs).
#
# The strata side is built as a user builds it: a crate of its own whose main
# is the example (`examples/<example>.rs`, with `examples/miamo/` for the Miamo
# stacks), depending on strata with exactly the given features. (`cargo build
# --example` in this workspace would also build the workspace's dev-dependencies,
# which include every SDK for the integration tests.) Both builds get a fresh
# target directory (crates are already downloaded: compile time only) and the
# same profile (this workspace's dev profile). Strata is taken from the last
# commit (`git archive HEAD`), so the figures belong to a commit.
#   scripts/bench-build.sh [example] [features] [json-out]
#   features: comma-separated strata features, or "default" (all services).
# Examples: scripts/bench-build.sh prod default
#           scripts/bench-build.sh network ec2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example=${1:-network}
features=${2:-ec2}
out=${3:-$root/target/bench-build-$example.json}
work="$root/target/bench-build/$example"
rm -rf "$work"; mkdir -p "$work/floor/src" "$work/src"
git -C "$root" archive HEAD | tar -x -C "$work/src"

if [ "$features" = default ]; then
    features=$(python3 - "$root/Cargo.toml" <<'PY'
import sys, tomllib
print(",".join(tomllib.load(open(sys.argv[1], "rb"))["features"]["default"]))
PY
)
fi

# The SDK crates (and versions) the features pull in: each strata feature is a
# service crate (`dep:strata-aws-<service>`), read from its manifest and the workspace's.
sdk_deps=$(python3 - "$root" "$features" <<'PY'
import sys, tomllib
root, feats = sys.argv[1], sys.argv[2].split(",")
top = tomllib.load(open(f"{root}/Cargo.toml", "rb"))
ws = top["workspace"]["dependencies"]
crates = {}
for f in feats:
    for d in top["features"][f]:
        if d.startswith("dep:strata-aws-"):
            svc = tomllib.load(open(f"{root}/crates/{d[4:]}/Cargo.toml", "rb"))
            for c, spec in svc["dependencies"].items():
                if c.startswith("aws-sdk-"):
                    if isinstance(spec, dict) and spec.get("workspace"):
                        spec = ws[c]
                    crates[c] = spec if isinstance(spec, str) else spec["version"]
for c in sorted(crates):
    print(f'{c} = "{crates[c]}"')
PY
)
profile='[profile.dev]
debug = "line-tables-only"
[profile.dev.package."*"]
debug = false
[workspace]'
cat > "$work/floor/Cargo.toml" <<TOML
[package]
name = "floor"
version = "0.0.0"
edition = "2021"
[dependencies]
aws-config = { version = "1", features = ["behavior-version-latest"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
$sdk_deps
$profile
TOML
echo 'fn main() {}' > "$work/floor/src/main.rs"
cp "$root/Cargo.lock" "$work/floor/Cargo.lock"

mkdir -p "$work/user/src"
feature_list=$(python3 -c 'import sys; print(", ".join(f"\"{f}\"" for f in sys.argv[1].split(",")))' "$features")
cat > "$work/user/Cargo.toml" <<TOML
[package]
name = "user"
version = "0.0.0"
edition = "2021"
[dependencies]
strata = { path = "$work/src", default-features = false, features = [$feature_list] }
$profile
TOML
cp "$work/src/examples/$example.rs" "$work/user/src/main.rs"
if grep -q "^pub mod miamo;" "$work/src/examples/$example.rs"; then cp -r "$work/src/examples/miamo" "$work/user/src/miamo"; fi
cp "$root/Cargo.lock" "$work/user/Cargo.lock"

t0=$(date +%s.%N)
(cd "$work/floor" && CARGO_TARGET_DIR="$work/floor-target" cargo build --quiet)
t1=$(date +%s.%N)
(cd "$work/user" && CARGO_TARGET_DIR="$work/strata-target" cargo build --quiet --timings)
t2=$(date +%s.%N)
cp "$work/strata-target/cargo-timings/cargo-timing.html" "$root/target/bench-build-$example-timings.html"
rm -rf "$work/floor-target" "$work/strata-target" "$work/src" "$work/user"
python3 - "$t0" "$t1" "$t2" "$example" "$features" "$(git -C "$root" rev-parse --short HEAD)" "$out" "$root/target/bench-build-$example-timings.html" <<'PY'
import sys, json, datetime, re
t0, t1, t2 = map(float, sys.argv[1:4])
# What the strata build spent, per crate, from cargo's --timings page.
units = []
m = re.search(r"const UNIT_DATA = (\[.*?\]);\n", open(sys.argv[8]).read(), re.S)
if m:
    units = sorted(((u["name"] + (" (" + u["target"].strip() + ")" if u["target"].strip() else ""), round(u["duration"], 1))
                    for u in json.loads(m.group(1))), key=lambda x: -x[1])
floor, strata = t1 - t0, t2 - t1
res = {"example": sys.argv[4], "features": sys.argv[5], "commit": sys.argv[6],
       "date": datetime.date.today().isoformat(),
       "floor_s": round(floor, 1), "strata_s": round(strata, 1),
       "overhead_pct": round(100 * (strata - floor) / floor, 1),
       "slowest_units_s": units[:15]}
print(f"cold build of {res['example']} ({res['features']}): floor {floor:.1f} s, "
      f"strata {strata:.1f} s, overhead {res['overhead_pct']} %")
json.dump(res, open(sys.argv[7], "w"), indent=1)
PY
