"""Routes of the patient journey. Each view: open the journey, act through the service,
then redirect (POST-redirect-GET) or render. Link problems become their own pages."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response as HTTPResponse

from survey_app.patient import bp, may_guess_again
from survey_app.patient.forms import answer_form
from survey_app.patient.pages import (
    after_answer_url,
    back_url,
    before_url,
    check_sections,
    estimated_minutes,
    progress,
    question_hint,
    question_url,
    radio_items,
    resume_section,
    resume_url,
)
from survey_app.services import journey as service
from survey_app.services import message_status
from survey_app.services.journey import IncompleteResponse, Journey, LinkError
from survey_app.web import render_error

LINK_PAGES = {
    "unknown": "patient/link_unknown.html",
    "expired": "patient/link_expired.html",
    "completed": "patient/link_completed.html",
    "declined": "patient/link_declined.html",
}


@bp.errorhandler(LinkError)
def link_problem(error: LinkError) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Explain, in plain language, why this link cannot be used (404 or 410); an address
    that has tried too many links that match nothing is asked to wait instead (429)."""
    if error.kind == "unknown" and not may_guess_again():
        html, code = render_error(429)
        return html, code, {"Retry-After": "60"}
    return render_template(LINK_PAGES[error.kind]), error.status_code


def open_journey(token: str) -> Journey:
    """Open the link's questionnaire in the page language; LinkError if it is unusable."""
    return service.open_journey(token, language=str(get_locale() or "en"))


@bp.get("/<token>")
def start(token: str) -> str:
    """Show the start page, or welcome back a person who has already answered something
    (on this device or another) with how far they got and a way to carry on."""
    journey = open_journey(token)
    if journey.answered_count and not request.args.get("intro"):
        return render_template(
            "patient/welcome_back.html",
            journey=journey,
            section=resume_section(journey),
            continue_url=resume_url(journey),
        )
    return render_template(
        "patient/start.html",
        journey=journey,
        provider=journey.invitation.event.provider,
        discharge_date=journey.invitation.event.discharge_date,
        minutes=estimated_minutes(len(journey.questions)),
    )


@bp.post("/<token>")
def begin(token: str) -> HTTPResponse:
    """Start (or carry on with) the one response this invitation allows."""
    journey = open_journey(token)
    service.start(journey)  # the service picks the mode from the invitation's channel
    return redirect(resume_url(journey))


@bp.route("/<token>/q/<key>", methods=["GET", "POST"])
def question(token: str, key: str) -> str | HTTPResponse:
    """Ask one question; save the answer and move on, or show the NHS error pattern."""
    journey = open_journey(token)
    try:
        asked = journey.question(key)
    except KeyError:
        abort(404)
    changing = request.args.get("change") == "yes"
    form = answer_form(asked, journey.answers.get(key), posted=request.method == "POST")
    if form.validate_on_submit():
        service.record(journey, key, form.answer.data)
        return redirect(after_answer_url(journey, asked, changing=changing))
    return render_template(
        "patient/question.html",
        question=asked,
        form=form,
        items=radio_items(asked),
        progress=progress(journey, asked),
        hint=question_hint(journey, asked),
        back_url=back_url(journey, asked, changing=changing),
        has_error=bool(form.errors),
    )


@bp.get("/<token>/section/<key>")
def section(token: str, key: str) -> str:
    """Open a section: its title, introduction and the answers to choose from."""
    journey = open_journey(token)
    try:
        opened = journey.section(key)
    except KeyError:
        abort(404)
    if not opened.has_page:
        abort(404)
    common, extra = opened.answer_scale
    first = opened.questions[0]
    return render_template(
        "patient/section.html",
        section=opened,
        scale=common,
        extra_answers=extra,
        continue_url=question_url(journey, first.key),
        back_url=before_url(journey, first),
    )


@bp.get("/<token>/check")
def check(token: str) -> str | HTTPResponse:
    """List every answer with a change link; until all are answered, carry on instead."""
    journey = open_journey(token)
    if journey.first_unanswered() is not None:
        return redirect(resume_url(journey))
    last = journey.questions[-1]
    return render_template(
        "patient/check.html",
        sections=check_sections(journey),
        back_url=url_for("patient.question", token=token, key=last.key),
    )


@bp.post("/<token>/submit")
def submit(token: str) -> HTTPResponse:
    """Send the answers; a repeat (double click, replayed post) just shows the thank-you."""
    try:
        journey = open_journey(token)
        service.submit(journey)
    except LinkError as error:
        if error.kind != "completed":
            raise
    except IncompleteResponse as missing:
        return redirect(url_for("patient.question", token=token, key=missing.question_key))
    return redirect(url_for("patient.done", token=token))


@bp.get("/<token>/done")
def done(token: str) -> str | HTTPResponse:
    """Thank the person once their answers are in; before that, carry on the journey."""
    try:
        journey = open_journey(token)
    except LinkError as error:
        if error.kind != "completed":
            raise
        return render_template("patient/done.html")
    return redirect(resume_url(journey))


@bp.route("/<token>/decline", methods=["GET", "POST"])
def decline(token: str) -> str | HTTPResponse:
    """Ask "Are you sure?", then record that the person does not want to take part."""
    if request.method == "POST":
        service.decline(token, opt_out=request.form.get("opt_out") == "yes")
        return redirect(url_for("patient.decline", token=token))
    try:
        journey = open_journey(token)
    except LinkError as error:
        if error.kind != "declined":
            raise
        return render_template("patient/link_declined.html",  # the confirmation, 200
                               opted_out=message_status.has_opted_out(token))
    return render_template(
        "patient/decline.html",
        back_url=url_for("patient.start", token=token, intro="yes"),
        can_opt_out=journey.invitation.event.patient_key is not None,
    )
