"""The main menu's groups: derived from capabilities unless a plugin names one; the current
page marked."""

from __future__ import annotations

import re
import sys
import types

import pytest

from lms import create_app
from lms.plugins import Capability, NavItem, Plugin, PluginError, nav_group

CAPS = {
    "x:own": Capability("write", ("clinician",)),
    "x:watch": Capability("read", ("clinician", "coordinator")),
    "x:award": Capability("write", ("coordinator", "admin")),
}


@pytest.mark.parametrize(
    "item, group",
    [
        (NavItem("Mine", "x.mine"), "my_work"),
        (NavItem("Own record", "x.own", "x:own"), "my_work"),
        (NavItem("Catalogue", "x.cat", "x:watch"), "association"),
        (NavItem("Decide", "x.award", "x:award"), "association"),
        (NavItem("People", "x.people", "lms:manage_users"), "administration"),
        (NavItem("Decide", "x.award", "x:award", group="my_work"), "my_work"),
    ],
)
def test_group_is_derived_from_the_capability_unless_named(item, group):
    assert nav_group(item, CAPS) == group


def test_an_unknown_group_is_refused_naming_it(tmp_path, monkeypatch):
    module = types.ModuleType("nav_bad_plugin")
    module.plugin = Plugin(name="nav_bad_plugin", version=0, nav=(NavItem("X", "x", group="misc"),))
    monkeypatch.setitem(sys.modules, "nav_bad_plugin", module)
    with pytest.raises(PluginError, match="'X' of 'nav_bad_plugin' names the unknown group 'misc'"):
        create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True, "PLUGINS": ["nav_bad_plugin"]})


def _menu(html: str) -> str:
    return html[html.index('aria-label="Main"') : html.index("</nav>")]


def test_coordinator_menu_has_three_groups_and_marks_the_page(app, make_user, client, auth):
    make_user("coord@example.test", roles=("coordinator",))
    auth.login("coord@example.test")
    menu = _menu(client.get("/competencies/readiness").get_data(as_text=True))
    groups = re.findall(r'data-bs-toggle="dropdown"[^>]*>([^<]+)</button>', menu)
    assert groups == ["My work", "Association", "Administration"]
    current = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', menu)
    assert current == ["Readiness"]
    assert re.search(r'class="nav-link dropdown-toggle current" id="nav-association"', menu)
    assert "Sign out" in menu


def test_clinician_menu_starts_with_their_own_work(app, make_user, client, auth):
    make_user("clin@example.test", roles=("clinician",))
    auth.login("clin@example.test")
    menu = _menu(client.get("/").get_data(as_text=True))
    my_work = menu[menu.index('id="nav-my_work"') : menu.index('id="nav-association"')]
    for label in ["My pathway", "My trainings", "Reflective supervision", "What-if planner"]:
        assert f">{label}</a>" in my_work
    assert "Administration" not in menu
    assert 'aria-current="page">IMH Pathway</a>' in menu  # home
