"""Every CSV the app writes is safe to open in a spreadsheet: no cell, and no part of a cell
after a `,`, `;`, tab or line break (the file may be opened with another separator), starts
with a character a spreadsheet reads as a formula. Values the app re-imports (the Moodle
framework CSV) come back exactly as they were."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re

import pytest

from lms.csvutil import FORMULA_START, csv_text, neutralise, unneutralise
from tests.security.conftest import fresh_context

HOSTILE = ["=1+1", "@SUM(A1)", "x;=cmd|' /C calc'!A0", "\t=1", "+1", "-2+3", "a,=1", "a\t@x"]
PART = re.compile(r"[,;\t\r\n]")

# (role, path) of every CSV export; {clinician_id} and {framework_id} are filled in.
EXPORTS = [
    ("coordinator", "/competencies/readiness.csv"),
    ("manager", "/competencies/staff.csv"),
    ("coordinator", "/endorsement/workflow.csv"),
    ("coordinator", "/endorsement/workflow/readiness.csv"),
    ("clinician", "/courses/transcript.csv"),
    ("coordinator", "/courses/clinicians/{clinician_id}/transcript.csv"),
    ("coordinator", "/competencies/frameworks/{framework_id}/export.csv"),
]


def dangerous_parts(cell: str) -> list[str]:
    """Return the parts of a cell a spreadsheet could read as a formula."""
    return [part for part in [cell, *PART.split(cell)[1:]] if part.startswith(FORMULA_START)]


@pytest.fixture
def hostile_world(world, association):
    """Put one hostile text in every field an export writes."""
    from competencies.frameworks import save_framework
    from competencies.frameworks_io import demo_framework
    from competencies.models import Pathway
    from competencies.rules import default_rule_sets
    from competencies.rulesets import save_rule_set
    from courses import completions
    from endorsement.models import Application
    from lms.accounts import create_user
    from lms.models import Agency
    from lms.permissions import actor_for
    from tests.conftest import PASSWORD

    def arm(value: str) -> dict[str, str]:
        clinician = world.users["clinician"]
        clinician.display_name = value
        clinician.save()
        agency = Agency.create(association=association, name=value, city=value)
        clinician_membership = clinician.memberships.first()
        clinician_membership.agency = agency
        clinician_membership.save()
        world.users["manager"] = create_user(
            "manager@example.test",
            "Mia Manager",
            roles=("agency_manager",),
            association=association,
            agency=agency,
            password=PASSWORD,
        )
        from courses.models import Training

        training = Training.get(Training.code == "NBO-101")
        training.title = value
        training.provider = value
        training.save()
        completions.record_completion(
            actor_for(world.users["trainer"]),
            clinician=clinician,
            training=training,
            completed_on=dt.date.today() - dt.timedelta(days=3),
            source="roster",
        )
        framework = save_framework(
            dataclasses.replace(
                demo_framework(), name=value, idnumber="HOSTILE", description=value
            ),
            association=association,
        )
        doc = default_rule_sets()[-1].to_dict()
        doc["version"] = "9999"
        doc["name"] = value
        for category in doc["categories"].values():
            category["name"] = value
        rule_set = save_rule_set(doc, association=association, actor=world.users["coordinator"])
        pathway = Pathway.get(Pathway.clinician == clinician)
        pathway.rule_set = rule_set  # its categories' names are what the readiness CSV lists
        pathway.save()
        Application.create(
            clinician=clinician,
            association=association,
            pathway=pathway,
            rule_set=rule_set,
            category=value[:20],
            status="submitted",
            snapshot={},
        )
        return {"clinician_id": str(clinician.id), "framework_id": str(framework.id)}

    return arm


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(("role", "path"), EXPORTS)
def test_no_export_cell_starts_a_formula(world, hostile_world, role, path, value):
    ids = hostile_world(value)
    with fresh_context(world.app):
        response = world.client(role).get(path.format(**ids))
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert cells, "the export is empty"
    bad = [(cell, dangerous_parts(cell)) for cell in cells if dangerous_parts(cell)]
    assert bad == [], bad[:5]
    # The hostile text is in the file, neutralised, not dropped (a framework stores its name
    # without surrounding blanks).
    assert any(value.strip() in unneutralise(cell) for cell in cells), cells


@pytest.mark.parametrize("value", [*HOSTILE, "'=quoted", "''@twice", "plain", "2024-01-02", ""])
def test_neutralise_is_undone_exactly(value):
    assert unneutralise(neutralise(value)) == value
    assert not dangerous_parts(neutralise(value))


def test_numbers_the_app_computed_stay_numbers():
    text = csv_text(("hours", "name"), [(-3, "-3"), (1.5, "=x")])
    assert text.splitlines() == ["hours,name", "-3,'-3", "1.5,'=x"]


# The Moodle importer strips each cell, so a name with a leading tab never round-tripped.
@pytest.mark.parametrize("value", [v for v in HOSTILE if v == v.strip()])
def test_moodle_framework_csv_round_trips_hostile_text(value):
    from competencies.frameworks_io import demo_framework, dump_moodle_csv, load_moodle_csv

    doc = dataclasses.replace(demo_framework(), name=value, idnumber="X" + value[:5])
    data = dump_moodle_csv(doc)
    cells = [c for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) for c in row]
    assert not [c for c in cells if dangerous_parts(c)]
    assert load_moodle_csv(io.BytesIO(data)) == doc
