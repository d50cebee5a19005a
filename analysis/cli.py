"""Command line for analysts: ``python -m analysis <command> …``.

Each command lives in its own module under ``analysis/commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
taking the parsed arguments and returning an exit status.
"""

from __future__ import annotations

import argparse
import importlib

COMMAND_MODULES = ("score", "instruments", "benchmark", "funnel")


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Score and benchmark care-transitions survey responses.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"analysis.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"analysis.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        parser.exit(2, f"error: {exc}\n")
