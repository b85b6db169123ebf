"""Command-line commands of the platform: migrate, status, demo, tokens, audit."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from lms.db import connection


def init_app(app: Flask) -> None:
    """Add the platform's commands to `flask --app lms`."""
    app.cli.add_command(migrate_command)
    app.cli.add_command(status_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(token_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Apply pending migrations of the core and every plugin."""
    from lms.db import migrate_all

    with connection():
        applied = migrate_all(current_app)
    total = sum(len(v) for v in applied.values())
    for name, migrations in applied.items():
        for migration in migrations:
            click.echo(f"applied {name}/{migration}")
    click.echo(f"{total} migration(s) applied." if total else "Database is up to date.")


@click.command("status")
@with_appcontext
def status_command() -> None:
    """List every migration and whether it is applied."""
    from lms.db import migration_status

    pending = 0
    with connection():
        for plugin, name, applied in migration_status(current_app):
            pending += applied is None
            click.echo(f"{plugin:14} {name:40} {applied or 'PENDING'}")
    click.echo(f"{pending} pending." if pending else "All migrations applied.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo association and one account per role (idempotent)."""
    from lms.demo import load_demo

    with connection():
        result = load_demo(current_app)
    click.echo(f"Demo association: {result.association.name} ({result.association.code})")
    click.echo("Demo log-ins (password: " + result.password_hint + "):")
    for role, user in result.users.items():
        click.echo(f"  {role:15} {user.email}")


@click.group("token")
def token_group() -> None:
    """Manage personal API tokens."""


@token_group.command("create")
@click.argument("email")
@click.option("--role", required=True, help="The role the token acts as.")
@click.option("--association", "association_code", help="Association code (default: the only one).")
@click.option("--name", default="command line", show_default=True)
@with_appcontext
def token_create(email: str, role: str, association_code: str | None, name: str) -> None:
    """Create a token for EMAIL and print it once."""
    from lms.accounts import AccountError, create_api_token
    from lms.models import Association, Membership, User

    with connection():
        user = User.by_email(email).first()
        if user is None:
            raise click.ClickException(f"No user with email {email}.")
        association = None
        if role != "admin":
            if association_code:
                association = Association.get_or_none(Association.code == association_code.upper())
                if association is None:
                    raise click.ClickException(f"No association with code {association_code}.")
            else:
                held = list(
                    Membership.select()
                    .where((Membership.user == user) & (Membership.role == role))
                    .limit(2)
                )
                if len(held) != 1:
                    raise click.ClickException(
                        f"{email} holds the role {role} in {len(held)} associations; "
                        "name one with --association."
                    )
                association = held[0].association
        try:
            issued = create_api_token(
                user, role=role, association=association, name=name, password=None
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(issued.secret)


@click.group("audit")
def audit_group() -> None:
    """Work with the audit log."""


MAX_BREAKS_SHOWN = 20


def _trusted_key(public_key: str | None):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if public_key is None:
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
    except ValueError as exc:
        raise click.BadParameter("give 64 hex digits (a checkpoint's public_key)") from exc


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    help="A checkpoint file (or `latest`, the newest in the checkpoint folder) the log must "
    "still match: catches rows removed from the end and a chain recomputed from the start.",
)
@click.option(
    "--public-key",
    help="The checkpoint signer's public key (hex) to trust; default: this instance's.",
)
@with_appcontext
def audit_verify(checkpoint_file: str | None, public_key: str | None) -> None:
    """Check the audit log's keyed chain (and a signed checkpoint); exit 1 on any break."""
    from lms import audit
    from lms.models import AuditLog

    trusted = _trusted_key(public_key)
    check = None
    if checkpoint_file:
        path = audit.latest_checkpoint() if checkpoint_file == "latest" else Path(checkpoint_file)
        if path is None:
            click.echo(f"No checkpoint in {audit.checkpoint_folder()}.", err=True)
            sys.exit(1)
        try:
            data = audit.read_checkpoint(path)
        except audit.CheckpointError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    with connection():
        breaks = list(audit.verify_chain())
        total = AuditLog.select().count()
        if checkpoint_file:
            check = audit.check_checkpoint(data, trusted)
    for item in breaks[:MAX_BREAKS_SHOWN]:
        click.echo(f"row {item.row_id}: {item.problem}", err=True)
    if len(breaks) > MAX_BREAKS_SHOWN:
        click.echo(f"… and {len(breaks) - MAX_BREAKS_SHOWN} more.", err=True)
    if check is not None:
        for problem in check.problems:
            click.echo(f"checkpoint {path.name}: {problem}", err=True)
    if breaks or (check is not None and not check.ok):
        where = f"at {len(breaks)} row(s) of {total}" if breaks else f"against {path.name}"
        click.echo(f"Audit chain BROKEN {where}.", err=True)
        sys.exit(1)
    click.echo(f"Audit chain intact: {total} row(s).")
    if check is not None:
        cp = check.checkpoint
        click.echo(
            f"Matches the checkpoint of {cp['made_at']} ({cp['rows']} row(s) up to row "
            f"{cp['head_id']}, signed by key {cp['key_id']})."
        )


@audit_group.command("checkpoint")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the checkpoint here (default: the checkpoint folder, and print it).",
)
@with_appcontext
def audit_checkpoint(out: Path | None) -> None:
    """Write a signed checkpoint of the log's head row and row count (run it nightly).

    Keep copies away from this database (cron mails what it prints): someone who can rewrite
    the database cannot rewrite a checkpoint they cannot reach or sign.
    """
    import json

    from lms import audit

    with connection():
        data = audit.make_checkpoint()
    path = audit.write_checkpoint(data, out)
    if out is None:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        click.echo(
            f"Checkpoint written to {path}: {data['rows']} row(s) up to row {data['head_id']}."
        )


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write an online backup of the SQLite database to PATH (PostgreSQL: use pg_dump)."""
    from lms.backup import BackupError, backup_to

    with connection():
        try:
            size = backup_to(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {path} ({size:,} bytes), integrity check ok.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the current data is to be replaced.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace this instance's SQLite database with the backup at PATH."""
    from lms.backup import BackupError, restore_from

    if not yes:
        raise click.UsageError("Restoring replaces every record of this instance; add --yes.")
    with connection():
        try:
            restore_from(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored from {path}. Run `flask --app lms audit verify` to check the chain.")
