"""Forms of the supervision pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from lms.forms import choices

FORMAT_LABELS = {
    "individual": "Individual",
    "group": "Group",
    "peer": "Peer group (no facilitator)",
}
SIGN_DESCRIPTION = (
    "Your password is your electronic signature: it records your name, the time (UTC) and "
    "“I attest that I provided this reflective supervision”."
)


class SessionForm(FlaskForm):
    """A session as the clinician logs it."""

    provider = SelectField("RSC provider", coerce=int, validators=[InputRequired()])
    occurred_on = DateField("Date of the session", validators=[InputRequired()])
    hours = DecimalField(
        "Duration in hours",
        places=2,
        validators=[InputRequired(message="Enter the duration in hours, e.g. 1.5.")],
        description="Quarter hours from 0.25 to 24, for example 1 or 1.5.",
    )
    format = SelectField(
        "Format", choices=choices(FORMAT_LABELS.items()), validators=[DataRequired()]
    )
    facilitated = BooleanField("The group had a facilitator")
    group_size = IntegerField(
        "People in the group",
        validators=[Optional()],
        description="Groups and peer groups only: everyone taking part, you included.",
    )
    about_giving_rsc = BooleanField("This session was about the reflective supervision I give")
    private_note = TextAreaField(
        "Private note",
        validators=[Optional(), Length(max=2000)],
        description="Only you see this note; your provider and reviewers do not.",
    )
    check = SubmitField("Check whether it counts")
    submit = SubmitField("Log session")


class GroupEntryForm(FlaskForm):
    """A session the provider enters for one or many attendees, signed at once."""

    attendees = SelectMultipleField(
        "Attendees", coerce=int, validators=[DataRequired(message="Choose at least one.")]
    )
    occurred_on = DateField("Date of the session", validators=[InputRequired()])
    hours = DecimalField(
        "Duration in hours",
        places=2,
        validators=[InputRequired(message="Enter the duration in hours, e.g. 1.5.")],
        description="Quarter hours from 0.25 to 24.",
    )
    format = SelectField(
        "Format",
        choices=choices((k, v) for k, v in FORMAT_LABELS.items() if k != "peer"),
        validators=[DataRequired()],
    )
    group_size = IntegerField(
        "People in the group",
        validators=[Optional()],
        description="Groups only: every participant, including those without an account.",
    )
    about_giving_rsc = BooleanField("The session was about the reflective supervision they give")
    password = PasswordField(
        "Your password", validators=[DataRequired()], description=SIGN_DESCRIPTION
    )
    submit = SubmitField("Sign and enter")


class AttestForm(FlaskForm):
    """Bulk approval: the chosen sessions and the password that signs them."""

    sessions = SelectMultipleField("Sessions", coerce=int, validate_choice=False)
    password = PasswordField(
        "Your password", validators=[DataRequired()], description=SIGN_DESCRIPTION
    )
    submit = SubmitField("Sign the chosen sessions")


class RejectForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(message="Say why."), Length(max=500)])
    submit = SubmitField("Reject")


class CredentialForm(FlaskForm):
    code = SelectField("Credential", validators=[DataRequired()])
    valid_from = DateField("Held since", validators=[InputRequired()])
    submit = SubmitField("Record credential")
