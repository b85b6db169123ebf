"""Forms of the workflow pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from endorsement.references import RATER_ROLES, SCALE
from endorsement.reviews import OVERRIDE_MAX
from lms.forms import choices


class ApplyForm(FlaskForm):
    sign_code_of_ethics = BooleanField("I have read and sign the Code of Ethics")
    sign_endorsement_agreement = BooleanField("I have read and sign the Endorsement Agreement")
    apply_anyway = BooleanField(
        "Apply anyway",
        description="Send the application even though the evaluation says something is missing; "
        "reviewers see what is missing.",
    )
    submit = SubmitField("Submit my application")


class RaterForm(FlaskForm):
    name = StringField("Rater's name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Rater's email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("How they know your work", choices=choices(RATER_ROLES))
    submit = SubmitField("Send the rating link")


def rating_form(areas) -> FlaskForm:
    """Return a form with one scale question per area."""

    class RatingForm(FlaskForm):
        submit = SubmitField("Send my rating")

    for area in areas:
        setattr(
            RatingForm,
            area.id,
            SelectField(
                area.name,
                choices=choices([("", "Choose…"), *SCALE]),
                validators=[DataRequired(message="Choose an answer for this area.")],
                description=area.domain,
            ),
        )
    return RatingForm()


class AssignForm(FlaskForm):
    reviewer = SelectField("Reviewer", coerce=int, validators=[DataRequired()])
    submit = SubmitField("Assign reviewer")


class DecisionForm(FlaskForm):
    # Radio buttons with none checked: a decision is never taken by a form sent as it rendered.
    outcome = RadioField("Decision", invalid_choice_message="Choose a decision.")
    override_reason = TextAreaField(
        "Override reason",
        validators=[Optional(), Length(max=OVERRIDE_MAX)],
        description="Needed only to endorse while the evaluation is not ready: say why the "
        "requirements not met do not stand in the way. Kept in the audit log and the timeline.",
    )
    note = TextAreaField("Note for the timeline", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Record decision")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReviewForm(FlaskForm):
    areas_met = MultiCheckboxField("Areas met", validators=[Optional()])
    recommendation = SelectField("Recommendation", validators=[DataRequired()])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=4000)])
    submit = SubmitField("Send my review")


class SittingForm(FlaskForm):
    held_on = DateField("Date", validators=[DataRequired(message="Give the date of the sitting.")])
    location = StringField("Location", validators=[DataRequired(), Length(max=200)])
    capacity = IntegerField(
        "Seats", default=30, validators=[InputRequired(), NumberRange(min=1, max=1000)]
    )
    submit = SubmitField("Schedule sitting")


class RegisterForm(FlaskForm):
    application = SelectField("Applicant", coerce=int, validators=[DataRequired()])
    submit = SubmitField("Register")


class ScoreForm(FlaskForm):
    score = DecimalField(
        "Score (%)",
        places=None,
        validators=[
            InputRequired(message="Give the score."),
            NumberRange(min=0, max=100, message="The score is a percentage from 0 to 100."),
        ],
    )
    submit = SubmitField("Record result")


class ReinstateForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])
    submit = SubmitField("Reinstate")


class ListingForm(FlaskForm):
    show_city = BooleanField("Show my city in the public registry")
    submit = SubmitField("Save registry choice")


class RegistrySearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Name", validators=[Optional(), Length(max=100)])
    category = SelectField("Category", validators=[Optional()])
    association = SelectField("Association", validators=[Optional()])
    submit = SubmitField("Search")
