"""The portal's GET filters: read from the query string, offered back as choices; pages.

Filters are a plain GET form (bookmarkable, works without JavaScript); an unknown value is
reported next to its field by the page rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from survey_app.results import Filters

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


def page_items(page: int, pages: int, href: Callable[[int], str],
               label: str = "Pages of comments") -> dict[str, object]:
    """Return NHS numbered pagination: the first and last pages and those beside the
    current one, with an ellipsis for each gap; previous and next links."""
    numbers = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, object]] = []
    for before, number in zip([0, *numbers], numbers, strict=False):
        if number - before > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == page})
    return {
        "ariaLabel": label,
        "items": items,
        "previous": {"href": href(page - 1)} if page > 1 else {},
        "next": {"href": href(page + 1)} if page < pages else {},
    }


def select_items(choices: list[tuple[str, str]], chosen: str | None,
                 everything: str | None) -> list[dict[str, object]]:
    """Return NHS select items: optionally an "all" entry, then each choice."""
    items: list[dict[str, object]] = []
    if everything is not None:
        items.append({"value": "", "text": everything, "selected": chosen is None})
    items += [{"value": value, "text": text, "selected": value == chosen}
              for value, text in choices]
    return items
