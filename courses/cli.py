"""`flask --app lms courses import-completions FILE --as EMAIL`."""

from __future__ import annotations

from pathlib import Path

import click

from courses import importer
from courses.blueprint import cli
from lms.db import connection
from lms.models import User
from lms.permissions import acting_association, actor_for


@cli.command("import-completions")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "email", required=True, help="Email of the trainer or coordinator importing.")
@click.option("--training", "training_code", default=None, help="Training code of a Moodle report.")
@click.option("--dry-run", is_flag=True, help="Check the file and show the outcome; write nothing.")
def import_completions(path: Path, email: str, training_code: str | None, dry_run: bool) -> None:
    """Import a CSV of completions (our template or a Moodle report), all or nothing."""
    with connection():
        user = User.by_email(email).first()
        if user is None:
            raise click.ClickException(f"No user with the email {email}.")
        actor = actor_for(user)
        if not actor.can("courses:import"):
            raise click.ClickException(f"{email} may not import completions.")
        association = acting_association("courses:import", actor, requested=None)
        run = importer.preview if dry_run else importer.commit
        try:
            with path.open("rb") as stream:
                report = run(actor, association, stream, training_code=training_code)
        except importer.ImportRejected as exc:
            report = exc.report
        for where, message in report.file_errors:
            click.echo(f"{path.name}: {where}: {message}", err=True)
        for row in report.bad_rows:
            for column, message in row.errors:
                click.echo(f"{path.name}: line {row.line}, {column}: {message}", err=True)
        if report.bad > len(report.bad_rows):
            click.echo(f"... and {report.bad - len(report.bad_rows)} more bad rows", err=True)
        if not report.ok:
            raise click.ClickException(
                f"Nothing imported: {report.bad} bad row(s), "
                f"{len(report.file_errors)} file problem(s)."
            )
        verb = "Would import" if dry_run else "Imported"
        count = report.new if dry_run else report.written
        click.echo(
            f"{verb} {count} completion(s); {report.existing} already recorded; "
            f"{report.skipped} not completed; {report.total} row(s) read."
        )
        if not dry_run and report.written:
            click.echo(importer.reevaluate(actor, association, report, background=False))


@cli.command("purge-previews")
def purge_previews() -> None:
    """Remove CSV import previews never committed, older than a day (run it from cron)."""
    from flask import current_app

    from courses import previews

    removed = previews.purge(previews.folder(current_app.instance_path))
    click.echo(f"Removed {removed} preview file(s) older than {previews.PREVIEW_MAX_AGE}.")
