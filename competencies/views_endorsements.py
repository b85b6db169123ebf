"""Coordinators' pages: the association's endorsements and recording one."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, url_for

from competencies import endorsements
from competencies.blueprint import bp
from competencies.forms import EndorsementForm
from competencies.models import Endorsement
from lms.forms import choices
from lms.models import Membership, User
from lms.permissions import acting_association, current_actor, require

NOT_A_MEMBER = "No one in your association has this email."


@bp.route("/endorsements", methods=["GET", "POST"])
@require("competencies:award")
def endorsement_list():
    association = acting_association("competencies:award")
    form = EndorsementForm()
    names = endorsements.category_names(association, dt.date.today())
    # No category chosen in advance: one that was would be recorded by a single click.
    form.category.choices = choices(
        [("", "Choose a category…")] + [(code, f"{name} ({code})") for code, name in names.items()]
    )
    if form.validate_on_submit():
        # Only members of the association are looked up: an account elsewhere reads as unknown.
        person = (
            User.by_email(form.email.data)
            .join(Membership)
            .where(Membership.association == association)
            .first()
        )
        try:
            if person is None:
                raise endorsements.EndorsementError(NOT_A_MEMBER, "email")
            endorsement = endorsements.record_endorsement(
                person,
                association,
                form.category.data,
                form.awarded_on.data,
                actor=current_actor().user,
                number=form.number.data,
            )
        except endorsements.EndorsementError as exc:
            field = exc.field if exc.field in form else "email"
            getattr(form, field).errors.append(str(exc))
        else:
            flash(
                f"{person.display_name} is endorsed as {endorsement.category}, "
                f"number {endorsement.number}.",
                "success",
            )
            return redirect(url_for("competencies.endorsement_list", association=association.id))
    rows = list(
        Endorsement.select(Endorsement, User)
        .join(User, on=Endorsement.clinician)
        .where(Endorsement.association == association)
        .order_by(Endorsement.awarded_on.desc())
    )
    return render_template(
        "competencies/endorsements.html",
        rows=rows,
        form=form,
        association=association,
        names=names,
    ), (400 if form.errors else 200)
