#!/usr/bin/env bash
# Builds a real Kubernetes 1.20.2 cluster's server binaries from Debian bookworm's
# `kubernetes` source package, and installs etcd from Debian:
#   control plane: kube-apiserver, kube-controller-manager
#   node:          kubelet, kube-scheduler, kube-proxy (used by scripts/install-node.sh's node)
#
# Why build: no container registry and no binary downloads are reachable on the machines
# this project is developed and tested on; Debian's source package is the one registry
# route to a real API server and kubelet (see docs/testing.md). The binaries are cached
# outside the clone, so the ~10-minute build happens once per machine.
#
# Usage: scripts/install-control-plane.sh   (idempotent; prints the binaries' folder)
# Environment: EVENTGEN_CACHE (default ~/.cache/ecommerce-platform).
set -euo pipefail

cache="${EVENTGEN_CACHE:-$HOME/.cache/ecommerce-platform}"
dest="$cache/k8s-1.20.2/bin"
binaries=(kube-apiserver kube-controller-manager kubelet kube-scheduler kube-proxy)

all_cached() {
    local b
    for b in "${binaries[@]}"; do [[ -x "$dest/$b" ]] || return 1; done
    command -v etcd >/dev/null
}
if all_cached; then
    echo "$dest"
    exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "install-control-plane: needs root and apt-get (Debian) to build kube-apiserver; set KUBEBUILDER_ASSETS or KUBECONFIG instead" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
here=$(cd "$(dirname "$0")" && pwd)
"$here/apt-source-entries.sh" >&2
apt-get install -y -qq golang-go rsync etcd-server golang-github-modern-go-reflect2-dev openssl dpkg-dev >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only kubernetes >&2
tar xzf kubernetes_*.orig.tar.gz
tree=$(find . -maxdepth 1 -mindepth 1 -type d | head -n 1)
cd "$tree"

# Kubernetes 1.20 vendors reflect2 1.0.1, which faults under Go >= 1.18 on the first watch.
rm -rf vendor/github.com/modern-go/reflect2
mkdir -p vendor/github.com/modern-go/reflect2
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go \
   /usr/share/gocode/src/github.com/modern-go/reflect2/*.s vendor/github.com/modern-go/reflect2/ 2>/dev/null || \
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go vendor/github.com/modern-go/reflect2/
rm -f vendor/github.com/modern-go/reflect2/*_test.go

mkdir -p .go/src/k8s.io
ln -s ../../.. .go/src/k8s.io/kubernetes
targets=""
for b in "${binaries[@]}"; do targets+="cmd/$b "; done
GOPATH=$PWD/.go CGO_ENABLED=0 make WHAT="$targets" >&2

# The pause container's program, built here because its image cannot be pulled.
gcc -Os -static -o _output/bin/pause build/pause/linux/pause.c >&2 || \
    echo "install-control-plane: no static gcc; the node's pause image cannot be built" >&2

mkdir -p "$dest"
for b in "${binaries[@]}" pause; do
    [[ -f _output/bin/$b ]] || continue
    cp "_output/bin/$b" "$dest/.$b.tmp.$$"
    mv -f "$dest/.$b.tmp.$$" "$dest/$b"
done
echo "$dest"
