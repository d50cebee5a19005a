"""What typed text may contain: the rule every form (patient and staff alike) applies.

Control characters (NUL included, which PostgreSQL refuses and SQLite stores), ANSI escape
sequences (they start with ESC, a control character), the bidirectional overrides that can
disguise text (U+202A–U+202E, U+2066–U+2069) and U+FFFD (what a browser's invalid UTF-8
decodes to) are refused with a plain message, identically on every database. Tabs and
line breaks are ordinary text; so are the joiners some scripts and emoji need.
"""

from __future__ import annotations

import re

HIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]"
)
UNREADABLE = "\ufffd"
HIDDEN_MESSAGE = (
    "Remove the hidden control or formatting characters (they can come from copying text "
    "from another app)"
)
UNREADABLE_MESSAGE = (
    "Some characters could not be read. Type the text again rather than pasting it"
)


def text_problem(text: str) -> str | None:
    """Return what is wrong with ``text`` as a message for the person typing it, or None."""
    if UNREADABLE in text:
        return UNREADABLE_MESSAGE
    if HIDDEN_CHARACTERS.search(text):
        return HIDDEN_MESSAGE
    return None
