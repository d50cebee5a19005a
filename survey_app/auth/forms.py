"""Sign-in and change-password forms (Flask-WTF: every post carries a CSRF token)."""

from __future__ import annotations

from wtforms import EmailField, Field, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from survey_app.forms import Form
from survey_app.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class SignInForm(Form):
    email = EmailField(
        "Email address", validators=[InputRequired("Enter your email address"), Length(max=254)]
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password"), Length(max=MAX_PASSWORD_LENGTH)],
    )


class ChangePasswordForm(Form):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password")]
    )
    new_password = PasswordField(
        "New password",
        description=f"Use {MIN_PASSWORD_LENGTH} characters or more. A few random words "
        "make a strong password that is easy to remember.",
        validators=[InputRequired("Enter a new password")],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        validators=[
            InputRequired("Enter the new password again"),
            EqualTo("new_password", "The passwords do not match"),
        ],
    )


def add_error(field: Field, message: str) -> None:
    """Show ``message`` against ``field``, as if its own validation had failed."""
    field.errors = [*field.errors, message]
