"""The application factory, configuration and plugin loader."""

from __future__ import annotations

import pytest

from lms import create_app
from lms.config import ConfigError
from lms.plugins import PluginError


def test_refuses_to_start_without_secret_outside_development(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="LMS_SECRET_KEY is not set"):
        create_app({"INSTANCE_PATH": str(tmp_path), "ENV": "production", "PLUGINS": []})


def test_development_generates_a_secret_once(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "ENV": "development", "PLUGINS": []}
    first = create_app(dict(config)).config["SECRET_KEY"]
    second = create_app(dict(config)).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_environment_overrides_instance_file(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("PAGE_SIZE = 'A4'\nINVITATION_DAYS = 3\n")
    monkeypatch.setenv("LMS_INVITATION_DAYS", "5")
    monkeypatch.setenv("LMS_PLUGINS", "[]")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    assert app.config["PAGE_SIZE"] == "A4"  # from instance/config.py
    assert app.config["INVITATION_DAYS"] == 5  # environment wins over the file
    assert app.config["PLUGINS"] == []


def test_core_boots_with_no_plugins(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "TESTING": True,
            "PLUGINS": [],
            "DATABASE_URL": "sqlite:///:memory:",
        }
    )
    assert app.extensions["lms.plugins"] == []
    assert app.test_client().get("/login").status_code == 200


def test_plugins_load_in_order_with_their_names(app):
    names = [p.name for p in app.extensions["lms.plugins"]]
    assert names == ["competencies", "courses", "supervision", "endorsement", "certificates", "lti"]


def test_missing_plugin_fails_loudly(tmp_path):
    with pytest.raises(PluginError, match="no_such_plugin"):
        create_app(
            {
                "INSTANCE_PATH": str(tmp_path),
                "TESTING": True,
                "PLUGINS": ["competencies", "no_such_plugin"],
            }
        )


def test_plugin_requirement_must_come_first(tmp_path):
    with pytest.raises(PluginError, match="requires competencies"):
        create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True, "PLUGINS": ["courses"]})


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    from lms.db import db

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "TESTING": True,
            "PLUGINS": [],
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        }
    )
    assert app
    with db.connection_context():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_migrate_and_status_commands(app_factory):
    app = app_factory()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0 and "up to date" in result.output
    status = runner.invoke(args=["status"])
    assert "0001_accounts" in status.output and "All migrations applied" in status.output


def test_tests_hash_cheaply_and_production_at_full_cost(tmp_path):
    from lms import create_app
    from lms.security import hash_password

    base = {"SECRET_KEY": "k" * 40, "INSTANCE_PATH": str(tmp_path), "ENV": "development"}
    with create_app({**base, "TESTING": True}).app_context():
        assert hash_password("a long passphrase here").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    with create_app(base).app_context():
        full = hash_password("a long passphrase here")
    assert full.startswith("$argon2id$") and "m=8,t=1" not in full
    explicit = {**base, "TESTING": True, "PASSWORD_HASH_COST": "normal"}
    with create_app(explicit).app_context():
        assert "m=8,t=1" not in hash_password("a long passphrase here")
