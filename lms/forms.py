"""Forms of the platform's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from lms.plugins import ROLE_LABELS, ROLES


def choices(pairs) -> list[SelectChoice]:
    """Return select options from (value, label) pairs (WTForms 3.3 wants SelectChoice)."""
    return [SelectChoice(value, label) for value, label in pairs]


ROLE_PAIRS = [(r, ROLE_LABELS[r]) for r in ROLES]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired()],
        description="At least 12 characters. A few unrelated words work well.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )
    submit = SubmitField("Set password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        validators=[DataRequired()],
        description="At least 12 characters. Changing it signs you out everywhere else.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ.")],
    )
    submit = SubmitField("Change password")


class AssociationForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    renewal_due = StringField(
        "Renewal due (MM-DD)", default="12-31", validators=[DataRequired(), Length(min=5, max=5)]
    )
    submit = SubmitField("Save association")


class AgencyForm(FlaskForm):
    name = StringField("Agency name", validators=[DataRequired(), Length(max=200)])
    city = StringField("City", validators=[Optional(), Length(max=100)])
    submit = SubmitField("Add agency")


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    roles = SelectMultipleField(
        "Roles",
        choices=choices(p for p in ROLE_PAIRS if p[0] != "admin"),
        validators=[DataRequired(message="Choose at least one role.")],
    )
    agency = SelectField("Agency", coerce=int, validators=[Optional()])
    submit = SubmitField("Invite")


class UserEditForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    city = StringField("City", validators=[Optional(), Length(max=100)])
    roles = SelectMultipleField(
        "Roles in this association",
        choices=choices(p for p in ROLE_PAIRS if p[0] != "admin"),
        validators=[DataRequired(message="Choose at least one role.")],
    )
    agency = SelectField("Agency", coerce=int, validators=[Optional()])
    submit = SubmitField("Save")


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with CSRF protection."""

    submit = SubmitField("Confirm")


class TokenForm(FlaskForm):
    name = StringField("What the token is for", validators=[DataRequired(), Length(max=100)])
    scope = SelectField("Acts as", validators=[DataRequired()])
    password = PasswordField(
        "Your password",
        validators=[DataRequired(message="Enter your password to create a token.")],
        description="Asked again because a token acts as you until it is revoked.",
    )
    submit = SubmitField("Create token")
