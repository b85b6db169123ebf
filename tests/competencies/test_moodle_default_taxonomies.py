"""A Moodle framework with Moodle's default taxonomies (one word repeated for every level).

Moodle writes one taxonomy word per level and its default is the same word for each, so the
framework row of an untouched export says `competency,competency,competency,competency`. Such a
file imports, and must then open, export and import again like any other.
"""

from __future__ import annotations

import io
import re

import pytest

import competencies.cli_frameworks  # noqa: F401  (registers the commands)
from competencies.frameworks import framework_doc
from competencies.frameworks_io import (
    dump_framework,
    framework_to_dict,
    load_framework,
    load_moodle_csv,
)
from competencies.models import Area, Framework

DEFAULT_TAXONOMIES = ("competency",) * 4

# As Moodle 4.x's tool_lpimportcsv exports it: framework row first, "Short name" spelling.
MOODLE_EXPORT = (
    '"Parent id number","Id number","Short name","Description","Description format",'
    '"Scale values","Scale configuration","Rule type (optional)","Rule outcome (optional)",'
    '"Rule config (optional)","Cross-referenced competency id numbers","Exported id (optional)",'
    '"Is framework","Taxonomy"\r\n'
    ',"MDL-FW","Moodle framework","<p>Exported from Moodle.</p>",1,"Not yet,Competent",'
    '"[{""scaleid"":""2""},{""id"":1,""scaledefault"":1,""proficient"":0},'
    '{""id"":2,""scaledefault"":0,""proficient"":1}]",,,,,,1,'
    '"competency,competency,competency,competency"\r\n'
    ',"D1","Domain one","<p>First domain</p>",1,,,,0,null,,101,,\r\n'
    '"D1","D1-A","Area one a","<p>Applies to: IFS, IMHS</p>",1,,,,0,null,"D2-A",102,,\r\n'
    '"D1","D1-B","Area one b","",1,,,"core_competency\\competency_rule_all",1,null,,103,,\r\n'
    ',"D2","Domain two","",1,,,,0,null,,104,,\r\n'
    '"D2","D2-A","Área dos — ñ","<p>Second</p>",1,,,,0,null,,105,,\r\n'
    '"D2-A","D2-A-1","Third level","",1,,,,0,null,,106,,\r\n'
).encode()


@pytest.fixture
def coordinator(make_user, defaults):
    return make_user("coord@example.test", roles=("coordinator",))


def _import_through_the_page(client, data: bytes, filename: str, association) -> None:
    fields = {
        "upload": (io.BytesIO(data), filename),
        "preview": "Preview",
        "association": str(association.id),
        "fmt": "auto",
    }
    preview = client.post("/competencies/frameworks/import", data=fields)
    assert preview.status_code == 200, preview.text
    carried = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.text))
    saved = client.post("/competencies/frameworks/import", data={**carried, "save": "Save"})
    assert saved.status_code == 302, saved.text


def test_repeated_taxonomy_words_import_and_re_read() -> None:
    doc = load_moodle_csv(io.BytesIO(MOODLE_EXPORT))
    assert doc.taxonomies == DEFAULT_TAXONOMIES
    assert load_framework(framework_to_dict(doc)) == doc  # what framework_doc() does
    for fmt in ("json", "yaml"):
        assert load_framework(dump_framework(doc, fmt), fmt) == doc


def test_our_format_accepts_repeated_taxonomy_words_but_still_checks_each() -> None:
    data = {
        "framework": {"name": "F", "idnumber": "F", "taxonomies": ["domain", "domain"]},
        "domains": [{"id": "D", "name": "D"}],
    }
    assert load_framework(data).taxonomies == ("domain", "domain")
    with pytest.raises(ValueError, match=r"framework\.taxonomies\[1\]"):
        load_framework({**data, "framework": {**data["framework"], "taxonomies": ["a", "b c"]}})


def test_a_moodle_framework_with_default_taxonomies_opens_exports_and_imports_again(
    client, auth, coordinator, association
):
    auth.login(coordinator.email)
    _import_through_the_page(client, MOODLE_EXPORT, "moodle.csv", association)
    row = Framework.get((Framework.association == association) & (Framework.idnumber == "MDL-FW"))
    imported = framework_doc(row)
    assert imported.taxonomies == DEFAULT_TAXONOMIES
    assert [a.idnumber for a in imported.areas()] == ["D1-A", "D1-B", "D2-A-1"]

    page = client.get(f"/competencies/frameworks/{row.id}")
    assert page.status_code == 200
    assert "Área dos — ñ" in page.text

    exported = {}
    for fmt in ("json", "csv"):
        response = client.get(f"/competencies/frameworks/{row.id}/export.{fmt}")
        assert response.status_code == 200, fmt
        exported[fmt] = response.data
    assert load_framework(exported["json"], "json") == imported
    assert load_moodle_csv(io.BytesIO(exported["csv"])) == imported
    assert exported["csv"].decode().count("competency,competency,competency,competency") == 1

    # Each export imports again unchanged in meaning (same id number and version: replaced).
    for data, name in ((exported["json"], "again.json"), (exported["csv"], "again.csv")):
        _import_through_the_page(client, data, name, association)
        again = Framework.select().where(Framework.association == association)
        assert again.count() == 1
        assert framework_doc(again.get()) == imported
        assert Area.select().where(Area.framework == again.get()).count() == 3


def test_the_cli_exports_a_framework_with_default_taxonomies(runner, association, tmp_path):
    source = tmp_path / "moodle.csv"
    source.write_bytes(MOODLE_EXPORT)
    imported = runner.invoke(
        args=["competencies", "import-framework", str(source), "--association", "MI"]
    )
    assert imported.exit_code == 0, imported.output
    assert "2 domains, 3 areas" in imported.output
    doc = load_moodle_csv(io.BytesIO(MOODLE_EXPORT))
    for fmt in ("moodle-csv", "json", "yaml"):
        out = tmp_path / f"out.{fmt}"
        exported = runner.invoke(
            args=[
                "competencies",
                "export-framework",
                "--association",
                "MI",
                "--idnumber",
                "MDL-FW",
                "--format",
                fmt,
                "--output",
                str(out),
            ]
        )
        assert exported.exit_code == 0, exported.output
        data = out.read_bytes()
        again = (
            load_moodle_csv(io.BytesIO(data)) if fmt == "moodle-csv" else load_framework(data, fmt)
        )
        assert again == doc
        reimported = runner.invoke(
            args=["competencies", "import-framework", str(out), "--association", "MI"]
        )
        assert reimported.exit_code == 0, reimported.output
        assert framework_doc(Framework.get(Framework.association == association)) == doc
