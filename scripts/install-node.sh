#!/usr/bin/env bash
# Installs what a real one-node Kubernetes cluster needs on this machine, beside the server
# binaries scripts/install-control-plane.sh builds (kubelet, kube-scheduler, kube-proxy):
#   - Debian's container engine: containerd, runc, dockerd (docker.io), CNI plugins, iptables;
#   - a Debian bookworm root filesystem made with debootstrap, from which the tests build a
#     stand-in for the python:3.11-slim base image when no registry serves that image.
# The daemons are not started here: the tests start them in folders of their own and stop them
# (tests/support/node/). See docs/testing.md.
#
# Usage: scripts/install-node.sh   (idempotent; prints the cache folder of the root filesystem)
# Environment: EVENTGEN_CACHE (default ~/.cache/ecommerce-platform).
set -euo pipefail

cache="${EVENTGEN_CACHE:-$HOME/.cache/ecommerce-platform}"
dest="$cache/node"
rootfs_tar="$dest/debian-bookworm-minbase.tar"
packages=(containerd runc docker.io containernetworking-plugins iptables ipset debootstrap iproute2 util-linux)

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "install-node: needs root and apt-get (Debian) to run containers and a kubelet" >&2
    exit 1
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
fi

if [[ ! -s $rootfs_tar ]]; then
    # The mirror apt already uses for this release (no host is written into the project).
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' \
        | awk -v r="$codename" '$2 == r { print $1; exit }')
    [[ -n $mirror ]] || { echo "install-node: apt has no source for $codename" >&2; exit 1; }
    mkdir -p "$dest"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    debootstrap --variant=minbase "$codename" "$work/rootfs" "$mirror" >&2
    tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
    mv -f "$work/rootfs.tar" "$rootfs_tar"
fi
echo "$dest"
