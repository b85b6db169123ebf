"""Forms of the courses pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from courses.models import FORMATS
from lms.forms import choices

FORMAT_CHOICES = choices(FORMATS.items())


class TrainingForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=40)],
        description="Unique in your association's catalogue, e.g. NBO-101. CSV files use it.",
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    provider = StringField("Provider organisation", validators=[Optional(), Length(max=200)])
    format = SelectField("Format", choices=FORMAT_CHOICES, validators=[DataRequired()])
    hours = DecimalField(
        "Clock hours", places=2, validators=[DataRequired(), NumberRange(min=0.25, max=2000)]
    )
    areas = SelectMultipleField("Competency areas covered", validators=[Optional()])
    area_hours = StringField(
        "Hours per area, where known",
        validators=[Optional(), Length(max=1000)],
        description="For example: TF-DEV=2; TF-ATTACH=1.5. Areas left out count without hours.",
    )
    tags = StringField(
        "Tags",
        validators=[Optional(), Length(max=200)],
        description="Comma-separated, e.g. dei, rsc-topic.",
    )
    prerequisites = SelectMultipleField(
        "Prerequisite trainings", coerce=int, validators=[Optional()]
    )
    activity_iri = StringField(
        "LMS activity id (xAPI)",
        validators=[Optional(), Length(max=500)],
        description="The activity IRI your LMS sends in xAPI statements, if any.",
    )
    hours_from_duration = BooleanField("Take the hours from the time the LMS measured")
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Save training")


class SessionForm(FlaskForm):
    starts_on = DateField("First day", validators=[DataRequired()])
    ends_on = DateField("Last day", validators=[Optional()])
    location = StringField("Location", validators=[Optional(), Length(max=200)])
    online = BooleanField("Online session")
    capacity = IntegerField(
        "Capacity",
        validators=[Optional(), NumberRange(min=1, max=100_000)],
        description="Leave empty for no limit.",
    )
    trainers = SelectMultipleField("Trainers", coerce=int, validators=[Optional()])
    submit = SubmitField("Add session")


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
    training = SelectField(
        "Training (for a Moodle completion report)",
        validators=[Optional()],
        description="Moodle's report is about one course; choose the training it is.",
    )
    submit = SubmitField("Check the file")


class SelfReportForm(FlaskForm):
    training = SelectField(
        "Training from the catalogue",
        coerce=int,
        validators=[Optional()],
        description="Choose “Not in the catalogue” for a training taken elsewhere.",
    )
    title = StringField("Title (if not in the catalogue)", validators=[Optional(), Length(max=200)])
    provider = StringField("Provider organisation", validators=[Optional(), Length(max=200)])
    completed_on = DateField("Date completed", validators=[DataRequired()])
    hours = DecimalField(
        "Clock hours", places=2, validators=[DataRequired(), NumberRange(min=0.25, max=2000)]
    )
    areas = SelectMultipleField("Competency areas covered", validators=[Optional()])
    certificate = FileField(
        "Certificate (PDF, PNG or JPEG, at most 10 MB)",
        validators=[FileRequired("Attach the certificate.")],
    )
    submit = SubmitField("Send for verification")


class DecisionForm(FlaskForm):
    reason = StringField("Reason (needed to reject)", validators=[Optional(), Length(max=500)])
    decision = SelectField(
        "Decision", choices=choices([("verify", "Verify"), ("reject", "Reject")])
    )
    submit = SubmitField("Save decision")
