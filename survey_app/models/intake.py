"""Intake: discharge events arriving in batches (a CSV file, HL7 v2 messages, a FHIR Bundle),
the rules that decide who may be surveyed, and what each batch accepted or refused.

A batch records who sent what and when (with the file's SHA-256), its counts, and one
issue row per rejected row or message saying where and why. Issue rows never hold a
whole identifier: values are masked before they are stored (see
:func:`survey_app.services.intake_validation.masked`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db
from survey_app.models.checks import one_of
from survey_app.models.organisation import Organisation
from survey_app.models.pathway import Pathway
from survey_app.models.survey import Survey
from survey_app.models.time import UTCDateTime, utcnow
from survey_app.models.user import StaffUser

SOURCES = ("csv", "hl7_file", "hl7_http", "hl7_mllp", "fhir", "demo")
BATCH_STATUSES = ("running", "complete", "refused")
# Why an eligible-looking discharge is not invited (counted per batch, kept on the event).
EXCLUSION_REASONS = (
    "died", "under_16", "opted_out", "recently_surveyed", "no_contact", "excluded_by_rule",
    "no_survey",
)
CODE_KINDS = ("site", "pathway", "setting", "died")


class IntakeBatch(db.Model):
    """One import: a file, a posted message or Bundle, or an MLLP message."""

    __tablename__ = "intake_batches"
    __table_args__ = (
        one_of("source", SOURCES, name="source"),
        one_of("status", BATCH_STATUSES, name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    received_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"))
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("intake_credentials.id", ondelete="SET NULL"))
    # A provider user's upload may only hold that provider's discharges.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(10), default="running")
    refusal: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    excluded: Mapped[int] = mapped_column(Integer, default=0)
    invited: Mapped[int] = mapped_column(Integer, default=0)

    received_by: Mapped[StaffUser | None] = relationship()
    credential: Mapped[IntakeCredential | None] = relationship()
    provider: Mapped[Organisation | None] = relationship()
    issues: Mapped[list[IntakeIssue]] = relationship(
        order_by="IntakeIssue.id", cascade="all, delete-orphan")


class IntakeCredential(db.Model):
    """A secret a hospital's integration engine presents to post HL7 or FHIR to us
    (``Authorization: Bearer …``). Only its SHA-256 is stored; it posts discharges for one
    provider only; revoking it stops it at once."""

    __tablename__ = "intake_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[Organisation] = relationship()
    created_by: Mapped[StaffUser | None] = relationship()


class IntakeIssue(db.Model):
    """Why one row or message of a batch was rejected: where, which field, what was wrong."""

    __tablename__ = "intake_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("intake_batches.id", ondelete="CASCADE"), index=True)
    location: Mapped[str] = mapped_column(String(100))
    field: Mapped[str | None] = mapped_column(String(60))
    value: Mapped[str | None] = mapped_column(String(100))
    problem: Mapped[str] = mapped_column(String(300))


class OptOut(db.Model):
    """A person who asked not to be contacted again, known only by their patient key (a
    keyed HMAC of the NHS number), so the list itself holds no NHS numbers."""

    __tablename__ = "opt_outs"
    __table_args__ = (one_of("source", ("link", "administrator"), name="source"),)

    patient_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(15))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyRoute(db.Model):
    """Which survey an event gets: the most specific matching route wins (provider, site,
    pathway, care type each narrow it; an empty field matches anything)."""

    __tablename__ = "survey_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    pathway_id: Mapped[int | None] = mapped_column(ForeignKey("pathways.id"))
    care_type: Mapped[str | None] = mapped_column(String(40))

    survey: Mapped[Survey] = relationship()
    pathway: Mapped[Pathway | None] = relationship()


class ExclusionRule(db.Model):
    """Discharges a trust must not survey, e.g. a pathway or destination after bereavement."""

    __tablename__ = "exclusion_rules"
    __table_args__ = (
        CheckConstraint("pathway_id IS NOT NULL OR to_setting IS NOT NULL",
                        name="names_something"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    pathway_id: Mapped[int | None] = mapped_column(ForeignKey("pathways.id"))
    to_setting: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(200))


class CodeMapping(db.Model):
    """A trust's local code and what it means here: an HL7/FHIR location → site code, a
    hospital service → pathway code, a discharge destination → setting, or a disposition
    that means the patient died."""

    __tablename__ = "code_mappings"
    __table_args__ = (one_of("kind", CODE_KINDS, name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(60))
