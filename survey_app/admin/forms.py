"""Administrators' forms. Choices are filled in by the views from the database and the
instruments registry; the services check every value again (forms are only the first net).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length, Optional

from survey_app.forms import Form

MAX_INSTRUMENTS = 5
NO_PARENT = ""


class DayField(DateField):
    """A date typed as YYYY-MM-DD (the browser's date picker) with a plain error."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        try:
            self.data = datetime.strptime(valuelist[0], "%Y-%m-%d").date()
        except ValueError:
            self.data = None
            raise ValueError("Enter a real date, for example 2026-04-01") from None


def optional_int(value: Any) -> int | None:
    """Coerce a select's value to an id, with the empty choice meaning none."""
    return None if value in (None, NO_PARENT, "None") else int(value)


class OrganisationForm(Form):
    code = StringField(
        "Code", description="The ODS code, for example RX1 (a trust) or RX101 (a site).",
        validators=[InputRequired("Enter the organisation's code"), Length(max=10)],
    )
    name = StringField(
        "Name", validators=[InputRequired("Enter the organisation's name"), Length(max=200)]
    )
    type_code = SelectField("Type", validators=[InputRequired("Select a type")])
    parent_id = SelectField(
        "Belongs to", coerce=optional_int, validate_choice=False,
        description="A site belongs to its provider; a provider may belong to a system.",
    )
    effective_from = DayField(
        "Start date", default=date.today,
        validators=[InputRequired("Enter the date the organisation started")],
    )
    effective_to = DayField(
        "End date", description="Leave empty while the organisation exists.",
        validators=[Optional()],
    )


class PathwayForm(Form):
    code = StringField(
        "Code", description="Lower case, for example hip_fracture. It cannot change later.",
        validators=[InputRequired("Enter the pathway's code"), Length(max=40)],
    )
    name = StringField(
        "Name", validators=[InputRequired("Enter the pathway's name"), Length(max=200)]
    )
    care_type = SelectField("Care type", validators=[InputRequired("Select a care type")])


class SurveyForm(Form):
    slug = StringField(
        "Short name", description="Used in links and exports, for example "
        "leaving-hospital-2027. It cannot change later.",
        validators=[InputRequired("Enter a short name"), Length(max=60)],
    )
    title = StringField(
        "Title", description="What patients see at the top of the survey.",
        validators=[InputRequired("Enter the survey's title"), Length(max=200)],
    )

    @property
    def instrument_fields(self) -> list[SelectField]:
        return [self[f"instrument_{n}"] for n in range(1, MAX_INSTRUMENTS + 1)]

    def bundle_keys(self) -> list[str]:
        """Return the chosen "id@version" keys in order, skipping empty places."""
        return [field.data for field in self.instrument_fields if field.data]


for _position in range(1, MAX_INSTRUMENTS + 1):
    setattr(SurveyForm, f"instrument_{_position}", SelectField(
        f"Instrument {_position}", default="",
        description="Asked first." if _position == 1 else None,
    ))


class UserForm(Form):
    email = StringField(
        "Email address", validators=[InputRequired("Enter an email address"), Length(max=254)]
    )
    full_name = StringField(
        "Full name", validators=[InputRequired("Enter the person's full name"), Length(max=200)]
    )
    role = SelectField("Role", validators=[InputRequired("Select a role")])
    organisations = SelectMultipleField(
        "Organisations", coerce=int, validate_choice=False,
        description="The organisations whose results this user sees by name. "
        "Administrators see everything and need none.",
    )
    active = BooleanField("Account is active (untick to stop this person signing in)",
                          default=True)
