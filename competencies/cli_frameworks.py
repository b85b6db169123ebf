"""Commands: import and export frameworks, load rule sets, install the shipped defaults."""

from __future__ import annotations

from pathlib import Path

import click

from competencies.blueprint import cli
from competencies.framework_files import FORMATS, detect_format, read_framework, read_rule_set
from competencies.frameworks import framework_doc, framework_for, save_framework
from competencies.frameworks_io import FrameworkError, dump_framework, dump_moodle_csv
from competencies.models import Framework
from competencies.reevaluate import after_framework_edit
from competencies.rules import RuleSetError
from competencies.rulesets import (
    RuleSetConflict,
    ShippedRulesChanged,
    install_defaults,
    save_rule_set,
)
from lms.db import connection
from lms.models import Association

_FORMAT = click.Choice(FORMATS)


def _association(code: str | None) -> Association | None:
    if not code:
        return None
    association = Association.get_or_none(Association.code == code.upper())
    if association is None:
        raise click.ClickException(f"No association with code {code}.")
    return association


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"Cannot read {file}: {exc.strerror}.") from exc


def _fail(problems, file: Path, what: str) -> click.ClickException:
    for problem in problems:
        click.echo(f"{problem.where}: {problem.message}", err=True)
    return click.ClickException(f"{len(problems)} problem(s) in {file}; {what}")


@cli.command("import-framework")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--association", "association_code", help="Owner's code (default: shared).")
@click.option("--format", "fmt", type=_FORMAT, help="Default: from the file's extension.")
def import_framework(file: Path, association_code: str | None, fmt: str | None) -> None:
    """Check a framework FILE and store it (the same id number and version is replaced)."""
    data = _read(file)
    fmt = fmt or detect_format(file.name, data)
    try:
        doc = read_framework(data, fmt)
    except FrameworkError as exc:
        raise _fail(exc.errors, file, "nothing saved.") from None
    with connection():
        association = _association(association_code)
        framework = save_framework(doc, association=association)
        owner = association.code if association else "shared"
        click.echo(
            f"Imported {framework.name} {framework.version} ({owner}): "
            f"{len(doc.domains)} domains, {len(doc.areas())} areas."
        )
        # A replaced framework staled the rows of the pathways reading it: evaluated here.
        readiness = after_framework_edit(framework.id, background=False)
        if readiness:
            click.echo(readiness)


@cli.command("export-framework")
@click.option("--association", "association_code", help="Whose framework (default: shared).")
@click.option("--idnumber", help="The framework's id number (default: the one in use).")
@click.option("--format", "fmt", type=_FORMAT, default="yaml", show_default=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Default: stdout.",
)
def export_framework(
    association_code: str | None, idnumber: str | None, fmt: str, output: Path | None
) -> None:
    """Write a stored framework as JSON, YAML or Moodle CSV."""
    with connection():
        association = _association(association_code)
        if idnumber:
            # The association's own first, then a shared one, as framework_for chooses.
            query = Framework.select().where(
                (Framework.idnumber == idnumber)
                & (Framework.association.is_null() | (Framework.association == association))
            )
            framework = query.order_by(
                Framework.association.is_null(), Framework.updated_at.desc(), Framework.id.desc()
            ).first()
        else:
            framework = framework_for(association)
        if framework is None:
            raise click.ClickException("No such framework is stored.")
        doc = framework_doc(framework)
    if fmt == "moodle-csv":
        data = dump_moodle_csv(doc)
    else:
        data = dump_framework(doc, fmt).encode("utf-8")
    if output is None:
        click.echo(data, nl=False)
        return
    output.write_bytes(data)
    click.echo(
        f"Wrote {doc.name} {doc.version} to {output}: "
        f"{len(doc.domains)} domains, {len(doc.areas())} areas.",
        err=True,
    )


@cli.command("load-rules")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--association", "association_code", help="Owner's code (default: shared).")
def load_rules(file: Path, association_code: str | None) -> None:
    """Check a rule-set FILE (JSON or YAML) and publish it as a new version."""
    data = _read(file)
    try:
        parsed = read_rule_set(data, file.name)
    except RuleSetError as exc:
        raise _fail(exc.errors, file, "nothing published.") from None
    with connection():
        association = _association(association_code)
        try:
            row = save_rule_set(parsed.to_dict(), association=association)
        except RuleSetError as exc:
            raise _fail(exc.errors, file, "nothing published.") from None
        except RuleSetConflict as exc:
            raise click.ClickException(str(exc)) from None
    owner = association.code if association else "shared"
    click.echo(
        f"Published {row.name} {row.version} ({owner}), in force from {row.effective}: "
        f"{len(parsed.categories)} categories."
    )


@cli.command("install-defaults")
def install_defaults_command() -> None:
    """Store the shipped demo framework and default rule sets as shared versions, if missing."""
    with connection():
        try:
            rows = install_defaults()
        except ShippedRulesChanged as exc:
            raise click.ClickException(str(exc)) from None
        lines = [f"  {r.name} {r.version}, in force from {r.effective}" for r in rows]
    click.echo("Shared rule sets installed:")
    for line in lines:
        click.echo(line)
