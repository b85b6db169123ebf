"""Cron commands of the workflow: renewal reminders and lapsing overdue endorsements."""

from __future__ import annotations

import datetime as dt

import click

from endorsement import renewals
from endorsement.blueprint import cli
from lms.db import connection


def _today(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value} is not a real date; write YYYY-MM-DD") from exc


@cli.command("remind")
@click.option("--today", "today_text", metavar="YYYY-MM-DD", help="Act as if it were this day.")
def remind_command(today_text: str | None) -> None:
    """Email renewal reminders 90, 30 and 7 days ahead (safe to run several times a day)."""
    today = _today(today_text)
    with connection():
        sent = renewals.remind(today)
    click.echo(f"{sent} renewal reminder{'s' if sent != 1 else ''} sent for {today.isoformat()}.")


@cli.command("lapse")
@click.option("--today", "today_text", metavar="YYYY-MM-DD", help="Act as if it were this day.")
def lapse_command(today_text: str | None) -> None:
    """Lapse endorsements whose renewal date has passed (they leave the public registry)."""
    today = _today(today_text)
    with connection():
        lapsed = renewals.lapse_overdue(today)
    click.echo(f"{lapsed} endorsement{'s' if lapsed != 1 else ''} lapsed.")
