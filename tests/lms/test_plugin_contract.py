"""The plugin contract is the only door: the loader registers every field, checks `version`
against the plugin's migrations and `models` against its table prefix, and records the plugin
before its `init_app` runs."""

from __future__ import annotations

import sys
import types

import pytest
from flask import Blueprint

from lms import create_app
from lms.plugins import (
    Mount,
    Plugin,
    PluginError,
    Receiver,
    RequestHook,
    has_plugin,
    newest_migration,
)
from lms.signals import demo_data, user_sessions_ended


def _install(monkeypatch, name: str, plugin: Plugin, folder=None) -> None:
    module = types.ModuleType(name)
    if folder is not None:
        module.__file__ = str(folder / "__init__.py")
    module.plugin = plugin
    monkeypatch.setitem(sys.modules, name, module)


def _build(tmp_path, *names, **config):
    return create_app(
        {"INSTANCE_PATH": str(tmp_path), "TESTING": True, "PLUGINS": list(names), **config}
    )


def test_every_shipped_plugin_declares_its_newest_migration():
    import certificates
    import competencies
    import courses
    import endorsement
    import lti
    import supervision

    for module in (competencies, courses, supervision, endorsement, certificates, lti):
        assert module.plugin.version == newest_migration(module) > 0, module.plugin.name


def test_a_stale_version_is_refused_naming_the_plugin(tmp_path, monkeypatch):
    folder = tmp_path / "stale_plugin"
    (folder / "migrations").mkdir(parents=True)
    for migration in ("0001_first.py", "0002_second.py", "__init__.py"):
        (folder / "migrations" / migration).write_text("")
    _install(monkeypatch, "stale_plugin", Plugin(name="stale_plugin", version=1), folder)
    with pytest.raises(
        PluginError,
        match=r"Plugin 'stale_plugin' declares version 1, but its newest migration is number 2",
    ):
        _build(tmp_path, "stale_plugin")


def test_a_model_outside_the_table_prefix_is_refused(tmp_path, monkeypatch):
    from lms.models import User

    _install(monkeypatch, "tables_plugin", Plugin(name="tables_plugin", version=0, models=(User,)))
    with pytest.raises(PluginError, match="User of 'tables_plugin' has the table 'lms_user'"):
        _build(tmp_path, "tables_plugin")


def test_loader_registers_every_field_and_has_plugin_holds_inside_init_app(tmp_path, monkeypatch):
    seen: dict[str, object] = {}
    pages = Blueprint("door_pages", __name__)
    hooks = Blueprint("door_hooks", __name__)

    @pages.route("/here", methods=["GET", "POST"])
    def here():
        return "here"

    @hooks.route("/in", methods=["POST"])
    def inbound():
        return "in"

    def early() -> None:
        seen["early"] = True

    def late() -> None:
        seen["late"] = True

    def on_demo(app, **_: object) -> None:
        seen["demo"] = app

    def on_ended(user, **_: object) -> None:
        seen.setdefault("ended", []).append(user)

    def init_app(app) -> None:
        seen["has_plugin"] = has_plugin(app, "door_plugin")

    plugin = Plugin(
        name="door_plugin",
        version=0,
        blueprints=(Mount(pages, "/door"), Mount(hooks, "/hooks", csrf=False)),
        receivers=(Receiver(demo_data, on_demo), Receiver(user_sessions_ended, on_ended)),
        request_hooks=(RequestHook(early, first=True), RequestHook(late)),
        init_app=init_app,
    )
    _install(monkeypatch, "door_plugin", plugin)
    app = _build(tmp_path, "door_plugin", WTF_CSRF_ENABLED=True)
    other = _build(tmp_path / "other")  # the core alone, in the same process
    assert seen["has_plugin"] is True
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/door/here", "/hooks/in"} <= rules
    assert app.before_request_funcs[None][0] is early
    assert app.before_request_funcs[None][-1] is late
    client = app.test_client()
    assert client.post("/hooks/in").status_code == 200  # csrf=False: exempt
    assert client.post("/door/here").status_code == 400  # pages keep CSRF protection
    assert seen.pop("early") and seen.pop("late")
    # App-sent signals reach the app that loaded the plugin; others only while it is current.
    demo_data.send(other)
    user_sessions_ended.send("someone", reason="test")  # no app at all
    with other.app_context():
        user_sessions_ended.send("in other", reason="test")
    assert "demo" not in seen and "ended" not in seen
    demo_data.send(app)
    with app.app_context():
        user_sessions_ended.send("in app", reason="test")
    assert seen["demo"] is app and seen["ended"] == ["in app"]
