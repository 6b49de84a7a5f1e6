#!/usr/bin/env bash
# Installs the npm packages the tests drive, exactly as tests/js/package-lock.json pins
# them (npm ci), into .tools/js/, beside copies of the scripts in tests/js/ that import
# them. Idempotent: when the lock file has not changed it only copies the scripts.
# Concurrent runs wait for each other.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source_dir=$root/tests/js
target=$root/.tools/js

if ! command -v npm >/dev/null 2>&1; then
    echo "install-js-packages: npm not found: run scripts/ensure-system-packages.sh node" >&2
    exit 1
fi
mkdir -p "$target"
exec 9>"$target/.lock"
flock 9
if ! cmp -s "$source_dir/package-lock.json" "$target/.installed"; then
    cp "$source_dir/package.json" "$source_dir/package-lock.json" "$target/"
    (cd "$target" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    cp "$source_dir/package-lock.json" "$target/.installed"
fi
cp "$source_dir"/*.mjs "$target/"
