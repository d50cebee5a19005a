"""A trust's local codes for HL7 v2 and FHIR intake (``code_mappings``): a location → a site
code, a hospital service or service type → a pathway, a discharge disposition or
destination → a setting, or a disposition meaning the patient died (yes/no). A mapping
for a provider wins over one for every provider. Each change is audited."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import CodeMapping, Organisation, StaffUser
from survey_app.models.event import SETTINGS
from survey_app.models.intake import CODE_KINDS
from survey_app.services import audit
from survey_app.services.errors import FieldError
from survey_app.services.intake_rules import organisation, pathway


def checked_value(kind: str, value: str, provider: Organisation | None) -> str:
    """Return ``value`` in its stored form if it means something for ``kind``."""
    value = value.strip()
    if kind == "pathway":
        found = pathway(value)
        assert found is not None
        return found.code
    if kind == "site":
        site = organisation(value, "site", "value")
        assert site is not None
        if provider is not None and site.parent_id != provider.id:
            raise FieldError("value", f"Site {site.code} does not belong to {provider.code}")
        return site.code
    if kind == "setting":
        if value.lower() not in SETTINGS:
            raise FieldError("value", f"A setting must be one of {', '.join(SETTINGS)}")
        return value.lower()
    if value.lower() not in ("yes", "no"):
        raise FieldError("value", "A died mapping is yes or no")
    return value.lower()


def find_mapping(provider: Organisation | None, kind: str, code: str) -> CodeMapping | None:
    owner = (CodeMapping.provider_id == provider.id if provider
             else CodeMapping.provider_id.is_(None))
    return db.session.scalar(select(CodeMapping).where(
        owner, CodeMapping.kind == kind, CodeMapping.code == code.strip().upper()))


def add_mapping(*, kind: str, code: str, value: str, provider: str | None = None,
                actor: StaffUser | None = None) -> CodeMapping:
    """Say that ``code`` (of ``provider``, or of every provider) means ``value``;
    replace what it meant before."""
    if kind not in CODE_KINDS:
        raise FieldError("kind", f"The kind must be one of {', '.join(CODE_KINDS)}")
    code = code.strip().upper()
    if not code or len(code) > 60 or not code.isprintable():
        raise FieldError("code", "The code must be 1 to 60 printable characters")
    org = organisation(provider, "provider", "provider")
    stored = checked_value(kind, value, org)
    mapping = find_mapping(org, kind, code) or CodeMapping(
        provider_id=org.id if org else None, kind=kind, code=code, value=stored)
    mapping.value = stored
    db.session.add(mapping)
    db.session.flush()
    audit.record("code_mapping_set", actor=actor, object_type="code_mapping",
                 object_id=mapping.id, detail=describe(mapping))
    db.session.commit()
    return mapping


def remove_mapping(*, kind: str, code: str, provider: str | None = None,
                   actor: StaffUser | None = None) -> None:
    """Remove a mapping; FieldError when there is none."""
    org = organisation(provider, "provider", "provider")
    mapping = find_mapping(org, kind, code)
    if mapping is None:
        raise FieldError("code", f"There is no {kind} mapping for {code.strip().upper()}"
                                 + (f" at {org.code}" if org else " for every provider"))
    audit.record("code_mapping_removed", actor=actor, object_type="code_mapping",
                 object_id=mapping.id, detail=describe(mapping))
    db.session.delete(mapping)
    db.session.commit()


def mappings(provider: str | None = None, kind: str | None = None) -> list[CodeMapping]:
    """Return the mappings (of one provider, and those for every provider), ordered."""
    query = select(CodeMapping).order_by(CodeMapping.kind, CodeMapping.code, CodeMapping.id)
    if provider:
        org = organisation(provider, "provider", "provider")
        assert org is not None
        query = query.where((CodeMapping.provider_id == org.id)
                            | CodeMapping.provider_id.is_(None))
    if kind:
        query = query.where(CodeMapping.kind == kind)
    return list(db.session.scalars(query))


def describe(mapping: CodeMapping) -> str:
    """Say a mapping in words: ``RX1 pathway 300 → stroke``."""
    owner = db.session.get(Organisation, mapping.provider_id) if mapping.provider_id else None
    return (f"{owner.code if owner else 'every provider'} {mapping.kind} {mapping.code} → "
            f"{mapping.value}")
