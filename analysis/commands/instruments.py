"""``python -m analysis instruments``: list, show, check and publish instrument definitions.

- ``instruments`` lists every shipped instrument version;
- ``instruments show ctm15`` prints its items, response options and codes;
- ``instruments check [DIR]`` validates a directory of definitions (e.g. before adding one)
  and that no published file was edited;
- ``instruments publish [DIR]`` records new files in ``published.lock``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli import UsageError
from analysis.commands.score import load_instrument
from instruments import DEFINITIONS_DIR, Instrument, InstrumentError, Registry, load_registry
from instruments.published import lock_new_files, published_changes


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``instruments`` command and its actions."""
    parser = subparsers.add_parser("instruments", help="list or show instruments")
    parser.set_defaults(func=list_command)
    actions = parser.add_subparsers(dest="action")
    show = actions.add_parser("show", help="print an instrument's items and options")
    show.add_argument("instrument", help="instrument id, e.g. ctm15")
    show.add_argument("--version", help="version (default: latest)")
    show.add_argument("--language", default="en", help="language (default: en)")
    show.set_defaults(func=show_command)
    for name, func, text in (("check", check_command, "validate definition files"),
                             ("publish", publish_command, "lock new definition files")):
        action = actions.add_parser(name, help=text)
        action.add_argument("directory", nargs="?", type=Path, default=DEFINITIONS_DIR)
        action.set_defaults(func=func)


def list_command(args: argparse.Namespace) -> int:
    """Print one line per instrument version."""
    rows = [(i.id, i.version, str(len(i.items)), i.scoring.method if i.scoring else "not scored",
             ", ".join(i.languages), i.title) for i in _registry(DEFINITIONS_DIR).list()]
    print(_table(("id", "version", "items", "scoring", "languages", "title"), rows))
    return 0


def show_command(args: argparse.Namespace) -> int:
    """Print an instrument version: items with their response sets, then every option."""
    print(describe(load_instrument(args.instrument, args.version, args.language)))
    return 0


def check_command(args: argparse.Namespace) -> int:
    """Validate every file of a directory and the published lock; exit 1 on a problem."""
    registry = _registry(args.directory, verify_lock=False)
    problems = published_changes(args.directory)
    for problem in problems:
        print(f"problem: {problem}")
    print(f"{len(registry.list())} instrument versions valid; "
          f"{len(problems)} published-file problem(s).")
    return 1 if problems else 0


def publish_command(args: argparse.Namespace) -> int:
    """Validate, then record every not-yet-published file in the lock."""
    _registry(args.directory)
    for name in lock_new_files(args.directory):
        print(f"published {name}")
    return 0


def describe(instrument: Instrument) -> str:
    """A plain-text description of one instrument version."""
    lines = [f"{instrument.key}: {instrument.title} "
             f"(language {instrument.language}; available: {', '.join(instrument.languages)})"]
    lines += [f"{label}: {value}" for label, value in (
        ("Attribution", instrument.attribution), ("Terms of use", instrument.terms_of_use))
        if value]
    rule = instrument.scoring
    if rule is None:
        lines.append("Scoring: never scored")
    else:
        derived = "".join(f"; also yields {d.key}" for d in instrument.derived_instruments)
        lines.append(f"Scoring: {rule.method}, at least {rule.min_scored} scored answers"
                     f"{derived}")
    lines += ["", "Items:"]
    for item in instrument.items:
        notes = ([f"free text, up to {item.max_length} characters, optional, never scored"]
                 if item.is_free_text else [f"response set {item.response_set}"])
        notes += [f"hint: {item.hint}"] if item.hint and item.is_free_text else []
        notes += [f"theme {item.theme}"] if item.theme else []
        notes += ["reverse-scored"] if item.reverse else []
        notes += [f"emphasis: {', '.join(item.emphasis)}"] if item.emphasis else []
        notes += [f"source item {item.source_item}"] if item.source_item else []
        notes += ["asked first"] if item.ask_early else []
        lines.append(f"  {item.id:<14} {item.text}")
        lines.append(f"  {'':<14} ({'; '.join(notes)})")
    if not instrument.response_sets:
        return "\n".join([*lines, "", "Response options: none (free-text items only)"])
    lines += ["", "Response options (code, short code, label, score):"]
    for set_id, response_set in instrument.response_sets.items():
        lines.append(f"  {set_id}")
        rows = [("", o.code, o.short_code, o.label,
                 f"{o.score:g}" if o.score is not None else "not scored")
                for o in response_set.options]
        lines.append(_table(None, rows))
    return "\n".join(lines)


def _registry(directory: Path, *, verify_lock: bool = True) -> Registry:
    try:
        return load_registry(directory, verify_lock=verify_lock)
    except InstrumentError as exc:
        raise UsageError(str(exc)) from None


def _table(header: tuple[str, ...] | None, rows: list[tuple[str, ...]]) -> str:
    all_rows = ([header] if header else []) + rows
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(all_rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in all_rows)
