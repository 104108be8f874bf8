"""The ``eventgen`` command's entry point: parse, run one command, map errors to exit codes.

Every long flag ``--foo-bar`` also reads ``EVENTGEN_FOO_BAR`` (the flag wins). Errors are
one line on stderr: ``eventgen: error: ...`` with exit 2 for bad input, 1 for failures
while running.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from eventgen.cli.parser import parse_args
from eventgen.errors import ConfigError, EventgenError
from eventgen.runtime.stopping import StopFlag, stop_on_signals
from eventgen.runtime.termination import write_termination_message
from eventgen.shop.allocator import tune_allocator

EXIT_FAILURE = 1
EXIT_USAGE = 2


def _fatal(line: str, code: int, environ: Mapping[str, str]) -> int:
    """Say `line` on stderr and, in a container, as its termination message."""
    print(line, file=sys.stderr)
    write_termination_message(line, environ)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventgen`` command; returns the exit code."""
    environ = os.environ
    # Before anything large is allocated: a long run's arrays then go back to the OS.
    tune_allocator()
    # The handlers go in before the generator and the cloud clients are imported (a second
    # or more): a signal from then on ends the run cleanly, with its summary.
    stop = StopFlag()
    try:
        with stop_on_signals(stop):
            return run_command(argv, environ, stop)
    except KeyboardInterrupt:
        # A second Ctrl-C: the user wants out now, not a traceback.
        print("eventgen: error: interrupted", file=sys.stderr)
        return 130


def run_command(argv: Sequence[str] | None, environ: Mapping[str, str], stop: StopFlag) -> int:
    """Parse and run one command; errors become one line on stderr and an exit code."""
    try:
        args = parse_args(argv, environ)
        # Imported once the arguments are good: the signal handlers are already in place.
        if args.command == "schema":
            from eventgen.cli.commands import schema

            return schema(args)
        if args.command == "audit":
            from eventgen.audit.command import run as audit

            return audit(args)
        if args.command == "stream":
            from eventgen.cli.stream import stream

            return stream(args, environ, stop)
        from eventgen.cli.batch import batch

        return batch(args, environ, stop)
    except ConfigError as error:
        return _fatal(f"eventgen: error: {error}", EXIT_USAGE, environ)
    except EventgenError as error:
        return _fatal(f"eventgen: error: {error}", EXIT_FAILURE, environ)
    except BrokenPipeError:
        # The reader of stdout went away (`eventgen schema | head`): nothing left to say;
        # point stdout at /dev/null so the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
