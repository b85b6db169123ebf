"""Commands: issue a certificate for a person, revoke one by its code."""

from __future__ import annotations

import os
from pathlib import Path

import click

from certificates import issuing
from certificates.blueprint import cli
from certificates.codes import display
from competencies.models import Endorsement
from lms.db import connection
from lms.models import User


def _user(email: str) -> User:
    user = User.by_email(email).first()
    if user is None:
        raise click.BadParameter(f"No account has the email {email!r}.", param_hint="--email")
    return user


@cli.command("issue")
@click.option(
    "--kind",
    type=click.Choice(["progress", "transcript", "endorsement"]),
    required=True,
    help="Which document to issue.",
)
@click.option("--email", required=True, help="The holder's email address.")
@click.option("--category", default=None, help="Progress/endorsement: which category.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write the PDF to this file.",
)
def issue_command(kind: str, email: str, category: str | None, output: Path | None) -> None:
    """Issue a certificate and print its verification code."""
    with connection():
        holder = _user(email)
        try:
            if kind == "progress":
                cert = issuing.issue_progress(holder, category=category)
            elif kind == "transcript":
                cert = issuing.issue_transcript(holder)
            else:
                query = Endorsement.select().where(
                    (Endorsement.clinician == holder) & (Endorsement.status == "active")
                )
                if category:
                    query = query.where(Endorsement.category == category)
                endorsement = query.order_by(Endorsement.awarded_on.desc()).first()
                if endorsement is None:
                    raise click.ClickException(f"{email} holds no active endorsement to certify.")
                cert = issuing.issue_endorsement(endorsement)
        except issuing.CertificateError as exc:
            raise click.ClickException(str(exc)) from exc
        if output is not None:
            _write_whole(output, bytes(cert.pdf))
        click.echo(display(cert.code))


def _write_whole(path: Path, data: bytes) -> None:
    """Write the file under its name only once complete: a crash mid-write leaves no truncated
    PDF there (at worst a hidden `.part` file beside it)."""
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    os.replace(partial, path)


@cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why; shown on the verify page.")
def revoke_command(code: str, reason: str) -> None:
    """Revoke a certificate by its verification code."""
    with connection():
        cert = issuing.find_by_code(code)
        if cert is None:
            raise click.ClickException(f"No certificate has the code {code!r}.")
        try:
            issuing.revoke(cert, reason=reason)
        except issuing.CertificateError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Revoked {display(cert.code)}.")
