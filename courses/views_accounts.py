"""LMS accounts pages: a coordinator links the association's; a clinician sees their own."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for

from courses import lms_accounts
from courses.blueprint import bp
from courses.errors import CourseError
from courses.forms_records import ClinicianLmsAccountForm, LmsAccountImportForm
from lms.csvutil import csv_rows
from lms.errors import form_error
from lms.forms import ConfirmForm
from lms.inputs import int_arg, upload_limit
from lms.permissions import acting_association, current_actor, require

LIST_LIMIT = 500


@bp.route("/my-lms-accounts")
@require("courses:self_report")
def my_lms_accounts():
    """Show the clinician's links; only a coordinator or the platform makes one."""
    actor = current_actor()
    return render_template(
        "courses/my_lms_accounts.html",
        accounts=lms_accounts.accounts_of(actor.user),
        confirm=ConfirmForm(),
    )


@bp.route("/lms-accounts", methods=["GET", "POST"], endpoint="lms_accounts")
@require("courses:link_lms_accounts")
def association_lms_accounts():
    actor = current_actor()
    association = acting_association("courses:link_lms_accounts")
    form = ClinicianLmsAccountForm()
    upload = LmsAccountImportForm(formdata=None)
    if form.validate_on_submit():
        try:
            account, created = lms_accounts.link_for(
                actor, association, form.email.data, form.home_page.data, form.name.data
            )
        except CourseError as exc:
            form_error(form, exc, "name")
        else:
            flash(
                f"Linked {account.name} on {account.home_page} to {account.user.display_name}."
                if created
                else "This account was already linked to that clinician.",
                "success",
            )
            return redirect(url_for("courses.lms_accounts", association=association.id))
    return _render(association, form, upload, None, 400 if form.errors else 200)


def _render(association, form, upload, report, status):
    accounts = list(lms_accounts.association_accounts(association).limit(LIST_LIMIT + 1))
    return render_template(
        "courses/lms_accounts.html",
        association=association,
        form=form,
        upload=upload,
        report=report,
        error_forms=[form, upload],
        accounts=accounts[:LIST_LIMIT],
        more=len(accounts) > LIST_LIMIT,
        confirm=ConfirmForm(),
    ), status


@bp.route("/lms-accounts/template.csv")
@require("courses:link_lms_accounts")
def lms_accounts_template():
    """A CSV file with the columns of an import of links and one example row, to fill in."""
    example = ("clinician@example.org", "1234", "https://moodle.example.org")
    return Response(
        csv_rows(("email", "name", "home_page"), [example]),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="lms-accounts-template.csv"'},
    )


@bp.route("/lms-accounts/import", methods=["POST"])
@upload_limit
@require("courses:link_lms_accounts")
def lms_accounts_import():
    actor = current_actor()
    association = acting_association("courses:link_lms_accounts")
    form = ClinicianLmsAccountForm(formdata=None)
    upload = LmsAccountImportForm()
    report = None
    if upload.validate_on_submit():
        report = lms_accounts.import_links(
            actor, association, upload.file.data.stream, home_page=upload.home_page.data
        )
        if report.ok:
            flash(
                f"Linked {report.created} account(s); {report.existing} were already linked.",
                "success",
            )
            return redirect(url_for("courses.lms_accounts", association=association.id))
    return _render(association, form, upload, report, 400)


@bp.route("/lms-accounts/<int:account_id>/unlink", methods=["POST"])
@require()
def unlink_lms_account(account_id: int):
    actor = current_actor()
    account = lms_accounts.get_account(actor, account_id)
    own = account.user_id == actor.user.id
    if ConfirmForm().validate_on_submit():
        lms_accounts.unlink(actor, account)
        flash(f"Unlinked {account.name} on {account.home_page}.", "success")
    if own:
        return redirect(url_for("courses.my_lms_accounts"))
    association = int_arg("association")
    return redirect(url_for("courses.lms_accounts", association=association))
