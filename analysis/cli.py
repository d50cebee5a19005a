"""Command line for analysts: ``python -m analysis <command> …``.

Each command lives in its own module under ``analysis/commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
taking the parsed arguments and returning an exit status. Only the module of the
command being run is imported (statsmodels alone costs seconds to import), except
for top-level help, which lists them all.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys

COMMAND_MODULES = ("score", "instruments", "benchmark", "funnel", "drivers", "response-rate")


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def say(message: str) -> None:
    """Print progress or a summary on stderr, keeping stdout free for data and pipes."""
    print(message, file=sys.stderr, flush=True)


def build_parser(commands: tuple[str, ...] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """Return the parser with the given commands registered."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Score and benchmark care-transitions survey responses.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in commands:
        importlib.import_module(f"analysis.commands.{name.replace('-', '_')}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    requested = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = build_parser((requested,) if requested in COMMAND_MODULES else COMMAND_MODULES)
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except UsageError as exc:
        parser.exit(2, f"error: {exc}\n")
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of standard output stopped (``… | head``): end quietly, as ``cat`` does.

    Standard output is pointed at /dev/null so that Python's own flush at exit cannot
    raise again; the status is the shell's for a command ended by SIGPIPE.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 128 + int(signal.SIGPIPE)
