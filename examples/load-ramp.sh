#!/usr/bin/env bash
# Load ramp: raise an EventGenerator's spec.rate in steps, wait at each step until the
# operator has scaled it and every pod is ready, hold, and show the replicas.
#
#   examples/load-ramp.sh [-n NAMESPACE] [-t HOLD_SECONDS] [-w WAIT_SECONDS] NAME RATE [RATE ...]
#   examples/load-ramp.sh -n eventgen -t 300 orders-stream 1000 5000 20000 50000 0
#
# A rate edit never restarts pods (the rate is live configuration): replicas grow as
# ceil(rate / maxRatePerReplica) and the running pods switch to the new per-replica rate.
# A final rate of 0 pauses the generator (0 replicas). Needs kubectl on PATH (or $KUBECTL).
set -euo pipefail

usage() {
    sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
fail() { echo "load-ramp: error: $1" >&2; exit "${2:-1}"; }

kubectl=${KUBECTL:-kubectl}
namespace=""
hold=60
wait_limit=600
while getopts ":n:t:w:h" option; do
    case $option in
        n) namespace=$OPTARG ;;
        t) hold=$OPTARG ;;
        w) wait_limit=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
(($# >= 2)) || usage
name=$1
shift
is_count() { [[ $1 =~ ^[0-9]+$ ]]; }
is_rate() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
is_count "$hold" || fail "-t HOLD_SECONDS must be a whole number of seconds, not '$hold'" 2
is_count "$wait_limit" || fail "-w WAIT_SECONDS must be a whole number of seconds, not '$wait_limit'" 2
for rate in "$@"; do
    is_rate "$rate" || fail "rate '$rate' is not a number of events per second >= 0" 2
done

k() {
    if [[ -n $namespace ]]; then "$kubectl" --namespace "$namespace" "$@"; else "$kubectl" "$@"; fi
}

# generation|observedGeneration|replicas|readyReplicas|ratePerReplica|phase ('|' keeps
# absent fields, e.g. readyReplicas before any pod is ready, in their place)
observe() {
    k get eventgenerator "$name" -o \
        jsonpath='{.metadata.generation}|{.status.observedGeneration}|{.status.replicas}|{.status.readyReplicas}|{.status.ratePerReplica}|{.status.phase}'
}

k get eventgenerator "$name" >/dev/null || fail "EventGenerator $name not found"

for rate in "$@"; do
    echo "load-ramp: $(date -u +%H:%M:%S) spec.rate -> $rate events/s"
    k patch eventgenerator "$name" --type merge -p "{\"spec\":{\"rate\":$rate}}" >/dev/null
    deadline=$((SECONDS + wait_limit))
    while :; do
        IFS='|' read -r generation observed replicas ready per_replica phase <<<"$(observe)"
        ready=${ready:-0}
        echo "load-ramp:   phase=$phase replicas=$replicas ready=$ready ratePerReplica=$per_replica"
        # Converged: the operator saw this edit and every wanted pod is ready.
        if [[ $observed == "$generation" && -n $replicas && $ready == "$replicas" ]]; then
            break
        fi
        ((SECONDS < deadline)) || fail "rate $rate: pods not ready after ${wait_limit}s (see: kubectl describe evgen $name)"
        sleep 5
    done
    echo "load-ramp:   holding $rate events/s for ${hold}s"
    sleep "$hold"
done
echo "load-ramp: done"
