"""Demo data: one association, two agencies and one account per role; plugins add the rest."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from lms import accounts
from lms.config import ConfigError
from lms.db import db
from lms.models import Agency, Association, Membership, User
from lms.plugins import ROLES
from lms.signals import demo_data

DEV_PASSWORD = "demo-pathway-2025"  # documented in the README; development only
DEMO_CODE = "DEMO"


@dataclass(frozen=True)
class DemoResult:
    association: Association
    users: dict[str, User]
    password_hint: str


def demo_password(app: Flask) -> str:
    """Return the demo password: LMS_DEMO_PASSWORD, or the documented one in development."""
    password = app.config.get("DEMO_PASSWORD")
    if password:
        return password
    if app.config.get("ENV") == "development" or app.config.get("TESTING"):
        return DEV_PASSWORD
    raise ConfigError("Set LMS_DEMO_PASSWORD to load demo accounts outside development.")


def load_demo(app: Flask) -> DemoResult:
    """Create what is missing of the demo; running it again changes nothing."""
    app = getattr(app, "_get_current_object", lambda: app)()  # receivers filter on the real app
    password = demo_password(app)
    with db.atomic():
        association = Association.get_or_none(Association.code == DEMO_CODE)
        if association is None:
            association = Association.create(
                code=DEMO_CODE, name="Demo Infant Mental Health Association"
            )
        agencies = []
        for name, city in (
            ("Lakeshore Family Services", "Lakeshore"),
            ("Riverbend Community Mental Health", "Riverbend"),
        ):
            agency = Agency.get_or_none((Agency.association == association) & (Agency.name == name))
            agencies.append(agency or Agency.create(association=association, name=name, city=city))
        users: dict[str, User] = {}
        for role in ROLES:
            email = f"{role}@demo.example"
            user = User.by_email(email).first()
            if user is None:
                user = accounts.create_user(
                    email,
                    f"Demo {role.replace('_', ' ').title()}",
                    roles=(role,),
                    association=association,
                    agency=agencies[0],
                    password=password,
                )
            elif (
                role != "admin"
                and not Membership.select()
                .where((Membership.user == user) & (Membership.association == association))
                .exists()
            ):
                accounts.set_roles(user, association, [role], agency=agencies[0])
            users[role] = user
        demo_data.send(app, association=association, users=users, password=password)
    hint = "$LMS_DEMO_PASSWORD" if app.config.get("DEMO_PASSWORD") else password
    return DemoResult(association, users, hint)
