"""Free-text comments for the provider they are about: read (masked), flag, follow up.

Every function takes the signed-in user's :class:`~survey_app.auth.scope.Scope` and the
provider, and only ever touches comments on that provider's submitted responses, so a
comment id from someone else's list is "not found", exactly like one that does not exist.
Providers see only the masked words (``masked_text``); the raw words are for the
administrators' safety review and are erased under the retention rule (``erase_raw_text``).
Comments never enter benchmark tables or reports. Follow-up notes are added, never
replaced: each keeps who wrote it and when, and the first closes the concern.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import aliased

from survey_app.extensions import db
from survey_app.models import (
    Comment,
    CommentFollowUp,
    Invitation,
    Organisation,
    Pathway,
    Response,
    StaffUser,
    TransitionEvent,
    utcnow,
)
from survey_app.models.comment import FLAG_REASON_LIMIT, FOLLOW_UP_NOTE_LIMIT
from survey_app.results.periods import UnknownPeriod, period_label, period_of
from survey_app.services import audit
from survey_app.services.errors import FieldError

DEFAULT_RAW_TEXT_DAYS = 90  # docs/operations.md, "Free-text comments: retention"
PAGE_LIMIT = 200  # flagged comments and the safety review, one page each
DEFAULT_PER_PAGE = 50  # the comments list, page by page
WORDS_LIMIT = 200
# The comments list's safety-flag filter: value → words.
FLAG_CHOICES = (
    ("none", "Not flagged"),
    ("flagged", "Safety concern: any"),
    ("awaiting", "Safety concern: awaiting follow-up"),
    ("followed-up", "Safety concern: followed up"),
)


class ScopeLike(Protocol):
    """What the service needs of a scope: may this user see the organisation by name?"""

    def can_see(self, organisation_id: int) -> bool: ...


class CommentNotFound(LookupError):
    """No comment with that id on this provider's responses (or outside the user's scope)."""


@dataclass(frozen=True)
class CommentFilters:
    """The comments page's choices: ``None`` means everything. ``words``: every word must
    be in the masked comment; ``flag``: one of :data:`FLAG_CHOICES`."""

    pathway: str | None = None
    period: str | None = None
    words: str | None = None
    flag: str | None = None


class PageNotFound(LookupError):
    """A page number before the first or after the last page of comments."""


@dataclass(frozen=True)
class FollowUpNote:
    """One note of what was done: by whom (None once their account is gone) and when."""

    written_at: datetime
    written_by: str | None
    note: str


@dataclass(frozen=True)
class ProviderComment:
    """One comment as a provider sees it: masked words and where they came from."""

    id: int
    masked_text: str
    pathway: str
    site: str | None
    period: str
    submitted_on: date
    flagged_at: datetime | None
    flag_reason: str | None
    flagged_by: str | None
    followed_up_at: datetime | None
    follow_ups: tuple[FollowUpNote, ...] = ()  # oldest first

    @property
    def status(self) -> str:
        """``not_flagged``, ``awaiting_follow_up`` or ``followed_up``."""
        if self.flagged_at is None:
            return "not_flagged"
        return "awaiting_follow_up" if self.followed_up_at is None else "followed_up"


@dataclass(frozen=True)
class SafetyReviewItem:
    """A flagged comment as administrators review it: the raw words (while kept)."""

    id: int
    provider: str
    text: str | None
    masked_text: str
    discharge_date: date
    flag_reason: str | None
    flagged_at: datetime
    followed_up_at: datetime | None


def _check_scope(scope: ScopeLike, provider: Organisation) -> None:
    if not scope.can_see(provider.id):
        raise CommentNotFound(f"no comments of {provider.code} in this scope")


def quarter_bounds(period: str) -> tuple[date, date]:
    """Return the first and last day of a quarter such as ``2026-Q2``."""
    label = period_label(period)
    year, quarter = int(label[:4]), int(label[-1])
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, after - timedelta(days=1)


def _provider_comments(provider: Organisation) -> Select[Any]:
    """Comments with words in them, on the provider's submitted responses."""
    site = aliased(Organisation)
    flagger = aliased(StaffUser)
    return (
        select(Comment, Pathway.name, site.name, TransitionEvent.discharge_date,
               Response.submitted_at, flagger.full_name)
        .join(Response, Response.id == Comment.response_id)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(TransitionEvent, TransitionEvent.id == Invitation.event_id)
        .join(Pathway, Pathway.id == TransitionEvent.pathway_id)
        .outerjoin(site, site.id == TransitionEvent.site_id)
        .outerjoin(flagger, flagger.id == Comment.flagged_by_id)
        .where(
            TransitionEvent.provider_id == provider.id,
            Response.status == "submitted",
            Comment.masked_text != "",
        )
    )


def _rows(query: Select[Any], limit: int | None = PAGE_LIMIT) -> list[ProviderComment]:
    found = db.session.execute(query if limit is None else query.limit(limit)).all()
    notes = _follow_up_notes([row[0].id for row in found])
    return [
        ProviderComment(
            id=comment.id, masked_text=comment.masked_text, pathway=pathway, site=site,
            period=period_of(discharged), submitted_on=submitted.date(),
            flagged_at=comment.flagged_at, flag_reason=comment.flag_reason,
            flagged_by=flagged_by, followed_up_at=comment.followed_up_at,
            follow_ups=notes.get(comment.id, ()),
        )
        for comment, pathway, site, discharged, submitted, flagged_by in found
    ]


def _follow_up_notes(comment_ids: Sequence[int]) -> dict[int, tuple[FollowUpNote, ...]]:
    """Return the follow-up notes of these comments (one query), oldest first."""
    if not comment_ids:
        return {}
    notes: dict[int, list[FollowUpNote]] = {}
    query = (
        select(CommentFollowUp, StaffUser.full_name)
        .outerjoin(StaffUser, StaffUser.id == CommentFollowUp.written_by_id)
        .where(CommentFollowUp.comment_id.in_(comment_ids))
        .order_by(CommentFollowUp.written_at, CommentFollowUp.id)
    )
    for note, writer in db.session.execute(query):
        notes.setdefault(note.comment_id, []).append(
            FollowUpNote(written_at=note.written_at, written_by=writer, note=note.note))
    return {comment_id: tuple(listed) for comment_id, listed in notes.items()}


@dataclass(frozen=True)
class CommentPage:
    """One page of the comments list: its comments, and where it is among all that match."""

    rows: list[ProviderComment]
    total: int  # comments matching the filters, on every page
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """The position of the page's first comment among all that match (from 1)."""
        return (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def _like_anywhere(term: str) -> str:
    """Return a LIKE pattern finding ``term`` anywhere, its ``%``, ``_`` and ``\\`` literal."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(provider: Organisation, filters: CommentFilters) -> Select[Any]:
    """The provider's comments matching the filters. Words are searched in the masked words
    only: searching the raw words would say which comments name a masked person."""
    query = _provider_comments(provider)
    if filters.pathway:
        query = query.where(Pathway.code == filters.pathway)
    if filters.period:
        first, last = quarter_bounds(filters.period)
        query = query.where(TransitionEvent.discharge_date.between(first, last))
    for term in (filters.words or "").split():
        query = query.where(Comment.masked_text.ilike(_like_anywhere(term), escape="\\"))
    if filters.flag == "none":
        query = query.where(Comment.flagged_at.is_(None))
    elif filters.flag == "flagged":
        query = query.where(Comment.flagged_at.is_not(None))
    elif filters.flag == "awaiting":
        query = query.where(Comment.flagged_at.is_not(None), Comment.followed_up_at.is_(None))
    elif filters.flag == "followed-up":
        query = query.where(Comment.followed_up_at.is_not(None))
    return query


def list_comments(
    scope: ScopeLike, provider: Organisation, filters: CommentFilters, page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> CommentPage:
    """Return one page of the provider's comments (masked) matching the filters, newest
    first; :class:`PageNotFound` for a page before the first or after the last."""
    _check_scope(scope, provider)
    query = _filtered(provider, filters)
    total = int(db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(Comment.id).subquery())
    ) or 0)
    found = CommentPage([], total, page, per_page)
    if not 1 <= page <= found.pages:
        raise PageNotFound(f"page {page} of {found.pages}")
    rows = _rows(query.order_by(Response.submitted_at.desc(), Comment.id.desc())
                 .limit(per_page).offset((page - 1) * per_page), limit=None)
    return CommentPage(rows, total, page, per_page)


def awaiting_follow_up(scope: ScopeLike, provider: Organisation) -> int:
    """Return how many of the provider's comments are flagged and not yet followed up."""
    _check_scope(scope, provider)
    query = _filtered(provider, CommentFilters(flag="awaiting"))
    return int(db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(Comment.id).subquery())
    ) or 0)


def flagged_comments(scope: ScopeLike, provider: Organisation) -> list[ProviderComment]:
    """Return the provider's flagged comments: awaiting follow-up first, then the rest."""
    _check_scope(scope, provider)
    query = _provider_comments(provider).where(Comment.flagged_at.is_not(None))
    return _rows(query.order_by(Comment.followed_up_at.is_not(None), Comment.flagged_at.desc()))


def filter_choices(scope: ScopeLike, provider: Organisation) -> tuple[list[tuple[str, str]],
                                                                      list[str]]:
    """Return the pathways (code, name) and periods, newest first, the provider has
    comments for."""
    _check_scope(scope, provider)
    rows = db.session.execute(
        _provider_comments(provider).with_only_columns(
            Pathway.code, Pathway.name, TransitionEvent.discharge_date
        ).distinct()
    ).all()
    pathways = sorted({(code, name) for code, name, _ in rows}, key=lambda p: p[1])
    periods = sorted({period_of(day) for _, _, day in rows}, reverse=True)
    return pathways, periods


def check_filters(filters: CommentFilters, pathways: Sequence[tuple[str, str]],
                  periods: Sequence[str]) -> list[tuple[str, str]]:
    """Return (field, message) for each filter value that names nothing on offer."""
    problems = []
    if filters.words and len(filters.words) > WORDS_LIMIT:
        problems.append(("words", f"Enter {WORDS_LIMIT} characters or fewer"))
    if filters.pathway and filters.pathway not in {code for code, _ in pathways}:
        problems.append(("pathway", "Choose a pathway from the list"))
    if filters.period:
        try:
            known = period_label(filters.period) in periods
        except UnknownPeriod:
            known = False
        if not known:
            problems.append(("period", "Choose a period from the list"))
    if filters.flag and filters.flag not in dict(FLAG_CHOICES):
        problems.append(("flag", "Choose a safety flag from the list"))
    return problems


def get_comment(scope: ScopeLike, provider: Organisation, comment_id: int) -> ProviderComment:
    """Return one of the provider's comments (masked); CommentNotFound otherwise."""
    _check_scope(scope, provider)
    found = _rows(_provider_comments(provider).where(Comment.id == comment_id))
    if not found:
        raise CommentNotFound(f"no comment {comment_id} for {provider.code}")
    return found[0]


def flag_comment(scope: ScopeLike, provider: Organisation, comment_id: int, reason: str,
                 actor: StaffUser) -> ProviderComment:
    """Flag a comment as a safety concern for follow-up, with the reason (audited).

    A comment already flagged keeps its first flag: the follow-up is already under way.
    """
    comment = get_comment(scope, provider, comment_id)
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", "Enter why this comment is a safety concern")
    if len(reason) > FLAG_REASON_LIMIT:
        raise FieldError("reason", f"Reason must be {FLAG_REASON_LIMIT} characters or fewer")
    if comment.flagged_at is None:
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment.id, Comment.flagged_at.is_(None))
            .values(flagged_at=utcnow(), flagged_by_id=actor.id, flag_reason=reason)
        )
        audit.record("comment_flagged", actor=actor, object_type="comment",
                     object_id=comment.id, detail=f"{provider.code}: {reason}")
        db.session.commit()
    return get_comment(scope, provider, comment_id)


def record_follow_up(scope: ScopeLike, provider: Organisation, comment_id: int, note: str,
                     actor: StaffUser) -> ProviderComment:
    """Add a note of what was done about a flagged comment (audited); the first note marks
    it as followed up. Every note is kept, with who wrote it and when."""
    comment = get_comment(scope, provider, comment_id)
    note = note.strip()
    if comment.flagged_at is None:
        raise FieldError("note", "Only a comment flagged as a safety concern can be followed up")
    if not note:
        raise FieldError("note", "Enter what was done to follow up this concern")
    if len(note) > FOLLOW_UP_NOTE_LIMIT:
        raise FieldError("note", f"Note must be {FOLLOW_UP_NOTE_LIMIT} characters or fewer")
    now = utcnow()
    db.session.add(CommentFollowUp(comment_id=comment.id, written_at=now,
                                   written_by_id=actor.id, note=note))
    db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.followed_up_at.is_(None))
        .values(followed_up_at=now, followed_up_by_id=actor.id)
    )
    audit.record("comment_followed_up", actor=actor, object_type="comment",
                 object_id=comment.id, detail=f"{provider.code}: {note}")
    db.session.commit()
    return get_comment(scope, provider, comment_id)


def safety_review(limit: int = PAGE_LIMIT) -> list[SafetyReviewItem]:
    """Return every flagged comment with its raw words (administrators only), awaiting
    follow-up first."""
    query = (
        select(Comment, Organisation.name, TransitionEvent.discharge_date)
        .join(Response, Response.id == Comment.response_id)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(TransitionEvent, TransitionEvent.id == Invitation.event_id)
        .join(Organisation, Organisation.id == TransitionEvent.provider_id)
        .where(Comment.flagged_at.is_not(None))
        .order_by(Comment.followed_up_at.is_not(None), Comment.flagged_at.desc())
        .limit(limit)
    )
    return [
        SafetyReviewItem(
            id=comment.id, provider=provider, text=comment.text,
            masked_text=comment.masked_text, discharge_date=discharged,
            flag_reason=comment.flag_reason, flagged_at=comment.flagged_at,
            followed_up_at=comment.followed_up_at,
        )
        for comment, provider, discharged in db.session.execute(query)
    ]


def shown_comments(ids: Sequence[int], limit: int = audit.DETAIL_LIMIT) -> str:
    """Say which comments a page showed, for its audit event: "2 flagged comments shown
    (comments 4, 9)", the ids cut short with "and N more" rather than mid-number."""
    count = len(ids)
    said = f"{count} flagged comment{'' if count == 1 else 's'} shown"
    if not ids:
        return said
    listed = [str(i) for i in ids]
    for keep in range(count, 0, -1):
        more = f" and {count - keep} more" if keep < count else ""
        text = (f"{said} (comment{'' if count == 1 else 's'} {', '.join(listed[:keep])}"
                f"{more})")
        if len(text) <= limit:
            return text
    return said


def erase_raw_text(*, keep_days: int = DEFAULT_RAW_TEXT_DAYS,
                   now: datetime | None = None) -> int:
    """Erase the raw words of comments last written more than ``keep_days`` ago, keeping
    the masked words; a flag awaiting follow-up keeps its raw words until followed up.
    Return how many comments were erased."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    erased = db.session.execute(
        update(Comment)
        .where(
            Comment.text.is_not(None),
            Comment.updated_at < cutoff,
            or_(Comment.flagged_at.is_(None), Comment.followed_up_at.is_not(None)),
        )
        .values(text=None)
    )
    db.session.commit()
    return int(erased.rowcount or 0)
