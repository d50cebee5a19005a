"""What the patient pages show, worked out from a journey: links, estimates and rows.

Kept apart from the views so each view reads as load → act → redirect or render.
"""

from __future__ import annotations

import math
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from survey_app.services.journey import Journey
from survey_app.services.questionnaire import Question, Section

# A generous pace for older or frail respondents reading on a phone.
SECONDS_PER_QUESTION = 15


def estimated_minutes(question_count: int) -> int:
    """Return how long the questionnaire takes, rounded up (to 5 minutes past 5)."""
    minutes = max(1, math.ceil(question_count * SECONDS_PER_QUESTION / 60))
    return minutes if minutes <= 5 else 5 * math.ceil(minutes / 5)


def question_url(journey: Journey, key: str, *, changing: bool = False) -> str:
    """Return the page of one question; ``changing`` returns to "Check your answers" after."""
    if changing:
        return url_for("patient.question", token=journey.token, key=key, change="yes")
    return url_for("patient.question", token=journey.token, key=key)


def section_url(journey: Journey, section: Section) -> str:
    """Return the page that opens a section."""
    return url_for("patient.section", token=journey.token, key=section.key)


def opened_section(journey: Journey, question: Question) -> Section | None:
    """Return the section whose page leads to ``question`` (its first), or None."""
    section = journey.section_of(question)
    if section is not None and section.has_page and section.starts_with(question):
        return section
    return None


def arrival_url(journey: Journey, question: Question) -> str:
    """Return where a person arrives at ``question`` in turn: the page of the section it
    opens, if that section has one, else the question itself."""
    section = opened_section(journey, question)
    return question_url(journey, question.key) if section is None else section_url(
        journey, section)


def resume_url(journey: Journey) -> str:
    """Return where to carry on: the first unanswered question (or the page of the section
    it opens), else "Check your answers"."""
    unanswered = journey.first_unanswered()
    if unanswered is None:
        return url_for("patient.check", token=journey.token)
    return arrival_url(journey, unanswered)


def before_url(journey: Journey, question: Question) -> str:
    """Return the page before ``question`` in turn: the previous question, or the start."""
    previous = journey.previous(question.key)
    if previous is None:
        return url_for("patient.start", token=journey.token, intro="yes")
    return question_url(journey, previous.key)


def back_url(journey: Journey, question: Question, *, changing: bool) -> str:
    """Return the back link: the check page when changing an answer, else the page before
    (the section's own page for its first question)."""
    if changing:
        return url_for("patient.check", token=journey.token)
    section = opened_section(journey, question)
    return before_url(journey, question) if section is None else section_url(journey, section)


def after_answer_url(journey: Journey, question: Question, *, changing: bool) -> str:
    """Return where "Continue" leads: the next question (or the page of the section it
    opens), or the check page at the end."""
    following = journey.next(question.key)
    if changing or following is None:
        return resume_url(journey)
    return arrival_url(journey, following)


def progress(journey: Journey, question: Question) -> str:
    """Return where the question stands, for its caption: its section and its place there
    ("Section 2 of 4: Joined-up care, question 3 of 12"); a question asked early, before
    the sections, is captioned with its instrument's title alone ("About you")."""
    section = journey.section_of(question)
    if section is None:
        return question.instrument.title
    if len(section.questions) == 1:
        return _("Section %(number)s of %(total)s: %(title)s",
                 number=section.number, total=section.total, title=section.title)
    return _("Section %(number)s of %(total)s: %(title)s, question %(position)s of %(count)s",
             number=section.number, total=section.total, title=section.title,
             position=section.position(question), count=len(section.questions))


def resume_section(journey: Journey) -> Section | None:
    """Return the section a returning person carries on in (None: early, or all done)."""
    unanswered = journey.first_unanswered()
    return None if unanswered is None else journey.section_of(unanswered)


def comment_readers(journey: Journey) -> list[str]:
    """Say who reads a person's own words, as docs/operations.md ("Free-text comments") has
    it: the provider's staff, and the platform's administrators, see the masked copy; an
    administrator sees the words as written only to follow up a safety concern."""
    provider = journey.invitation.event.provider.name
    return [
        _("Staff at %(provider)s will read your comment, and so may the team that runs this "
          "survey. Names, phone numbers, NHS numbers, email addresses and postcodes are taken "
          "out automatically before they see it, but this can miss some.", provider=provider),
        _("If what you write makes them worried about your safety, the team that runs this "
          "survey can see your words exactly as you wrote them and share them with "
          "%(provider)s, so that your GP or care team can be asked to help.",
          provider=provider),
    ]


def question_hint(journey: Journey, question: Question) -> Markup | None:
    """Return the hint, one paragraph each: the instrument's introduction on the question
    of a one-question section (a longer section has its own page for it), who will read
    the words on a free-text question, then the item's own hint. A question asked early
    (out of its instrument's order) stands alone, without the introduction.
    """
    section = journey.section_of(question)
    introduced = section is not None and not section.has_page and section.starts_with(question)
    parts = [question.instrument.introduction if introduced else None]
    if question.item.is_free_text:
        parts += comment_readers(journey)
    parts.append(question.item.hint)
    paragraphs = [part.strip() for part in parts if part and part.strip()]
    if not paragraphs:
        return None
    return Markup("").join(Markup("<p>{}</p>").format(text) for text in paragraphs)


def radio_items(question: Question) -> list[dict[str, Any]]:
    """Return the options for the NHS radios macro, with "or" before the ways out.

    The divider sets "Don't know" and similar apart from the agree-disagree scale
    (NHS design system, radios with a "none" option).
    """
    items: list[dict[str, Any]] = []
    previous_scored = False
    for option in question.options:
        if previous_scored and not option.scored:
            items.append({"divider": _("or")})
        items.append({"value": option.code, "text": option.label})
        previous_scored = option.scored
    return items


def answer_label(question: Question, saved: str | None) -> str:
    """Return how an answer reads back: the option's label, the person's own words, or
    "No comment" for a free-text question they left empty."""
    if saved is None:
        return _("Not answered")
    if question.item.is_free_text:
        return saved or _("No comment")
    return next((o.label for o in question.options if o.code == saved), _("Not answered"))


def check_sections(journey: Journey) -> list[dict[str, Any]]:
    """Return "Check your answers" as one section per instrument, in section order: a
    question asked early is listed in its instrument's section, first."""
    order = {section.key: section.number for section in journey.sections}
    sections: dict[str, dict[str, Any]] = {}
    for question in journey.questions:
        section = sections.setdefault(
            question.instrument.id, {"instrument": question.instrument, "rows": []})
        label = answer_label(question, journey.answers.get(question.key))
        section["rows"].append({
            "key": {"html": Markup(question.item.html)},  # escaped, emphasis as <strong>
            "value": {"text": label},
            "actions": {"items": [{
                "href": question_url(journey, question.key, changing=True),
                "text": _("Change"),
                "visuallyHiddenText": question.item.text,
            }]},
        })
    # An instrument asked only early has no section number: it stays first.
    return sorted(sections.values(), key=lambda found: order.get(found["instrument"].id, 0))
