"""Questionnaire instruments as versioned, validated data files.

Pure Python (no Flask, no database): the survey app, the scoring engine and analysts all
read instruments through this API.

    get_instrument("ctm15")            # latest version, English
    get_instrument("ctm15", "1", "en")
    list_instruments()                 # every shipped id + version
"""

from __future__ import annotations

from instruments.errors import InstrumentError
from instruments.registry import DEFINITIONS_DIR, Registry, default_registry, load_registry
from instruments.schema import (
    Instrument,
    InstrumentDefinition,
    Item,
    Option,
    ResponseSet,
    ScoringRule,
    Subscale,
    SummaryBands,
)

__all__ = [
    "DEFINITIONS_DIR",
    "Instrument",
    "InstrumentDefinition",
    "InstrumentError",
    "Item",
    "Option",
    "Registry",
    "ResponseSet",
    "ScoringRule",
    "Subscale",
    "SummaryBands",
    "get_instrument",
    "list_instruments",
    "load_registry",
]


def get_instrument(instrument_id: str, version: str | None = None,
                   language: str = "en") -> Instrument:
    """Return a shipped instrument version (latest when ``version`` is None) in a language."""
    return default_registry().get(instrument_id, version, language)


def list_instruments() -> list[Instrument]:
    """Return every shipped instrument version, by id then version."""
    return default_registry().list()
