"""Forms of the certificates pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from certificates.models import KIND_WORDS
from lms.forms import choices


class ProgressForm(FlaskForm):
    category = SelectField("Pathway", validators=[DataRequired()])
    submit = SubmitField("Issue a progress certificate")


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revoking",
        validators=[DataRequired(message="Give the reason for revoking."), Length(max=500)],
        description="Shown on the public verify page next to REVOKED.",
    )
    submit = SubmitField("Revoke this certificate")


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        "Reason for suspending",
        validators=[DataRequired(message="Give the reason for suspending."), Length(max=500)],
        description="Shown on the public verify page next to SUSPENDED, e.g. pending an ethics "
        "review.",
    )
    submit = SubmitField("Suspend this certificate")


class ZipForm(FlaskForm):
    class Meta:
        csrf = False  # a GET download with no side effect

    kind = SelectField("Document", choices=choices(KIND_WORDS.items()))
    start = DateField("Issued from", validators=[DataRequired(message="Give a start date.")])
    end = DateField("Issued until", validators=[DataRequired(message="Give an end date.")])
    submit = SubmitField("Download ZIP")


class CodeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET look-up

    code = StringField(
        "Verification code",
        validators=[DataRequired(message="Type the code printed on the document.")],
        description=(
            "16 letters and digits, e.g. 7KQ2-M9XD-4TRE-B6WN. Case and spaces do not matter."
        ),
    )
    submit = SubmitField("Check")


class UploadForm(FlaskForm):
    code = StringField(
        "Verification code",
        validators=[DataRequired(message="Type the code printed on the document.")],
    )
    pdf = FileField(
        "PDF file",
        validators=[FileRequired(message="Choose the PDF file to compare.")],
        description="At most 12 MB. The file is compared by its SHA-256 and not kept.",
    )
    submit = SubmitField("Compare the file")


class NoteForm(FlaskForm):
    """Optional search box of the coordinator's list."""

    class Meta:
        csrf = False

    kind = SelectField("Document", choices=choices([("", "All documents"), *KIND_WORDS.items()]))
    q = StringField("Name contains", validators=[Optional(), Length(max=100)])
    submit = SubmitField("Filter")
