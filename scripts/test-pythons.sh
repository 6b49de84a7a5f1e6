#!/usr/bin/env bash
# For each supported Python version: a virtualenv of its own (.venvs/VERSION) synced from
# uv.lock with that interpreter, then the unit tests and the README's examples against
# `appointment-api dev` (a boot of the app) in it. uv never downloads a Python: each
# version is found on PATH (pythonX.Y) or among pyenv's installed versions.
#
# Usage: scripts/test-pythons.sh UV [VERSION...]   (default: 3.11 3.12 3.13)
set -euo pipefail

uv=$1
shift
versions=("$@")
if [[ ${#versions[@]} -eq 0 ]]; then
    versions=(3.11 3.12 3.13)
fi
export UV_PYTHON_DOWNLOADS=never

find_python() {
    local version=$1 candidate found
    candidate=$(command -v "python$version" || true)
    if [[ -n $candidate ]] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
        echo "$candidate"
        return 0
    fi
    # pyenv's shims answer only for the selected version: ask pyenv for its own copy.
    if command -v pyenv >/dev/null 2>&1 && found=$(pyenv latest "$version" 2>/dev/null); then
        candidate="$(pyenv root)/versions/$found/bin/python$version"
        [[ -x $candidate ]] && echo "$candidate" && return 0
    fi
    return 1
}

results=()
status=0
for version in "${versions[@]}"; do
    if ! python=$(find_python "$version"); then
        results+=("$version: no interpreter found (put python$version on PATH)")
        status=1
        continue
    fi
    environment=.venvs/$version
    echo "=== Python $version ($python) in $environment"
    if UV_PROJECT_ENVIRONMENT=$environment "$uv" sync --frozen --quiet --python "$python" &&
        "$environment/bin/python" -m pytest -p no:cacheprovider -q \
            tests/unit tests/e2e/test_readme_examples.py; then
        results+=("$version: passed ($("$environment/bin/python" -V))")
    else
        results+=("$version: FAILED")
        status=1
    fi
done
printf '%s\n' "${results[@]}"
exit $status
