"""Free-text comments in the provider portal: read (masked), flag a safety concern, follow up.

    /provider/<org>/comments                          masked comments, page by page; search
                                                      by words, pathway, period and flag
    /provider/<org>/comments/flagged                  safety concerns awaiting follow-up
    /provider/<org>/comments/<id>/flag                flag one as a safety concern (form)
    /provider/<org>/comments/<id>/follow-up           record that it was followed up, or add
                                                      a later note (form; every note is kept)

The form pages are exempt from the blanket CSRF check so that the scope check answers first
(404 for another provider's comment, the same as for one that does not exist); their forms
still refuse a post without this session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import TextAreaField

from survey_app.auth import current_scope, current_staff, staff_required
from survey_app.extensions import csrf
from survey_app.forms import Form
from survey_app.models import Organisation
from survey_app.models.comment import FLAG_REASON_LIMIT, FOLLOW_UP_NOTE_LIMIT
from survey_app.provider import bp
from survey_app.provider.filters import page_items, select_items
from survey_app.services import comments as service
from survey_app.services.comments import (
    CommentFilters,
    CommentNotFound,
    PageNotFound,
    ProviderComment,
)
from survey_app.services.errors import FieldError

PORTAL_ROLES = ("administrator", "provider")


class FlagForm(Form):
    """Why a comment is a safety concern."""

    reason = TextAreaField("Why is this a safety concern?", description=(
        "For example, a patient at home without medicines or care they need. Your name and "
        "the time are recorded."))


class FollowUpForm(Form):
    """What was done about a flagged comment."""

    note = TextAreaField("What was done to follow this up?", description=(
        "For example, who contacted the patient's GP or care team, and when."))


def _comment_or_404(org: Organisation, comment_id: int) -> ProviderComment:
    try:
        return service.get_comment(current_scope(), org, comment_id)
    except CommentNotFound:
        abort(404)


FILTER_FIELDS = ("pathway", "period", "words", "flag")


def _page_number() -> int:
    """Return the ``page`` asked for (1 when none); 404 for anything but a number."""
    asked = request.args.get("page") or "1"
    if not asked.isdigit():
        abort(404)
    return int(asked)


@bp.get("/<org_code>/comments")
@staff_required(*PORTAL_ROLES)
def comments(org_code: str) -> tuple[str, int]:
    """List the provider's comments, identifiers masked, a page at a time, searched by
    words, pathway, period and safety flag."""
    org = current_scope().require_provider(org_code)
    pathways, periods = service.filter_choices(current_scope(), org)
    asked = CommentFilters(**{name: (request.args.get(name) or "").strip() or None
                              for name in FILTER_FIELDS})
    problems = service.check_filters(asked, pathways, periods)
    wrong = {field for field, _ in problems}
    filters = CommentFilters(**{name: None if name in wrong else getattr(asked, name)
                                for name in FILTER_FIELDS})
    try:
        listing = service.list_comments(
            current_scope(), org, filters, _page_number(),
            int(current_app.config.get("COMMENTS_PER_PAGE", service.DEFAULT_PER_PAGE)))
    except PageNotFound:
        abort(404)
    kept = {name: getattr(filters, name) for name in FILTER_FIELDS if getattr(filters, name)}
    page = render_template(
        "provider/comments.html",
        org=org,
        listing=listing,
        pages=page_items(listing.page, listing.pages, lambda number: url_for(
            "provider.comments", org_code=org.code, **kept,
            **({"page": number} if number > 1 else {}))),
        awaiting=service.awaiting_follow_up(current_scope(), org),
        filtered=bool(kept),
        problems=problems,
        has_error=bool(problems),
        choices={
            "words": filters.words or "",
            "pathway": select_items(pathways, filters.pathway, "All pathways"),
            "period": select_items([(p, p) for p in periods], filters.period, "All periods"),
            "flag": select_items(list(service.FLAG_CHOICES), filters.flag, "All comments"),
        },
    )
    return page, 400 if problems else 200


@bp.get("/<org_code>/comments/flagged")
@staff_required(*PORTAL_ROLES)
def flagged_comments(org_code: str) -> str:
    """List the comments flagged as safety concerns, those awaiting follow-up first."""
    org = current_scope().require_provider(org_code)
    return render_template("provider/comments_flagged.html", org=org,
                           rows=service.flagged_comments(current_scope(), org),
                           back_url=url_for("provider.comments", org_code=org.code))


def _comment_form_page(
    org: Organisation, comment: ProviderComment, form: Form, field: str,
    save: Callable[[str], object], *, title: str, button: str, limit: int,
) -> str | Response:
    """Show a one-field form about a comment; on a valid post, save and go to the flags."""
    if form.validate_on_submit():
        try:
            save(form[field].data or "")
        except FieldError as error:
            form[field].errors = [error.message]
        else:
            return redirect(url_for("provider.flagged_comments", org_code=org.code))
    return render_template(
        "provider/comment_form.html", org=org, comment=comment, form=form, field=form[field],
        title=title, button=button, limit=limit, has_error=bool(form.errors),
        back_url=url_for("provider.comments", org_code=org.code),
    )


@bp.route("/<org_code>/comments/<int:comment_id>/flag", methods=["GET", "POST"])
@csrf.exempt
@staff_required(*PORTAL_ROLES)
def flag_comment(org_code: str, comment_id: int) -> str | Response:
    """Flag a comment as a safety concern, with the reason, for follow-up."""
    org = current_scope().require_provider(org_code)
    comment = _comment_or_404(org, comment_id)
    return _comment_form_page(
        org, comment, FlagForm(), "reason",
        lambda reason: service.flag_comment(current_scope(), org, comment.id, reason,
                                            current_staff()),
        title="Flag as a safety concern", button="Flag as a safety concern",
        limit=FLAG_REASON_LIMIT,
    )


@bp.route("/<org_code>/comments/<int:comment_id>/follow-up", methods=["GET", "POST"])
@csrf.exempt
@staff_required(*PORTAL_ROLES)
def follow_up_comment(org_code: str, comment_id: int) -> str | Response:
    """Record what was done about a flagged comment: the first note closes the concern,
    later ones are added beside it."""
    org = current_scope().require_provider(org_code)
    comment = _comment_or_404(org, comment_id)
    if comment.status == "not_flagged":
        abort(404)  # only a flagged concern has a follow-up
    action = "Add a follow-up note" if comment.status == "followed_up" else "Mark as followed up"
    return _comment_form_page(
        org, comment, FollowUpForm(), "note",
        lambda note: service.record_follow_up(current_scope(), org, comment.id, note,
                                              current_staff()),
        title=action, button=action, limit=FOLLOW_UP_NOTE_LIMIT,
    )
