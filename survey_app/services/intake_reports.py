"""What the portal and ``flask intake csv`` show about intake batches: the list of an
organisation's batches, one batch's report (counts, exclusions by reason, every rejected
row) and the example row of the CSV template.

Callers pass the organisation the user's scope allows (None: every batch, for
administrators); a batch of another organisation is :class:`BatchNotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from survey_app.extensions import db
from survey_app.models import IntakeBatch, IntakeIssue, Organisation, Pathway
from survey_app.services.intake import exclusion_counts

BATCHES_PER_PAGE = 25
ISSUES_PER_PAGE = 100
SOURCE_NAMES = {"csv": "CSV file", "hl7_file": "HL7 v2 file", "hl7_http": "HL7 v2 over HTTPS",
                "hl7_mllp": "HL7 v2 over MLLP", "fhir": "FHIR Bundle", "demo": "Demo"}
EXCLUSION_NAMES = {
    "died": "Died", "under_16": "Under 16", "opted_out": "Asked not to be contacted",
    "excluded_by_rule": "A trust's exclusion rule",
    "no_survey": "No survey for the pathway, site or care type",
    "recently_surveyed": "Surveyed recently for the same pathway",
    "no_contact": "No usable contact details",
}

Item = TypeVar("Item")


class BatchNotFound(LookupError):
    """No such batch, or not one of the organisation's."""


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a longer list (numbered from 1)."""

    items: list[Item]
    number: int
    total: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def page_of(query: Select, number: int, size: int) -> Page:
    """Return page ``number`` (clamped to the pages there are) of ``query``'s rows."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = min(max(number, 1), max(1, -(-(total or 0) // size)))
    items = list(db.session.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items, number, total or 0, size)


def batches(provider: Organisation | None, number: int = 1) -> Page[IntakeBatch]:
    """Return a page of batches, newest first: the provider's, or all (None)."""
    query = select(IntakeBatch).options(
        selectinload(IntakeBatch.received_by), selectinload(IntakeBatch.credential),
        selectinload(IntakeBatch.provider)).order_by(IntakeBatch.id.desc())
    if provider is not None:
        query = query.where(IntakeBatch.provider_id == provider.id)
    return page_of(query, number, BATCHES_PER_PAGE)


def batch(batch_id: int, provider: Organisation | None) -> IntakeBatch:
    """Return the batch, if it is the provider's (any batch for None)."""
    found = db.session.get(IntakeBatch, batch_id)
    if found is None or (provider is not None and found.provider_id != provider.id):
        raise BatchNotFound(batch_id)
    return found


def issues(batch: IntakeBatch, number: int = 1,
           size: int = ISSUES_PER_PAGE) -> Page[IntakeIssue]:
    """Return a page of the batch's problems, in the order they were found."""
    return page_of(select(IntakeIssue).where(IntakeIssue.batch_id == batch.id)
                   .order_by(IntakeIssue.id), number, size)


def exclusions(batch: IntakeBatch) -> list[tuple[str, int]]:
    """Return (reason as words, count) for each exclusion reason the batch had."""
    counts = exclusion_counts(batch.id)
    return [(name, counts[reason]) for reason, name in EXCLUSION_NAMES.items()
            if counts.get(reason)]


def sender(batch: IntakeBatch) -> str:
    """Say who sent the batch: a staff member, an integration credential, or the command line."""
    if batch.received_by is not None:
        return batch.received_by.full_name
    if batch.credential is not None:
        return f"Integration: {batch.credential.name}"
    return "Command line" if batch.source in ("csv", "hl7_file") else SOURCE_NAMES[batch.source]


def template_example(provider: Organisation | None) -> dict[str, str]:
    """Return codes for the template's example row: the provider's own and one of its sites,
    and a pathway this deployment knows."""
    example = {}
    if provider is not None:
        example["provider_code"] = provider.code
        sites = sorted(site.code for site in provider.children if site.type_code == "site")
        example["site_code"] = sites[0] if sites else ""
    pathway = db.session.scalar(select(Pathway.code).order_by(Pathway.code).limit(1))
    if pathway:
        example["pathway_code"] = pathway
    return example
