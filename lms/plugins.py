"""Define the plugin contract and load the plugins named in `LMS_PLUGINS`, in order."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click
from blinker import NamedSignal
from flask import Blueprint, Flask, current_app, has_app_context

from lms.vocabulary import ROLE_LABELS, role_label  # noqa: F401 (their names for people)

ROLES = (
    "clinician",
    "trainer",
    "rsc_provider",
    "agency_manager",
    "reviewer",
    "coordinator",
    "admin",
)


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
class Mount:
    """A further blueprint of a plugin and where it is mounted (None: at the root).

    `csrf=False` exempts it from CSRF protection: only for endpoints that authenticate each
    request themselves (tokens, signed launches), like the API.
    """

    blueprint: Blueprint
    url_prefix: str | None = None
    csrf: bool = True


@dataclass(frozen=True)
class Receiver:
    """A function the loader connects to a signal of `lms.signals` for the app loading the plugin.

    Signals in `lms.signals.SENT_BY_APP` are connected with the app as sender; the others
    (sent by a row or a user) run only while that app is the current app. An app built without
    the plugin never runs them.
    """

    signal: NamedSignal
    function: Callable[..., Any]


@dataclass(frozen=True)
class RequestHook:
    """A function run before each request; `first=True` runs it before every core hook (CSRF
    reads the form): for per-request limits only."""

    function: Callable[[], Any]
    first: bool = False


@dataclass(frozen=True)
class Plugin:
    """Everything the loader needs from a plugin; the last statement of its `__init__.py`.

    This is the only door into the app: the loader registers every field and a plugin's
    `init_app` does nothing the fields can say (no blueprints, hooks or signal connections).

    `name` is used for package, URL prefix (`blueprint` is mounted at `/<name>`), table prefix,
    capability prefix, CLI group and template folder. `version` is the number of the plugin's
    newest migration (`<package>/migrations/NNNN_*.py`); the loader refuses a mismatch. Every
    model in `models` must have a table named `<name>_...`. `api` is mounted under /api/v1 and
    exempt from CSRF; `blueprints` are further blueprints with their prefixes. `home` functions
    are called like `dashboard_panels` receivers (sender: the user; keyword `actor`) and return
    home panels and to-dos. `init_app` runs last, with the plugin already recorded, so that
    `has_plugin(app, name)` is true inside it.
    """

    name: str
    version: int
    blueprint: Blueprint | None = None
    models: tuple[type, ...] = ()
    capabilities: Mapping[str, Capability] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    cli: click.Group | None = None
    api: Blueprint | None = None
    blueprints: tuple[Mount, ...] = ()
    receivers: tuple[Receiver, ...] = ()
    request_hooks: tuple[RequestHook, ...] = ()
    nav: tuple[NavItem, ...] = ()
    home: tuple[Callable[..., list[Any]], ...] = ()
    init_app: Callable[[Flask], None] | None = None
    package: str = ""


class PluginError(RuntimeError):
    """A plugin cannot be loaded; the message names it and says why."""


def load_plugins(app: Flask, names: list[str]) -> list[Plugin]:
    """Import, check and register the named plugins in order.

    Each plugin is recorded in `app.extensions["lms.plugins"]` before its `init_app` runs.
    """
    loaded: list[Plugin] = app.extensions.setdefault("lms.plugins", [])
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
        _check_models(plugin)
        _check_version(plugin, module)
        plugin = replace(plugin, package=module_name)
        _register(app, plugin)
        loaded.append(plugin)
        seen.add(plugin.name)
        if plugin.init_app is not None:
            plugin.init_app(app)
    return loaded


MIGRATION_FILE = re.compile(r"^(\d+)_\w+\.py$")


def newest_migration(module: Any) -> int:
    """Return the number of a plugin package's newest migration file (0: none)."""
    path = getattr(module, "__file__", None)
    if not path:
        return 0
    folder = Path(path).parent / "migrations"
    numbers = [
        int(match.group(1))
        for match in (MIGRATION_FILE.match(f.name) for f in folder.glob("*.py"))
        if match
    ]
    return max(numbers, default=0)


def _check_version(plugin: Plugin, module: Any) -> None:
    newest = newest_migration(module)
    if plugin.version != newest:
        raise PluginError(
            f"Plugin {plugin.name!r} declares version {plugin.version}, but its newest migration "
            f"is number {newest}: set version={newest} in its Plugin(...)."
        )


def _check_models(plugin: Plugin) -> None:
    for model in plugin.models:
        table = model._meta.table_name
        if not table.startswith(f"{plugin.name}_"):
            raise PluginError(
                f"Model {model.__name__} of {plugin.name!r} has the table {table!r}; a plugin's "
                f"tables must be named {plugin.name}_..."
            )


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
    from lms.csrf import csrf

    if plugin.blueprint is not None:
        app.register_blueprint(plugin.blueprint, url_prefix=f"/{plugin.name}")
    for mount in plugin.blueprints:
        app.register_blueprint(mount.blueprint, url_prefix=mount.url_prefix)
        if not mount.csrf:
            csrf.exempt(mount.blueprint)
    if plugin.api is not None:
        app.register_blueprint(plugin.api, url_prefix="/api/v1")
        csrf.exempt(plugin.api)
    hooks = app.before_request_funcs.setdefault(None, [])
    first = [hook.function for hook in plugin.request_hooks if hook.first]
    hooks[0:0] = first  # before the core's hooks, in the plugin's order
    hooks.extend(hook.function for hook in plugin.request_hooks if not hook.first)
    if plugin.cli is not None:
        app.cli.add_command(plugin.cli, plugin.name)
    app.extensions["lms.capabilities"].update(plugin.capabilities)
    app.extensions["lms.nav"].extend(plugin.nav)
    from lms.signals import dashboard_panels

    for receiver in plugin.receivers:
        _connect(app, receiver.signal, receiver.function)
    for function in plugin.home:
        _connect(app, dashboard_panels, function)


def _connect(app: Flask, signal: NamedSignal, function: Callable[..., Any]) -> None:
    """Connect `function` to `signal` for this app only.

    The connection is weak and the app holds the only strong reference to it: it lives as long
    as the app, and an app built without the plugin (or any other app) never runs it.
    """
    from lms.signals import SENT_BY_APP

    if signal in SENT_BY_APP:

        def receive(sender: Any, **kwargs: Any) -> Any:
            return function(sender, **kwargs)

        signal.connect(receive, sender=app, weak=True)
    else:

        def receive(sender: Any, **kwargs: Any) -> Any:
            if not has_app_context() or current_app._get_current_object() is not app:
                return None  # another app's signal
            return function(sender, **kwargs)

        signal.connect(receive, weak=True)
    app.extensions.setdefault("lms.receivers", []).append(receive)


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
