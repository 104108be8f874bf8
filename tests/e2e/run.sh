#!/usr/bin/env bash
# The kind end-to-end suite, in one command:
#   tests/e2e/run.sh
# creates a kind cluster, builds the image and loads it, runs Google's Pub/Sub emulator in the
# cluster, installs the chart (configConnector.enabled=false), then runs the checks in
# tests/e2e/scenario.py through the Kubernetes API and a Pub/Sub subscription, and deletes
# the cluster (also on failure or Ctrl-C).
#
# Needs: a working Docker engine, kind, helm and kubectl (helm/kubectl from PATH, else from
# scripts/install-tools.sh's cache), and the project's venv (./dev test creates .venv).
# Settings (environment):
#   E2E_CLUSTER          kind cluster name (default eventgen-e2e; must not exist yet)
#   E2E_KEEP_CLUSTER=1   keep the cluster afterwards, for debugging
#   E2E_PUBSUB_PORT      host port the emulator is reachable on (default 18085)
#   E2E_PUBSUB_IMAGE     emulator image (default: the gcloud SDK's, pinned below)
#   E2E_KIND_NODE_IMAGE  kindest/node image (default: kind's own default)
#   PYTHON               Python with the project's test dependencies (default .venv/bin/python)
# Not run in CI: CI machines have no Docker engine (see docs/e2e.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

cluster=${E2E_CLUSTER:-eventgen-e2e}
pubsub_port=${E2E_PUBSUB_PORT:-18085}
pubsub_image=${E2E_PUBSUB_IMAGE:-gcr.io/google.com/cloudsdktool/google-cloud-cli:546.0.0-emulators}
python=${PYTHON:-.venv/bin/python}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
image=eventgen:$version

fail() { echo "e2e: $*" >&2; exit 1; }
say() { echo "== $*"; }

tools_bin=${EVENTGEN_CACHE:-$HOME/.cache/ecommerce-platform}/tools/bin
for tool in helm kubectl; do
    command -v "$tool" >/dev/null || [[ -x $tools_bin/$tool ]] \
        || fail "$tool not found on PATH or in $tools_bin (run scripts/install-tools.sh)"
done
command -v helm >/dev/null || PATH=$tools_bin:$PATH
command -v kubectl >/dev/null || PATH=$tools_bin:$PATH
command -v kind >/dev/null || fail "kind not found on PATH (https://kind.sigs.k8s.io)"
command -v docker >/dev/null || fail "docker not found on PATH"
docker info >/dev/null 2>&1 || fail "no working Docker engine (docker info failed)"
[[ -x $python ]] || fail "$python not found; run ./dev test once, or set PYTHON"
kind get clusters 2>/dev/null | grep -qx "$cluster" \
    && fail "a kind cluster named $cluster exists; delete it or set E2E_CLUSTER"

work=$(mktemp -d -t eventgen-e2e-XXXXXX)
kubeconfig=$work/kubeconfig
teardown() {
    local status=$?
    if [[ -n ${E2E_KEEP_CLUSTER:-} ]]; then
        echo "e2e: kept cluster $cluster (KUBECONFIG=$kubeconfig)" >&2
    else
        kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
        rm -rf "$work"
    fi
    exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

say "kind cluster $cluster"
# The emulator's NodePort, mapped to the host so the checks can subscribe from here.
cat >"$work/kind.yaml" <<KIND
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - containerPort: 30085
        hostPort: $pubsub_port
        listenAddress: 127.0.0.1
KIND
kind create cluster --name "$cluster" --config "$work/kind.yaml" --kubeconfig "$kubeconfig" \
    ${E2E_KIND_NODE_IMAGE:+--image "$E2E_KIND_NODE_IMAGE"} --wait 180s
export KUBECONFIG=$kubeconfig

say "images: $image, $pubsub_image"
docker build -t "$image" .
docker image inspect "$pubsub_image" >/dev/null 2>&1 || docker pull "$pubsub_image"
kind load docker-image --name "$cluster" "$image" "$pubsub_image"

say "Pub/Sub emulator"
sed "s|PUBSUB_EMULATOR_IMAGE|$pubsub_image|" tests/e2e/manifests/pubsub-emulator.yaml \
    | kubectl apply -f -
kubectl -n pubsub-emulator rollout status deployment/pubsub-emulator --timeout=300s

say "chart"
# The watched namespace (values-kind.yaml) must exist before the chart puts its Role there.
kubectl create namespace e2e
helm install platform helm/platform --namespace eventgen --create-namespace \
    -f tests/e2e/values-kind.yaml --wait --timeout 5m

say "checks"
"$python" -m tests.e2e.scenario --kubeconfig "$kubeconfig" \
    --pubsub-host "127.0.0.1:$pubsub_port" --namespace e2e --operator-namespace eventgen
