"""The ``alembic-lint`` command: replay an unchanged report, else run the CLI (traced)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

EXIT_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run alembic-lint with ``argv`` (default: the process's arguments); the exit status.

    Imports only what a replay needs until it is clear that there is nothing to replay:
    click, the rules and the parsers cost most of a warm run's time."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["server"]:
        # The language server runs for hours: none of the devices that make a short run
        # faster (no replay trace wrapping os.stat and the standard streams, the cyclic
        # garbage collector left as it is) may reach it.
        from alembic_lint.cli import run

        return run(args)
    # A run is short and what it builds is nearly all freed by reference counting; the
    # cyclic collector's passes over the ever larger heap of imported modules were 4% of
    # a warm run. It is back on wherever LibCST parses many files (see engine._parse_all).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(args)
    except BrokenPipeError:
        # The reader went away (`alembic-lint --diff | head -1`): stop quietly. Python's
        # last flush of stdout at exit would fail again and print a warning; give it
        # somewhere to write.
        _stdout_to_devnull()
        return EXIT_ERROR
    finally:
        if collecting:
            gc.enable()


def _stdout_to_devnull() -> None:
    import os

    try:
        descriptor = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return  # not a file (a test's capture): nothing will be flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


def _main(args: list[str]) -> int:
    from alembic_lint import replay

    status = replay.try_replay(args)
    if status is not None:
        return status
    trace = replay.Trace(args) if replay.may_record(args) else None
    if trace is not None:
        trace.start()
    status = EXIT_ERROR
    try:
        from alembic_lint.cli import run

        status = run(args)
    finally:
        if trace is not None:
            trace.finish(status)
    return status
