#!/usr/bin/env bash
# Installs, from Debian's packages, the programs the test suite and `make assets`
# run: PostgreSQL (with contrib, for btree_gist), Redis, Chromium and Node/npm; on
# demand also libfaketime (`make test-clock`) and python3-venv. As root, or through
# sudo; without either it names the packages to install and exits 1.
# Idempotent: when everything is present it only checks and exits. It never
# starts a system service: the test suite runs private instances on free ports.
#
# Usage: scripts/ensure-system-packages.sh [postgres] [redis] [chromium] [node] [faketime] [venv]
#        (no argument: postgres redis chromium node)
set -euo pipefail

components=("$@")
if [[ ${#components[@]} -eq 0 ]]; then
    components=(postgres redis chromium node)
fi

have() { command -v "$1" >/dev/null 2>&1; }

have_glob() {
    local pattern=$1 path
    for path in $pattern; do
        [[ -e $path ]] && return 0
    done
    return 1
}

missing=()
for component in "${components[@]}"; do
    case $component in
        postgres)
            have_glob '/usr/lib/postgresql/*/bin/initdb' || missing+=(postgresql)
            have_glob '/usr/share/postgresql/*/extension/btree_gist.control' \
                || missing+=(postgresql-contrib)
            ;;
        redis)
            have redis-server || missing+=(redis-server)
            ;;
        chromium)
            have chromium || missing+=(chromium)
            ;;
        node)
            # Node from other sources (e.g. NodeSource) ships its own npm: only add
            # Debian's npm when there is none, or it would conflict.
            if ! have npm; then
                have node || missing+=(nodejs)
                missing+=(npm)
            fi
            ;;
        faketime)
            have faketime || missing+=(faketime)
            ;;
        venv)
            python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
            ;;
        *)
            echo "ensure-system-packages: unknown component '$component'" >&2
            exit 2
            ;;
    esac
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

# Several checks can name the same package.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif have sudo; then
    as_root=(sudo)
else
    echo "ensure-system-packages: missing Debian packages: ${missing[*]}" >&2
    echo "Run as root or install sudo, or install them yourself:" >&2
    echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "ensure-system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
