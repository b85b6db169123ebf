"""Commands: issue and revoke certificates, print a credential, rotate signing keys and secret."""

from __future__ import annotations

import os
from pathlib import Path

import click

from certificates import issuing, revocation
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
            revocation.revoke(cert, reason=reason)
        except issuing.CertificateError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Revoked {display(cert.code)}.")


@cli.command("rotate-key")
@click.option("--association", "association_code", required=True, help="Association code.")
def rotate_key_command(association_code: str) -> None:
    """Add a new signing key for an association; older keys stay published for verification."""
    from certificates import keys
    from lms.models import Association

    with connection():
        association = Association.get_or_none(Association.code == association_code)
        if association is None:
            raise click.BadParameter(
                f"No association has the code {association_code!r}.", param_hint="--association"
            )
        kid = keys.rotate_key(association)
        click.echo(f"{association.code} now signs with {kid}; older keys still verify.")


@cli.command("rotate-secret")
def rotate_secret_command() -> None:
    """Re-encrypt every signing key under the current LMS_SIGNING_KEY_SECRET."""
    from certificates import keys

    with connection():
        try:
            count = keys.rotate_secret()
        except keys.SigningKeyError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"Re-encrypted {count} signing key(s); LMS_SIGNING_KEY_SECRET_PREVIOUS can now be "
            "emptied."
        )


@cli.command("credential")
@click.argument("code")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "jwt"]),
    default="json",
    show_default=True,
    help="Data Integrity JSON or VC-JWT.",
)
def credential_command(code: str, fmt: str) -> None:
    """Print the signed Open Badges credential of an endorsement certificate."""
    with connection():
        cert = issuing.find_by_code(code)
        if cert is None:
            raise click.ClickException(f"No certificate has the code {code!r}.")
        text = cert.credential if fmt == "json" else cert.credential_jwt
        if not text:
            raise click.ClickException(
                f"{display(cert.code)} is a {cert.kind_word.lower()}; only endorsement "
                f"certificates carry a signed credential{' as a VC-JWT' if fmt == 'jwt' else ''}."
            )
        click.echo(text)
