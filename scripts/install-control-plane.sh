#!/usr/bin/env bash
# Builds a real Kubernetes control plane (kube-apiserver + kube-controller-manager 1.20.2)
# from Debian bookworm's `kubernetes` source package, and installs etcd from Debian.
#
# Why build: no container engine and no binary downloads are available on the machines
# this project is developed and tested on; Debian's source package is the one registry
# route to a real API server (see README, "Testing"). The binaries are cached outside the
# clone, so the ~6-minute build happens once per machine.
#
# Usage: scripts/install-control-plane.sh   (idempotent; prints the binaries' folder)
set -euo pipefail

cache="${EVENTGEN_CACHE:-$HOME/.cache/ecommerce-platform}"
dest="$cache/k8s-1.20.2/bin"

if [[ -x "$dest/kube-apiserver" && -x "$dest/kube-controller-manager" ]] && command -v etcd >/dev/null; then
    echo "$dest"
    exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "install-control-plane: needs root and apt-get (Debian) to build kube-apiserver; set KUBEBUILDER_ASSETS or KUBECONFIG instead" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
src_list=/etc/apt/sources.list.d/eventgen-deb-src.sources
if [[ ! -f $src_list ]]; then
    # Same mirror as the binary packages, source entries only.
    cat > "$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -qq >&2
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
GOPATH=$PWD/.go CGO_ENABLED=0 \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2

mkdir -p "$dest"
cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$dest/"
echo "$dest"
