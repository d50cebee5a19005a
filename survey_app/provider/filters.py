"""The dashboard's GET filters: read from the query string, offered back as choices.

Filters are a plain GET form (bookmarkable, works without JavaScript); an unknown value is
reported next to its field by the page rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

from survey_app.services.results import Filters

FIELDS = ("period", "pathway", "site", "mode")
MODE_NAMES = {"online": "Online", "kiosk": "Kiosk", "paper": "Paper", "telephone": "Telephone"}


def filters_from(args: Mapping[str, str]) -> Filters:
    """Return the filters in a query string; an empty value means "all" (or the default)."""
    values = {name: (args.get(name) or "").strip() or None for name in FIELDS}
    return Filters(**values)


def without_errors(filters: Filters, fields: set[str]) -> Filters:
    """Return the filters with the fields in error reset to their defaults."""
    values = {name: None if name in fields else getattr(filters, name) for name in FIELDS}
    return Filters(**values)


def query(filters: Filters, **changes: str | None) -> dict[str, str]:
    """Return the filters as query-string arguments (for links), leaving out defaults."""
    values = {name: getattr(filters, name) for name in FIELDS} | changes
    return {name: value for name, value in values.items() if value}


def select_items(choices: list[tuple[str, str]], chosen: str | None,
                 everything: str | None) -> list[dict[str, object]]:
    """Return NHS select items: optionally an "all" entry, then each choice."""
    items: list[dict[str, object]] = []
    if everything is not None:
        items.append({"value": "", "text": everything, "selected": chosen is None})
    items += [{"value": value, "text": text, "selected": value == chosen}
              for value, text in choices]
    return items
