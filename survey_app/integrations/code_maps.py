"""A trust's local codes and what they mean here, read once per input for the HL7 v2 and
FHIR adapters: the ``code_mappings`` rows (a provider's own first, then those for every
provider), the adapters' defaults for standard code tables, and the codes we know.

    maps = load_code_maps()
    maps.value("pathway", "300", "RX1")      # "stroke", or None when unmapped
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import CodeMapping, Organisation, Pathway


@dataclass(frozen=True)
class CodeMaps:
    """Mappings keyed (provider code or "", kind, CODE); the provider and pathway codes."""

    mappings: Mapping[tuple[str, str, str], str]
    providers: frozenset[str]
    pathways: frozenset[str]

    def value(self, kind: str, code: str, provider: str) -> str | None:
        """Return what ``code`` means for ``provider`` (its own mapping first), or None."""
        code = code.strip().upper()
        if not code:
            return None
        return (self.mappings.get((provider.strip().upper(), kind, code))
                or self.mappings.get(("", kind, code)))

    def first(self, kind: str, codes: Iterable[str], provider: str,
              defaults: Mapping[str, str] | None = None) -> tuple[str, str] | None:
        """Return (code, meaning) for the first code mapped, or else found in ``defaults``."""
        codes = [code.strip() for code in codes if code and code.strip()]
        for code in codes:
            if (meaning := self.value(kind, code, provider)) is not None:
                return code, meaning
        for code in codes:
            if defaults and (meaning := defaults.get(code.upper())) is not None:
                return code, meaning
        return None

    def pathway(self, codes: Iterable[str], provider: str) -> str:
        """Return the pathway for the first code that maps to one or is one, else the
        first code as it came (the field rules then say it is unknown), else ""."""
        codes = [code.strip() for code in codes if code and code.strip()]
        found = self.first("pathway", codes, provider)
        if found:
            return found[1]
        known = [code for code in codes if code.lower() in self.pathways]
        return (known or codes or [""])[0]

    def died(self, codes: Iterable[str], provider: str, defaults: frozenset[str]) -> bool:
        """Say whether any code means the patient died (a mapping "no" overrides a default)."""
        for code in (code.strip() for code in codes if code and code.strip()):
            meaning = self.value("died", code, provider)
            if meaning is not None:
                if meaning.lower() in ("yes", "y", "true", "1"):
                    return True
            elif code.upper() in defaults:
                return True
        return False


def load_code_maps() -> CodeMaps:
    """Read every mapping, provider code and pathway code (small tables) for one input."""
    rows = db.session.execute(
        select(CodeMapping.kind, CodeMapping.code, CodeMapping.value, Organisation.code)
        .outerjoin(Organisation, Organisation.id == CodeMapping.provider_id)
        .order_by(CodeMapping.id)).all()
    mappings = {((provider or "").upper(), kind, code.strip().upper()): value
                for kind, code, value, provider in rows}
    providers = db.session.scalars(
        select(Organisation.code).where(Organisation.type_code == "provider")).all()
    pathways = db.session.scalars(select(Pathway.code)).all()
    return CodeMaps(mappings, frozenset(code.upper() for code in providers),
                    frozenset(code.lower() for code in pathways))
