"""The platform registration form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class PlatformForm(FlaskForm):
    association = SelectField("Association", coerce=int)
    name = StringField("Name", validators=[Length(max=200)], description="e.g. County Moodle")
    issuer = StringField(
        "Issuer (platform id)",
        validators=[DataRequired(), Length(max=500)],
        description="Moodle: the site address; Canvas: https://canvas.instructure.com",
    )
    client_id = StringField("Client id", validators=[DataRequired(), Length(max=255)])
    deployment_ids = TextAreaField(
        "Deployment ids", validators=[DataRequired()], description="One per line."
    )
    auth_login_url = StringField(
        "OIDC authentication (login) URL", validators=[DataRequired(), Length(max=500)]
    )
    auth_token_url = StringField("Access token URL", validators=[DataRequired(), Length(max=500)])
    key_set_url = StringField(
        "Public key set (JWKS) URL", validators=[DataRequired(), Length(max=500)]
    )
    auth_audience = StringField(
        "Token audience (only if the platform asks for one)", validators=[Length(max=500)]
    )
    frame_origins = StringField(
        "Addresses that show the tool in a frame",
        description="Space-separated, e.g. https://school.instructure.com; the issuer's and "
        "login URL's are added.",
    )
    trusted_email = BooleanField(
        "Trust this platform's email addresses: link a first launch to the account with the "
        "same email (otherwise each person signs in once to confirm)"
    )
    submit = SubmitField("Register the platform")
