"""Commands: import-framework, export-framework, load-rules, install-defaults."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

import competencies.cli_frameworks  # noqa: F401  (registers the commands until __init__ does)
from competencies.frameworks import framework_doc, save_framework
from competencies.frameworks_io import (
    demo_framework,
    dump_framework,
    framework_to_dict,
    load_framework,
    load_moodle_csv,
)
from competencies.models import Area, Framework, RuleSet

DEMO_FILE = Path(__file__).parents[2] / "competencies" / "data" / "demo_framework.yaml"


def _rules_doc(version: str) -> dict:
    row = RuleSet.get(RuleSet.association.is_null() & (RuleSet.version == "2025.2"))
    return {**row.document, "version": version, "effective": "2026-01-01"}


def test_install_defaults_stores_the_shared_framework_and_rule_sets_once(runner, app):
    first = runner.invoke(args=["competencies", "install-defaults"])
    assert first.exit_code == 0, first.output
    assert "Michigan-style rules 2025.2" in first.output
    assert Framework.select().where(Framework.association.is_null()).count() == 1
    assert RuleSet.select().where(RuleSet.association.is_null()).count() == 2
    again = runner.invoke(args=["competencies", "install-defaults"])
    assert again.exit_code == 0
    assert RuleSet.select().count() == 2  # idempotent


@pytest.mark.parametrize("fmt", ["json", "yaml", "moodle-csv"])
def test_the_demo_framework_round_trips_through_import_and_export(
    runner, association, tmp_path, fmt
):
    imported = runner.invoke(
        args=["competencies", "import-framework", str(DEMO_FILE), "--association", "mi"]
    )
    assert imported.exit_code == 0, imported.output
    doc = demo_framework()
    assert f"{len(doc.domains)} domains, {len(doc.areas())} areas" in imported.output
    stored = Framework.get(Framework.association == association)
    assert framework_doc(stored) == doc
    assert Area.select().where(Area.framework == stored).count() == len(doc.areas())

    out = tmp_path / f"out.{fmt}"
    exported = runner.invoke(
        args=[
            "competencies",
            "export-framework",
            "--association",
            "MI",
            "--format",
            fmt,
            "--output",
            str(out),
        ]
    )
    assert exported.exit_code == 0, exported.output
    data = out.read_bytes()
    again = load_moodle_csv(io.BytesIO(data)) if fmt == "moodle-csv" else load_framework(data, fmt)
    assert again == doc

    # …and the exported file imports again (same id number and version: replaced, not doubled).
    reimported = runner.invoke(
        args=["competencies", "import-framework", str(out), "--association", "MI"]
    )
    assert reimported.exit_code == 0, reimported.output
    assert Framework.select().where(Framework.association == association).count() == 1
    assert framework_doc(Framework.get(Framework.association == association)) == doc


def test_export_writes_to_stdout_and_picks_by_idnumber(runner, association):
    save_framework(demo_framework())
    own = replace(demo_framework(), idnumber="MI-OWN", name="Michigan own")
    save_framework(own, association=association)
    default = runner.invoke(args=["competencies", "export-framework", "--association", "MI"])
    assert default.exit_code == 0
    assert load_framework(default.output, "yaml") == own  # the association's own comes first
    shared = runner.invoke(
        args=["competencies", "export-framework", "--association", "MI", "--idnumber", "IMH-DEMO"]
    )
    assert load_framework(shared.output, "yaml") == demo_framework()  # falls back to shared
    as_json = runner.invoke(args=["competencies", "export-framework", "--format", "json"])
    assert json.loads(as_json.output) == framework_to_dict(demo_framework())


def test_export_of_nothing_or_an_unknown_association_fails_cleanly(runner, app):
    nothing = runner.invoke(args=["competencies", "export-framework"])
    assert nothing.exit_code == 1
    assert "No such framework is stored." in nothing.output
    unknown = runner.invoke(args=["competencies", "export-framework", "--association", "XX"])
    assert unknown.exit_code == 1
    assert "No association with code XX." in unknown.output


def test_a_bad_framework_file_prints_each_error_with_its_place_and_saves_nothing(
    runner, association, tmp_path
):
    data = framework_to_dict(demo_framework())
    data["domains"][1]["areas"][0]["id"] = "TF-PREG"  # duplicate
    del data["domains"][2]["name"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = runner.invoke(args=["competencies", "import-framework", str(bad)])
    assert result.exit_code == 1
    assert "domains[1].areas[0].id: duplicate id 'TF-PREG'" in result.output
    assert "domains[2].name: is missing" in result.output
    assert "2 problem(s) in" in result.output and "nothing saved." in result.output
    assert Framework.select().count() == 0


def test_a_bad_moodle_csv_names_line_and_column(runner, app, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        (Path(__file__).parent / "data" / "moodle_handwritten.csv")
        .read_bytes()
        .replace(b'"DSS","DSS-OBS"', b'"NOPE","DSS-OBS"')
    )
    result = runner.invoke(args=["competencies", "import-framework", str(bad)])
    assert result.exit_code == 1
    assert "line 3, Parent id number: no competency with id number 'NOPE'" in result.output
    assert Framework.select().count() == 0


def test_the_format_option_overrides_the_extension(runner, app, tmp_path):
    odd = tmp_path / "framework.txt"
    odd.write_text(dump_framework(demo_framework(), "json"))
    wrong = runner.invoke(
        args=["competencies", "import-framework", str(odd), "--format", "moodle-csv"]
    )
    assert wrong.exit_code == 1  # read as CSV, it has no framework row
    right = runner.invoke(args=["competencies", "import-framework", str(odd), "--format", "json"])
    assert right.exit_code == 0, right.output
    assert "(shared)" in right.output
    assert Framework.select().count() == 1


def test_import_for_an_unknown_association_fails_and_saves_nothing(runner, app):
    result = runner.invoke(
        args=["competencies", "import-framework", str(DEMO_FILE), "--association", "XX"]
    )
    assert result.exit_code == 1
    assert "No association with code XX." in result.output
    assert Framework.select().count() == 0


def test_load_rules_publishes_a_version_and_refuses_a_duplicate(
    runner, association, defaults, tmp_path
):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(_rules_doc("MI-2026")))
    first = runner.invoke(args=["competencies", "load-rules", str(path), "--association", "MI"])
    assert first.exit_code == 0, first.output
    assert "Published Michigan-style rules MI-2026 (MI), in force from 2026-01-01" in first.output
    row = RuleSet.get(RuleSet.version == "MI-2026")
    assert row.association_id == association.id
    assert row.framework_id is not None  # bound to the framework the association uses
    again = runner.invoke(args=["competencies", "load-rules", str(path), "--association", "MI"])
    assert again.exit_code == 1
    assert "Version MI-2026 already exists" in again.output
    assert RuleSet.select().where(RuleSet.version == "MI-2026").count() == 1


def test_load_rules_prints_every_problem_with_its_path(runner, association, defaults, tmp_path):
    doc = _rules_doc("BAD")
    doc["categories"] = {**doc["categories"], "IFA": {**doc["categories"]["IFA"], "rank": "one"}}
    doc["renewal"] = {"due": "02-30"}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(doc))
    before = RuleSet.select().count()
    result = runner.invoke(args=["competencies", "load-rules", str(path)])
    assert result.exit_code == 1
    assert "categories.IFA.rank: must be a whole number" in result.output
    assert "renewal.due: must be a day of the year MM-DD" in result.output
    assert "nothing published." in result.output
    assert RuleSet.select().count() == before


def test_load_rules_refuses_an_area_the_framework_does_not_have(
    runner, association, defaults, tmp_path
):
    doc = _rules_doc("AREAS")
    doc["categories"]["IFA"]["requires"] = {"area_coverage": {"areas": ["NO-SUCH-AREA"]}}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(args=["competencies", "load-rules", str(path), "--association", "MI"])
    assert result.exit_code == 1
    assert "unknown area 'NO-SUCH-AREA'" in result.output
    assert not RuleSet.select().where(RuleSet.version == "AREAS").exists()
