"""Forms of the competencies pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from competencies.vocabulary import DOCUMENT_LABELS, EDUCATION_LABELS, WORK_LABELS
from lms.forms import choices

DOCUMENT_HELP = (
    "A PDF, PNG or JPEG of at most 10 MB. Only you, and the staff of your association who "
    "verify and review your record, can open it."
)


def document_field(label: str) -> FileField:
    """The optional document of an education, work or membership item."""
    return FileField(label, description="Optional. " + DOCUMENT_HELP)


class GoalForm(FlaskForm):
    category = SelectField("Category you work toward", validators=[DataRequired()])
    started_on = DateField("Started on", validators=[DataRequired()])
    submit = SubmitField("Start this pathway")


class WorkForm(FlaskForm):
    label = StringField("Job title and employer", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind of work", choices=choices(WORK_LABELS.items()))
    occurred_on = DateField("Started on", validators=[DataRequired()])
    end = DateField(
        "Ended on",
        validators=[Optional()],
        description="Leave empty if you still do this work: the time counts up to today.",
    )
    paid = BooleanField("Paid work", default=True)
    post_degree = SelectField(
        "After your degree?",
        choices=choices(
            [
                ("", "Not sure: check it against my degree's date"),
                ("yes", "Yes: post-degree (or post-graduate) work"),
                ("no", "No: before or during my studies"),
            ]
        ),
        default="",
        description="Categories that ask for work after a degree count only the time after "
        "the date of that degree on your record.",
    )
    families = IntegerField(
        "Families with infants or young children served",
        validators=[Optional(), NumberRange(min=0, max=100_000)],
    )
    document = document_field("Document (e.g. a letter from the employer)")
    check = SubmitField("Check whether it counts")
    submit = SubmitField("Add work experience")


class EducationForm(FlaskForm):
    level = SelectField("Degree or credential", choices=choices(EDUCATION_LABELS.items()))
    label = StringField("Field and institution", validators=[DataRequired(), Length(max=200)])
    occurred_on = DateField("Awarded on", validators=[DataRequired()])
    document = document_field("Document (e.g. the diploma or transcript)")
    check = SubmitField("Check whether it counts")
    submit = SubmitField("Add education")


class ReferenceForm(FlaskForm):
    label = StringField("Who rated you (name)", validators=[DataRequired(), Length(max=200)])
    rater_role = StringField(
        "Their role (e.g. supervisor, RSC provider)", validators=[DataRequired(), Length(max=100)]
    )
    occurred_on = DateField("Date of the rating", validators=[DataRequired()])
    submit = SubmitField("Add reference rating")


class MembershipForm(FlaskForm):
    occurred_on = DateField("Membership started or renewed on", validators=[DataRequired()])
    valid_until = DateField("Valid until", validators=[DataRequired()])
    document = document_field("Document (e.g. the membership card)")
    check = SubmitField("Check whether it counts")
    submit = SubmitField("Add membership")


class DocumentForm(FlaskForm):
    document = FileField(
        "Document", validators=[FileRequired("Choose the file.")], description=DOCUMENT_HELP
    )
    submit = SubmitField("Attach the document")


class AgreementForm(FlaskForm):
    document = SelectField("Document", choices=choices(DOCUMENT_LABELS.items()))
    occurred_on = DateField("Signed on", validators=[DataRequired()])
    confirm = BooleanField(
        "I have read this document and sign it.",
        validators=[DataRequired(message="Tick the box to sign.")],
    )
    submit = SubmitField("Sign")


class DecisionForm(FlaskForm):
    reason = StringField(
        "Reason (needed to reject; the clinician sees it)", validators=[Length(max=500)]
    )


class EndorsementForm(FlaskForm):
    email = StringField("Endorsee's email", validators=[DataRequired(), Length(max=254)])
    category = SelectField("Category", validators=[DataRequired(message="Choose a category.")])
    awarded_on = DateField("Awarded on", validators=[DataRequired()])
    number = StringField(
        "Endorsement number",
        validators=[Optional(), Length(max=40)],
        description="Leave empty to number it automatically, e.g. DEMO-IMHS-2026-0001.",
    )
    submit = SubmitField("Record endorsement")
