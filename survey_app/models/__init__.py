"""Database models, one module per aggregate. Importing this package registers them all."""

from survey_app.models.comment import Comment, CommentFollowUp
from survey_app.models.contact import ContactDetails, Message
from survey_app.models.event import TransitionEvent
from survey_app.models.intake import (
    CodeMapping,
    ExclusionRule,
    IntakeBatch,
    IntakeCredential,
    IntakeIssue,
    OptOut,
    SurveyRoute,
)
from survey_app.models.invitation import Invitation
from survey_app.models.organisation import Organisation, OrganisationType
from survey_app.models.pathway import Pathway
from survey_app.models.response import Answer, Response
from survey_app.models.score import ResponseScore
from survey_app.models.snapshot import ResultsSnapshot, SnapshotTable
from survey_app.models.survey import Survey, SurveyInstrument
from survey_app.models.time import utcnow
from survey_app.models.user import AuditEvent, StaffMembership, StaffUser

__all__ = [
    "Answer",
    "AuditEvent",
    "CodeMapping",
    "Comment",
    "CommentFollowUp",
    "ContactDetails",
    "ExclusionRule",
    "IntakeBatch",
    "IntakeCredential",
    "IntakeIssue",
    "Invitation",
    "Message",
    "OptOut",
    "Organisation",
    "OrganisationType",
    "Pathway",
    "Response",
    "ResponseScore",
    "ResultsSnapshot",
    "StaffMembership",
    "SnapshotTable",
    "StaffUser",
    "Survey",
    "SurveyInstrument",
    "SurveyRoute",
    "TransitionEvent",
    "utcnow",
]
