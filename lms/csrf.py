"""The application's CSRF protection (Flask-WTF), shared by every plugin's forms."""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
