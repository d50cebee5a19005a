"""The one error the instruments package raises."""

from __future__ import annotations


class InstrumentError(ValueError):
    """A definition is malformed or a requested instrument/version/language does not exist.

    The message always names the file (or the id asked for), the field and the problem, so
    whoever maintains the data files can fix them without reading code.
    """
