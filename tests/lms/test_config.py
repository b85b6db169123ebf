"""Configuration: Flask's loaders fill one typed Settings, and a bad value names itself."""

from __future__ import annotations

import os

import pytest

from lms import create_app
from lms.config import ConfigError, Settings


def _config(tmp_path, **extra):
    return {"INSTANCE_PATH": str(tmp_path), "TESTING": True, "PLUGINS": [], **extra}


def test_tests_never_read_the_developers_environment():
    leaked = [k for k in os.environ if k.startswith("LMS_") and not k.startswith("LMS_TEST_")]
    assert leaked == []


def test_precedence_defaults_file_environment_then_given(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        "PAGE_SIZE = 'A4'\nINVITATION_DAYS = 3\nMAIL_PORT = 2525\nMAIL_FROM = 'file@x.test'\n"
    )
    monkeypatch.setenv("LMS_INVITATION_DAYS", "5")
    monkeypatch.setenv("LMS_MAIL_PORT", "25")
    monkeypatch.setenv("LMS_MAIL_USE_TLS", "off")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True, "MAIL_PORT": 465})
    assert app.config["PAGE_SIZE"] == "A4"  # the file over the default
    assert app.config["INVITATION_DAYS"] == 5  # the environment over the file, read as a number
    assert app.config["MAIL_PORT"] == 465  # what create_app is given over everything
    assert app.config["MAIL_USE_TLS"] is False and app.config["MAIL_FROM"] == "file@x.test"
    settings = app.extensions["lms.settings"]
    assert isinstance(settings, Settings) and settings.INVITATION_DAYS == 5


def test_environment_text_stays_text_where_text_is_meant(tmp_path, monkeypatch):
    # JSON-reading the environment would turn a secret of digits into a number, and "null"
    # into nothing; the settings' types read each value instead.
    monkeypatch.setenv("LMS_SECRET_KEY", "1234567890" * 4)
    monkeypatch.setenv("LMS_DEMO_PASSWORD", "null")
    monkeypatch.setenv("LMS_PLUGINS", "competencies, courses")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    assert app.config["SECRET_KEY"] == "1234567890" * 4
    assert app.config["DEMO_PASSWORD"] == "null"
    assert app.config["PLUGINS"] == ["competencies", "courses"]
    monkeypatch.setenv("LMS_SIGNING_KEY_SECRET_PREVIOUS", '["old-one", "older"]')
    app = create_app(_config(tmp_path))
    assert app.config["SIGNING_KEY_SECRET_PREVIOUS"] == ["old-one", "older"]


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("LMS_MAIL_PORT", "smtp", "LMS_MAIL_PORT='smtp' cannot be read"),
        ("LMS_MAIL_USE_TLS", "maybe", "LMS_MAIL_USE_TLS='maybe' must be true or false"),
        ("LMS_INVITATION_DAYS", "0", "LMS_INVITATION_DAYS='0' cannot be read"),
        ("LMS_PLUGINS", '["competencies"', "LMS_PLUGINS='[\"competencies\"' must be a JSON list"),
        ("LMS_SESSION_HOURS", "12h", "LMS_SESSION_HOURS='12h' must be a whole number of hours"),
        ("LMS_API_MAX_JSON_BYTES", "-5", "LMS_API_MAX_JSON_BYTES='-5' cannot be read"),
    ],
)
def test_a_bad_environment_value_names_itself(tmp_path, monkeypatch, variable, value, words):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    assert str(caught.value).startswith(words), str(caught.value)


def test_a_bad_value_in_the_instance_file_names_itself(tmp_path):
    (tmp_path / "config.py").write_text("MAX_CONTENT_LENGTH = 'twelve megabytes'\n")
    with pytest.raises(ConfigError, match="LMS_MAX_CONTENT_LENGTH='twelve megabytes'"):
        create_app(_config(tmp_path))


def test_a_bad_secret_is_named_but_not_repeated(tmp_path):
    with pytest.raises(ConfigError) as caught:
        create_app(_config(tmp_path, AUDIT_KEY=["not", "text"]))
    assert str(caught.value).startswith("LMS_AUDIT_KEY='…' cannot be read")
