"""Commands: `flask --app lms supervision remind` and `... supervision signatures`."""

from __future__ import annotations

import datetime as dt

import click

from lms.db import connection
from supervision.blueprint import cli


@cli.command("remind")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if today were this date (YYYY-MM-DD).",
)
def remind_command(today: dt.datetime | None) -> None:
    """Email providers with sessions pending > 7 days and clinicians whose window closes soon."""
    from supervision.reminders import remind

    with connection():
        sent = remind(today.date() if today else None)
    for item in sent:
        click.echo(f"Sent to {item.email}: {item.subject}")
    click.echo(f"{len(sent)} reminder(s) sent.")


@cli.command("signatures")
def signatures_command() -> None:
    """Check every attestation against its content; void those that no longer match."""
    from competencies.reevaluate import after_commit, of
    from supervision.attestation import check_signatures

    with connection():
        broken = check_signatures()
        readiness = after_commit(of(broken), background=False)  # the voids made them stale
    for s in broken:
        click.echo(
            f"Session {s.id} ({s.occurred_on.isoformat()}): content changed after signing; "
            "attestation and evidence voided, back to pending."
        )
    click.echo(f"{len(broken)} attestation(s) no longer valid.")
    if readiness:
        click.echo(readiness)
    if broken:
        raise SystemExit(1)
