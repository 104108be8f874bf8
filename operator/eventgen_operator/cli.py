"""`eventgen-operator`: run the kopf operator for EventGenerators.

Namespaces are chosen like `kopf run`: `--namespace NAME` (repeatable; globs such as
`team-*` allowed) or `--all-namespaces`. kopf runs standalone (no peering objects), so run
one operator per cluster (the chart's Deployment uses the Recreate strategy for that).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Sequence

import kopf

from eventgen_operator import (
    handlers,  # noqa: F401  (registers the handlers with kopf)
    outage_logs,
)
from eventgen_operator.config import OperatorConfig

DEFAULT_LIVENESS = "http://0.0.0.0:8080/healthz"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line; exits with status 2 and one line on bad usage."""
    parser = argparse.ArgumentParser(
        prog="eventgen-operator",
        description="Run the EventGenerator operator (kopf, standalone).",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=[],
        metavar="NAME",
        help="watch this namespace (repeatable; glob patterns allowed)",
    )
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace")
    parser.add_argument(
        "--liveness",
        default=os.environ.get("EVENTGEN_OPERATOR_LIVENESS", DEFAULT_LIVENESS),
        metavar="URL",
        help=f"liveness endpoint to serve (default {DEFAULT_LIVENESS}; empty disables)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    args = parser.parse_args(argv)
    if not args.namespace and not args.all_namespaces:
        parser.exit(2, "eventgen-operator: pass --all-namespaces or --namespace NAME\n")
    return args


def operator_identity() -> str:
    """Who this operator is, for kopf: the pod's name (``POD_ID``, from the downward API)
    or, outside a pod, ``eventgen-operator@HOST/PID``.

    Passed to kopf explicitly because kopf's own fallback calls ``getpass.getuser()``, which
    raises for a numeric uid without a passwd entry: exactly how the image runs (uid 10001).
    """
    return os.environ.get("POD_ID") or f"eventgen-operator@{socket.gethostname()}/{os.getpid()}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit status."""
    args = parse_args(argv)
    kopf.configure(verbose=args.verbose, quiet=args.quiet)
    outage_logs.install()
    if not args.verbose:
        # kopf logs a line per handled watch event of every child; with hundreds of
        # generators that buries the operator's own "applied ..." lines. Warnings and
        # handler failures still show.
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
        # urllib3 warns on every connection retry, one line per request during an API
        # outage; the supervisor says the outage once.
        logging.getLogger("urllib3").setLevel(logging.ERROR)
    try:
        config = OperatorConfig.from_env()
    except ValueError as error:
        print(f"eventgen-operator: error: {error}", file=sys.stderr)
        return 2
    memo = kopf.Memo(config=config)
    try:
        kopf.run(
            standalone=True,
            identity=operator_identity(),  # type: ignore[arg-type]  # kopf's NewType of str
            clusterwide=args.all_namespaces,
            namespaces=args.namespace,
            liveness_endpoint=args.liveness or None,
            memo=memo,
        )
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
