"""Define the plugin contract and load the plugins named in `LMS_PLUGINS`, in order."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import click
from flask import Blueprint, Flask

ROLES = (
    "clinician",
    "trainer",
    "rsc_provider",
    "agency_manager",
    "reviewer",
    "coordinator",
    "admin",
)
# How each role is written for people: the one vocabulary of role names.
ROLE_LABELS = {
    "clinician": "Clinician",
    "trainer": "Trainer",
    "rsc_provider": "RSC provider",
    "agency_manager": "Agency manager",
    "reviewer": "Reviewer",
    "coordinator": "Coordinator",
    "admin": "Administrator",
}


def role_label(role: str) -> str:
    """Return a role's name for people ("RSC provider" for rsc_provider)."""
    return ROLE_LABELS.get(role, role.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Capability:
    """A permission a plugin declares: read or write, and the roles granted it by default."""

    kind: str  # "read" | "write"
    roles: tuple[str, ...]
    description: str = ""


# The menu's groups, in the order they are shown: (key, label).
NAV_GROUPS = (
    ("my_work", "My work"),
    ("association", "Association"),
    ("administration", "Administration"),
)


@dataclass(frozen=True)
class NavItem:
    """A navigation link shown to users holding the capability (None: every signed-in user).

    `group` is one of NAV_GROUPS' keys; None lets `nav_group` derive it from the capability.
    """

    label: str
    endpoint: str
    capability: str | None = None
    order: int = 50
    group: str | None = None


def nav_group(item: NavItem, capabilities: Mapping[str, Capability]) -> str:
    """Return the menu group of an item: its own, else one derived from its capability.

    No capability, or one a clinician holds to write their own record: "my_work". A core
    (`lms:`) capability: "administration". Anything else: "association".
    """
    if item.group is not None:
        return item.group
    if item.capability is None:
        return "my_work"
    if item.capability.startswith("lms:"):
        return "administration"
    cap = capabilities.get(item.capability)
    if cap is not None and cap.kind == "write" and "clinician" in cap.roles:
        return "my_work"
    return "association"


@dataclass(frozen=True)
class Plugin:
    """Everything the loader needs from a plugin; the last statement of its `__init__.py`.

    `name` is used for package, URL prefix, table prefix, capability prefix, CLI group and
    template folder. `api` is an optional blueprint mounted under /api/v1.
    """

    name: str
    version: int
    blueprint: Blueprint | None = None
    models: tuple[type, ...] = ()
    capabilities: Mapping[str, Capability] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    cli: click.Group | None = None
    api: Blueprint | None = None
    nav: tuple[NavItem, ...] = ()
    init_app: Callable[[Flask], None] | None = None
    package: str = ""


class PluginError(RuntimeError):
    """A plugin cannot be loaded; the message names it and says why."""


def load_plugins(app: Flask, names: list[str]) -> list[Plugin]:
    """Import, check and register the named plugins in order."""
    loaded: list[Plugin] = []
    seen: set[str] = set()
    for module_name in names:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise PluginError(
                f"Plugin {module_name!r} is named in LMS_PLUGINS but cannot be imported: {exc}"
            ) from exc
        plugin = getattr(module, "plugin", None)
        if not isinstance(plugin, Plugin):
            raise PluginError(f"Module {module_name!r} does not end with a `plugin = Plugin(...)`.")
        if plugin.name in seen:
            raise PluginError(f"Plugin {plugin.name!r} is named twice in LMS_PLUGINS.")
        missing = [req for req in plugin.requires if req not in seen]
        if missing:
            raise PluginError(
                f"Plugin {plugin.name!r} requires {', '.join(missing)}, which must be listed "
                "before it in LMS_PLUGINS."
            )
        _check_capabilities(plugin)
        _check_nav(plugin)
        plugin = _with_package(plugin, module_name)
        _register(app, plugin)
        loaded.append(plugin)
        seen.add(plugin.name)
    return loaded


def _with_package(plugin: Plugin, module_name: str) -> Plugin:
    from dataclasses import replace

    return replace(plugin, package=module_name)


def _check_capabilities(plugin: Plugin) -> None:
    for name, cap in plugin.capabilities.items():
        if not name.startswith(f"{plugin.name}:"):
            raise PluginError(f"Capability {name!r} of {plugin.name!r} must start with its name.")
        unknown = set(cap.roles) - set(ROLES)
        if unknown:
            raise PluginError(f"Capability {name!r} grants unknown roles {sorted(unknown)}.")


def _check_nav(plugin: Plugin) -> None:
    groups = {key for key, _ in NAV_GROUPS}
    for item in plugin.nav:
        if item.group is not None and item.group not in groups:
            raise PluginError(
                f"Navigation item {item.label!r} of {plugin.name!r} names the unknown group "
                f"{item.group!r}; use one of {', '.join(sorted(groups))}."
            )


def _register(app: Flask, plugin: Plugin) -> None:
    if plugin.blueprint is not None:
        app.register_blueprint(plugin.blueprint, url_prefix=f"/{plugin.name}")
    if plugin.api is not None:
        app.register_blueprint(plugin.api, url_prefix="/api/v1")
    if plugin.cli is not None:
        app.cli.add_command(plugin.cli, plugin.name)
    app.extensions["lms.capabilities"].update(plugin.capabilities)
    app.extensions["lms.nav"].extend(plugin.nav)
    if plugin.init_app is not None:
        plugin.init_app(app)


def plugin_names(app: Flask) -> list[str]:
    """Return the names of the loaded plugins, in load order."""
    return [p.name for p in app.extensions["lms.plugins"]]


def has_plugin(app: Flask, name: str) -> bool:
    """Tell whether a plugin is loaded."""
    return name in plugin_names(app)


def all_models(app: Flask) -> list[Any]:
    """Return the core's models and every loaded plugin's, in load order."""
    from lms import models

    core = list(models.MODELS)
    for plugin in app.extensions["lms.plugins"]:
        core.extend(plugin.models)
    return core
