#!/usr/bin/env bash
# Maintainers only (set-up never runs this): re-pin the emulators' Python
# dependencies, with hashes, for every platform and Python >= 3.11.
# `scripts/emulators.sh` installs exactly these files with pip, in venvs of its own.
# The dates keep each emulator on the dependency versions it was tested with
# (LocalStack 4.9.2 breaks with some later releases of its dependencies).
# uv is used here only to resolve; it runs from a throw-away venv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/uv" && "$tmp/uv/bin/python" -m pip install --quiet uv
compile() { (cd "$here" && "$tmp/uv/bin/uv" pip compile --quiet --universal --python-version 3.11 \
  --generate-hashes --exclude-newer "$2" --custom-compile-command "scripts/emulators/lock.sh" "$1.in" -o "$1.txt"); }
compile moto 2026-11-01
compile localstack 2025-10-20
