"""The error every administrative service raises when a request breaks one of its rules."""

from __future__ import annotations


class FieldError(ValueError):
    """A value broke a rule; ``field`` names the form field at fault, ``message`` says
    what to do, in the words the page shows next to that field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
