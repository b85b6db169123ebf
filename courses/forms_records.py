"""Forms of the correction and LMS-account pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from courses.corrections import MAX_REASON

REASON_REQUIRED = "Say why; the clinician sees the reason."


class CorrectionForm(FlaskForm):
    completed_on = DateField(
        "Date completed",
        validators=[InputRequired("Give the date the training was completed.")],
    )
    hours = DecimalField(
        "Clock hours",
        places=None,  # shown as recorded: 15, 1.5
        # InputRequired, not DataRequired: 0 is typed input the service refuses with its reason.
        validators=[InputRequired("Give the clock hours as a number.")],
    )
    # The service checks the areas against the training and says which one is stray.
    areas = SelectMultipleField("Competency areas", validators=[Optional()], validate_choice=False)
    reason = TextAreaField(
        "Reason for the correction",
        validators=[DataRequired(REASON_REQUIRED), Length(max=MAX_REASON)],
        description="The clinician sees it next to the corrected entry.",
    )
    submit = SubmitField("Save the correction")


class VoidForm(FlaskForm):
    reason = TextAreaField(
        "Reason for voiding",
        validators=[DataRequired(REASON_REQUIRED), Length(max=MAX_REASON)],
        description="For example: did not attend, recorded for the wrong person.",
    )
    submit = SubmitField("Void this completion")


class ClinicianLmsAccountForm(FlaskForm):
    email = StringField(
        "Clinician's email",
        validators=[DataRequired("Give the clinician's email."), Length(max=320)],
    )
    home_page = StringField(
        "Address of the learning platform",
        validators=[DataRequired("Give the platform's address."), Length(max=500)],
        description="The address learners sign in at, e.g. https://moodle.example.org.",
    )
    name = StringField(
        "User name or id on the platform",
        validators=[DataRequired("Give the user name or id."), Length(max=255)],
        description="What the platform sends as the account name (Moodle: the user id).",
    )
    submit = SubmitField("Link the account")


class LmsAccountImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
    home_page = StringField(
        "Address of the learning platform (if the file has no home_page column)",
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField("Link the accounts in the file")
