"""Commands: evaluate a stored clinician or a what-if portfolio file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from competencies.blueprint import cli
from competencies.evaluator import EvaluationError, Result, missing_tasks
from competencies.pathways import evaluate_pathways, evaluate_with, open_pathways
from competencies.portfolio import PortfolioError, parse_portfolio_text
from competencies.rulesets import rule_set_in_force
from competencies.types import Summary
from lms.db import connection
from lms.models import Association, User


def _print_result(result: Result) -> None:
    pct = round(result.progress * 100)
    click.echo(
        f"{result.category_name} ({result.category}) — {result.rule_set_name} "
        f"{result.rule_set_version}, as of {result.as_of}"
    )
    if result.ready:
        click.echo("READY: every requirement is met.")
    else:
        ready = result.forecast.ready_date if result.forecast else None
        when = f"ready around {ready:%B %Y} at this pace" if ready else "no projected date yet"
        click.echo(f"{pct} % of the way; {when}.")
    for leaf in result.leaves():
        figures = leaf.figures.text if leaf.figures else ""
        click.echo(f"  [{leaf.status:11}] {leaf.label}: {figures}")
    missing = missing_tasks(result)
    if missing:
        click.echo("Missing:")
        for task in missing:
            click.echo(f"  - {task}")
    not_counted = result.all_not_counted()
    if not_counted:
        click.echo("Did not count:")
        for nc in not_counted:
            click.echo(f"  - {nc.reason}")
    if result.forecast:
        for warning in result.forecast.warnings:
            click.echo(f"Warning: {warning}")


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value} is not a real date; write YYYY-MM-DD") from exc


@cli.command("evaluate-portfolio")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--category", help="Category code, e.g. IMHS (default: the portfolio's).")
@click.option("--association", "association_code", help="Whose rules (default: shared rules).")
@click.option("--as-of", "as_of", help="Evaluate as of YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the result tree as JSON.")
def evaluate_portfolio(
    file: Path,
    category: str | None,
    association_code: str | None,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Evaluate a portfolio FILE (JSON or YAML) without saving anything."""
    try:
        portfolio = parse_portfolio_text(file.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text.") from exc
    except PortfolioError as exc:
        for problem in exc.errors:
            click.echo(f"{problem.where}: {problem.message}", err=True)
        raise click.ClickException(
            f"{len(exc.errors)} problem(s) in {file}; nothing evaluated."
        ) from None
    day = _parse_date(as_of) or portfolio.as_of or dt.date.today()
    code = category or portfolio.category
    if not code:
        raise click.UsageError("Name the category with --category (or `category` in the file).")
    with connection():
        association = None
        if association_code:
            association = Association.get_or_none(Association.code == association_code.upper())
            if association is None:
                raise click.ClickException(f"No association with code {association_code}.")
        row = rule_set_in_force(association, day)
        if row is None:
            raise click.ClickException("No rule set is in force on that date.")
        summary = Summary.from_items(0, portfolio.items, end=day)
        try:
            result = evaluate_with(row, code, summary, day)
        except (KeyError, EvaluationError) as exc:
            raise click.ClickException(str(exc).strip("'\"")) from exc
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        _print_result(result)


@cli.command("evaluate")
@click.option("--email", required=True, help="The clinician's email address.")
@click.option("--as-of", "as_of", help="Evaluate as of YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the result trees as JSON.")
def evaluate_stored(email: str, as_of: str | None, as_json: bool) -> None:
    """Evaluate every open pathway of a stored clinician."""
    day = _parse_date(as_of) or dt.date.today()
    with connection():
        user = User.by_email(email).first()
        if user is None:
            raise click.ClickException(f"No user with email {email}.")
        evaluations = evaluate_pathways(list(open_pathways(user)), day)
    if not evaluations:
        raise click.ClickException(f"{email} has not declared a goal yet.")
    if as_json:
        payload = [{"pathway": ev.pathway.id, **ev.result.to_dict()} for ev in evaluations]
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    for ev in evaluations:
        _print_result(ev.result)


@cli.command("refresh-readiness")
@click.option("--association", "code", help="Only this association (its code); default: all.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes to spread the evaluations over (default: this host's CPUs; with "
    "LMS_JOBS_URL the RQ workers take the parts wherever they run).",
)
def refresh_readiness(code: str | None, workers: int | None) -> None:
    """Evaluate and keep the readiness rows whose day has come (run it nightly).

    The association report is exact without it (stale rows are evaluated on demand); each kept
    row holds until the first day its evaluation could change (at the latest the next month),
    and this evaluates those rows before anyone opens a report.
    """
    from competencies.readiness import refresh_stale
    from lms import jobs

    with connection():
        query = Association.select().order_by(Association.code)
        if code:
            query = query.where(Association.code == code.upper())
        associations = list(query)
        if code and not associations:
            raise click.ClickException(f"No association with code {code}.")
        for association in associations:
            done = refresh_stale(association, workers=workers or jobs.cpu_count())
            click.echo(f"{association.code}: {done}.")
