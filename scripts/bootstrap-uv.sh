#!/usr/bin/env bash
# Puts uv (the version the lock file was made with) into a private virtualenv,
# from PyPI, so that nothing has to be installed by hand.
#
# Usage: scripts/bootstrap-uv.sh TOOLS_DIR UV_VERSION
set -euo pipefail

tools=${1:?usage: bootstrap-uv.sh TOOLS_DIR UV_VERSION}
version=${2:?usage: bootstrap-uv.sh TOOLS_DIR UV_VERSION}
python=${PYTHON:-python3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ -x $tools/bin/uv ]] && [[ $("$tools/bin/uv" --version) == "uv $version"* ]]; then
    exit 0
fi

# Debian's python3 ships venv's pip bootstrap in a separate package.
if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    "$here/ensure-system-packages.sh" venv
fi

rm -rf "$tools"
"$python" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$version"
"$tools/bin/uv" --version
