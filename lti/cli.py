"""Commands: `flask --app lms lti register | urls | rotate-key | rotate-secret | push-grades |
purge`."""

from __future__ import annotations

import click

from lms.db import connection
from lms.models import Association
from lti.blueprint import cli


def _association(code: str) -> Association:
    association = Association.get_or_none(Association.code == code)
    if association is None:
        raise click.BadParameter(
            f"no association has the code {code!r}", param_hint="--association"
        )
    return association


def _echo_urls(association: Association) -> None:
    from lti.platforms import tool_urls

    urls = tool_urls(association)
    click.echo(f"Login initiation URL (OIDC):  {urls['login']}")
    click.echo(f"Redirect / launch URL:        {urls['launch']}")
    click.echo(f"Deep-linking URL:             {urls['deep_link']}")
    click.echo(f"Public keyset (JWKS) URL:     {urls['jwks']}")


_OPTION_OF = {
    "issuer": "--issuer",
    "client_id": "--client-id",
    "deployment_id": "--deployment-id",
    "auth_login_url": "--auth-login-url",
    "auth_token_url": "--auth-token-url",
    "key_set_url": "--key-set-url",
    "auth_audience": "--auth-audience",
    "name": "--name",
}


@cli.command("register")
@click.option("--association", "code", required=True, help="The association's code.")
@click.option("--issuer", required=True, help="The platform's issuer (its platform id).")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option(
    "--deployment-id",
    "deployment_ids",
    required=True,
    multiple=True,
    help="A deployment id (repeat for several).",
)
@click.option("--auth-login-url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--auth-token-url", required=True, help="The platform's access token URL.")
@click.option("--key-set-url", required=True, help="The platform's public keyset (JWKS) URL.")
@click.option("--name", default="", help="A name to show (default: the issuer's host).")
@click.option("--auth-audience", default="", help="Token audience, if not the token URL.")
@click.option("--frame-origin", "frame_origins", multiple=True, help="An origin framing the tool.")
@click.option("--trusted-email", is_flag=True, help="Link first launches by the platform's email.")
def register_command(
    code: str,
    issuer: str,
    client_id: str,
    deployment_ids: tuple[str, ...],
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    name: str,
    auth_audience: str,
    frame_origins: tuple[str, ...],
    trusted_email: bool,
) -> None:
    """Register a learning platform with an association and print the tool's URLs."""
    from lti.platforms import LtiError, PlatformInput, register_platform

    with connection():
        association = _association(code)
        data = PlatformInput(
            name=name,
            issuer=issuer,
            client_id=client_id,
            deployment_ids=list(deployment_ids),
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            key_set_url=key_set_url,
            auth_audience=auth_audience,
            frame_origins=" ".join(frame_origins),
            trusted_email=trusted_email,
        )
        try:
            platform = register_platform(association, data)
        except LtiError as exc:
            raise click.BadParameter(str(exc), param_hint=_OPTION_OF.get(exc.field or "")) from None
        click.echo(f"Registered {platform.name} with {association.name}. Paste into the LMS:")
        _echo_urls(association)


@cli.command("urls")
@click.option("--association", "code", required=True, help="The association's code.")
def urls_command(code: str) -> None:
    """Print the tool's URLs for an association."""
    with connection():
        _echo_urls(_association(code))


@cli.command("rotate-key")
@click.option("--association", "code", required=True, help="The association's code.")
def rotate_key_command(code: str) -> None:
    """Retire the association's tool key and make a new one (the old one is served a week)."""
    from lti.keys import rotate_key

    with connection():
        kid = rotate_key(_association(code))
    click.echo(f"New tool key {kid}.")


@cli.command("rotate-secret")
def rotate_secret_command() -> None:
    """Re-encrypt every tool key under the current LMS_SIGNING_KEY_SECRET."""
    from lti.keys import rotate_secret

    with connection():
        count = rotate_secret()
    click.echo(f"Re-encrypted {count} tool key(s).")


@cli.command("push-grades")
@click.option("--limit", default=200, show_default=True, help="Learners per run.")
def push_grades_command(limit: int) -> None:
    """Post queued learners' progress to their courses (cron, every few minutes)."""
    from lti.grades import push_grades

    with connection():
        report = push_grades(limit=limit)
    click.echo(
        f"{report.posted} score(s) posted, {report.unchanged} unchanged, {report.failed} failed."
    )
    for error in report.errors or []:
        click.echo(f"  {error}", err=True)
    if report.failed:
        raise SystemExit(1)


@cli.command("pull-completions")
def pull_completions_command() -> None:
    """Record the training completions the LMS reports for placed activities (cron)."""
    from competencies.reevaluate import after_commit
    from lti.completions import pull_completions

    with connection():
        report = pull_completions()
        readiness = after_commit(report.written, background=False)
    click.echo(
        f"{report.courses} course(s) read: {report.recorded} completion(s) recorded, "
        f"{report.already} recorded before, {report.unlinked} by learners not linked yet, "
        f"{report.failed} failed."
    )
    if readiness:
        click.echo(readiness)
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if report.failed:
        raise SystemExit(1)


@cli.command("purge")
@click.option(
    "--grade-job-days",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Give up a learner's grade still failing after this many days.",
)
def purge_command(grade_job_days: int) -> None:
    """Delete expired launch data, used nonces past any token's life, stale grade jobs (cron)."""
    from lti.purge import purge

    with connection():
        counts = purge(grade_job_days=grade_job_days)
    click.echo(
        f"Deleted {counts['launch_values']} launch value(s), {counts['launches']} launch(es), "
        f"{counts['used_nonces']} used nonce(s), {counts['grade_jobs']} grade job(s)."
    )
