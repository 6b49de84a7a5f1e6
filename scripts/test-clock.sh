#!/usr/bin/env bash
# Runs tests with the clock of every process they start (pytest, the API, the workers,
# PostgreSQL, moto, Node, Chromium...) moved to other instants with libfaketime, to show
# that no test depends on the date or hour it runs at. Redis keeps the real clock (its
# allocator cannot start under libfaketime; the tests' RedisServer drops it). Nothing of the app is configured for it:
# the preloaded library answers every process's time calls. The offset is the same for
# every process and the clocks run at their usual rate; monotonic clocks move by the
# same offset (leaving them alone makes Python's time.sleep fail with EINVAL).
#
# Usage: scripts/test-clock.sh PYTHON [pytest arguments...]  (the virtualenv's python)
#   CLOCK_INSTANTS="2027-03-14T05:30:00Z ..." picks the instants (UTC, ISO 8601).
set -euo pipefail

python=$1
shift
# pytest's own exit code, without the interpreter's shutdown: under libfaketime a thread
# left in a timed wait can keep a process from exiting (the wait's deadline is counted on
# the moved clock), and by then every fixture has stopped what it started.
run_pytest=(-c 'import os, sys, pytest; sys.stdout.flush(); os._exit(pytest.main(sys.argv[1:]))')
read -r -a instants <<<"${CLOCK_INSTANTS:-2026-12-05T23:10:00Z 2027-03-13T21:00:00Z 2027-12-31T23:40:00Z 2028-02-28T23:30:00Z}"

library=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -n 1 || true)
if [[ -z $library ]]; then
    echo "test-clock: libfaketime is missing: scripts/ensure-system-packages.sh faketime" >&2
    exit 1
fi

failed=()
for instant in "${instants[@]}"; do
    offset=$(($(date -u -d "$instant" +%s) - $(date -u +%s)))
    echo "=== the clock at $instant (${offset} s from now): pytest $*"
    if LD_PRELOAD=$library FAKETIME="$(printf '%+d' "$offset")" "$python" "${run_pytest[@]}" "$@"; then
        echo "=== $instant: passed"
    else
        echo "=== $instant: FAILED"
        failed+=("$instant")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "test-clock: failed at ${failed[*]}" >&2
    exit 1
fi
echo "test-clock: passed at ${instants[*]}"
