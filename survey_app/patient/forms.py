"""Forms for the patient journey (Flask-WTF, so each carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import Length, ValidationError

from survey_app.forms import Form
from survey_app.services.questionnaire import Question

NOTHING_CHOSEN = _l("Select an answer")


class OptionField(RadioField):
    """Radios whose one error, for nothing chosen or a code that is not an option (a
    tampered post), is the plain "Select an answer"."""

    def pre_validate(self, form: Any) -> None:
        """Accept only one of the item's option codes."""
        if self.data not in {value for value, _label in self.choices or []}:
            raise ValidationError(str(NOTHING_CHOSEN))


class AnswerForm(Form):
    """One question's answer: exactly one of the item's options."""

    answer = OptionField()


class CommentForm(Form):
    """A free-text question's answer: optional words, up to the item's length limit."""

    answer = TextAreaField(filters=[lambda text: (text or "").replace("\r\n", "\n").strip()])


def answer_form(
    question: Question, saved: str | None, *, posted: bool
) -> AnswerForm | CommentForm:
    """Build the form for ``question``: bound to the post, or pre-filled with ``saved``."""
    if question.item.is_free_text:
        comment = CommentForm() if posted else CommentForm(formdata=None, answer=saved)
        limit = question.item.max_length or 0
        comment.answer.validators = [Length(max=limit, message=str(_l(
            "Your comment must be %(limit)s characters or fewer", limit=limit)))]
        return comment
    form = AnswerForm() if posted else AnswerForm(formdata=None, answer=saved)
    form.answer.choices = [(option.code, option.label) for option in question.options]
    return form
