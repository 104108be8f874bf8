#!/usr/bin/env bash
# Installs the checkov security scanner (pinned) into its own virtualenv in the cache folder,
# apart from the project's .venv: checkov pins many libraries that would clash with ours.
#
# Usage: scripts/install-scanner.sh   (idempotent; prints the path of the checkov program)
# Environment: EVENTGEN_CACHE (default ~/.cache/ecommerce-platform), PYTHON (a Python >= 3.9
# to build the virtualenv with; default the project's .venv interpreter, else python3).
set -euo pipefail

version=3.3.30
cache="${EVENTGEN_CACHE:-$HOME/.cache/ecommerce-platform}"
venv="$cache/checkov-$version"
checkov="$venv/bin/checkov"

if [[ -x $checkov && -f $venv/.installed ]]; then
    echo "$checkov"
    exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-}
if [[ -z $python ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi

rm -rf "$venv"
mkdir -p "$cache"
# --copies: the scanner keeps working if the project's .venv is deleted or rebuilt.
"$python" -m venv --copies "$venv" >&2 || { echo "install-scanner: could not create $venv" >&2; exit 1; }
"$venv/bin/python" -m pip install -q --disable-pip-version-check "checkov==$version" >&2 || {
    echo "install-scanner: pip could not install checkov==$version" >&2
    rm -rf "$venv"
    exit 1
}
"$checkov" --version >/dev/null
touch "$venv/.installed"
echo "$checkov"
