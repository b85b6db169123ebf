"""Framework and rule-set pages: browse, filter, export, import with preview, edit, upload."""

from __future__ import annotations

import base64
import copy
import io
import json
import re
from dataclasses import replace

import pytest
import yaml
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from competencies.frameworks import framework_doc, save_framework
from competencies.frameworks_io import (
    demo_framework,
    dump_framework,
    dump_moodle_csv,
    framework_to_dict,
    load_framework,
    load_moodle_csv,
)
from competencies.models import Area, Framework, RuleSet
from lms.models import AuditLog

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def coordinator(make_user, defaults):
    return make_user("coord@example.test", roles=("coordinator",))


@pytest.fixture
def other(make_association):
    return make_association("OH", "Ohio-style Association")


def _framework(association=None, idnumber="OWN-FW", name="Own framework"):
    doc = replace(demo_framework(), idnumber=idnumber, name=name)
    return save_framework(doc, association=association)


def _upload(data: bytes, filename: str, **fields):
    return {"upload": (io.BytesIO(data), filename), "preview": "Preview", **fields}


def _post_multipart(client, path: str, values: dict):
    """POST a multipart body built in memory (the test client spools big ones to a file)."""
    boundary, body = encode_multipart(values)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _carried(page: str) -> dict[str, str]:
    """Return the hidden fields of the preview's save form."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/competencies/frameworks", 200),
        ("/competencies/frameworks/import", 403),
        ("/competencies/rules", 403),
        ("/competencies/rules/upload", 403),
    ],
)
def test_a_clinician_browses_frameworks_but_may_not_import_or_upload(
    client, auth, clinician, path, status
):
    auth.login(clinician.email)
    assert client.get(path).status_code == status


def test_a_clinician_opens_a_framework_and_may_not_edit_it(client, auth, clinician):
    shared = Framework.get(Framework.association.is_null())
    auth.login(clinician.email)
    page = client.get(f"/competencies/frameworks/{shared.id}")
    assert page.status_code == 200
    assert "Edit Pregnancy" not in page.text
    assert client.get(f"/competencies/frameworks/{shared.id}/areas/TF-PREG").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, defaults):
    response = client.get("/competencies/frameworks")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --------------------------------------------------------------------------- browsing


def test_the_list_shows_shared_and_own_frameworks_but_not_another_associations(
    client, auth, coordinator, association, other
):
    _framework(association, "OWN-FW", "Own framework")
    _framework(other, "THEIRS", "Their framework")
    auth.login(coordinator.email)
    page = client.get("/competencies/frameworks").text
    assert "Demo competency framework (illustrative)" in page
    assert "Own framework" in page
    assert association.name in page
    assert "Their framework" not in page
    areas = len(demo_framework().areas())
    assert f'<td data-label="Areas">{areas}</td>' in page
    assert "Shared" in page


def test_the_detail_lists_domains_areas_and_categories(client, auth, coordinator):
    shared = Framework.get(Framework.association.is_null())
    auth.login(coordinator.email)
    page = client.get(f"/competencies/frameworks/{shared.id}").text
    assert "Theoretical Foundations" in page
    assert "Collaboration across systems" in page
    assert "<code>SYS-COLLAB</code>" in page
    assert "IMHS, IMHM-C, IMHM-P, IMHM-R, ECMHS, ECMHM-C" in page
    assert 'class="table stack-sm"' in page and "<caption>" in page


def test_the_category_filter_shows_only_areas_that_apply(client, auth, coordinator):
    shared = Framework.get(Framework.association.is_null())
    auth.login(coordinator.email)
    ifa = client.get(f"/competencies/frameworks/{shared.id}?category=IFA").text
    imhs = client.get(f"/competencies/frameworks/{shared.id}?category=IMHS").text
    assert "Pregnancy &amp; early parenthood" in ifa
    assert "Collaboration across systems" not in ifa  # IMHS and above only
    assert "Collaboration across systems" in imhs
    doc = demo_framework()
    assert f"{len(doc.areas_for('IFA'))} of {len(doc.areas())} areas apply to IFA" in ifa
    assert '<option value="IFA" selected>' in ifa


def test_frameworks_of_another_association_answer_404(client, auth, coordinator, other):
    theirs = _framework(other, "THEIRS", "Their framework")
    auth.login(coordinator.email)
    for suffix in ("", "/export.json", "/export.yaml", "/export.csv", "/areas/TF-PREG"):
        assert client.get(f"/competencies/frameworks/{theirs.id}{suffix}").status_code == 404
    assert client.get("/competencies/frameworks/999999").status_code == 404


# --------------------------------------------------------------------------- export


def test_exports_are_downloads_that_read_back_to_the_same_document(client, auth, coordinator):
    shared = Framework.get(Framework.association.is_null())
    stored = framework_doc(shared)
    auth.login(coordinator.email)
    base = f"/competencies/frameworks/{shared.id}/export"
    got = {}
    for fmt in ("json", "yaml", "csv"):
        response = client.get(f"{base}.{fmt}")
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="IMH-DEMO-2025.{fmt}"'
        got[fmt] = response.data
    assert load_framework(got["json"], fmt="json") == stored
    assert load_framework(got["yaml"], fmt="yaml") == stored
    assert load_moodle_csv(io.BytesIO(got["csv"])) == stored


def test_an_exported_moodle_csv_imports_through_the_page_to_an_equal_document(
    client, auth, coordinator, association
):
    shared = Framework.get(Framework.association.is_null())
    auth.login(coordinator.email)
    csv_bytes = client.get(f"/competencies/frameworks/{shared.id}/export.csv").data
    preview = client.post(
        "/competencies/frameworks/import",
        data=_upload(csv_bytes, "framework.csv", association=str(association.id), fmt="auto"),
    )
    assert preview.status_code == 200
    assert "Moodle CSV" in preview.text
    carried = _carried(preview.text)
    assert carried["fmt"] == "moodle-csv"
    saved = client.post("/competencies/frameworks/import", data={**carried, "save": "Save"})
    assert saved.status_code == 302
    copy_ = Framework.get(Framework.association == association)
    assert framework_doc(copy_) == framework_doc(shared)
    assert Area.select().where(Area.framework == copy_).count() == len(demo_framework().areas())


# --------------------------------------------------------------------------- import


def test_import_previews_without_saving_then_saves_the_carried_file(
    client, auth, coordinator, association
):
    doc = replace(demo_framework(), idnumber="MI-2026", name="Michigan guidelines 2026")
    data = dump_framework(doc, "yaml").encode("utf-8")
    before = Framework.select().count()
    auth.login(coordinator.email)
    preview = client.post(
        "/competencies/frameworks/import",
        data=_upload(data, "guidelines.yml", association=str(association.id), fmt="auto"),
    )
    assert preview.status_code == 200
    assert f"{len(doc.domains)} domains, {len(doc.areas())} areas. Not saved yet." in preview.text
    assert "Theoretical Foundations" in preview.text
    assert Framework.select().count() == before  # a preview saves nothing

    carried = _carried(preview.text)
    assert base64.b64decode(carried["content"]) == data
    response = client.post("/competencies/frameworks/import", data={**carried, "save": "Save"})
    assert response.status_code == 302
    stored = Framework.get(Framework.idnumber == "MI-2026")
    assert stored.association_id == association.id
    assert framework_doc(stored) == doc
    assert response.headers["Location"].endswith(f"/competencies/frameworks/{stored.id}")
    entry = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (entry.action, entry.actor_id) == ("framework.import", coordinator.id)


def test_a_coordinator_may_not_import_as_shared_or_for_another_association(
    client, auth, coordinator, other
):
    data = dump_framework(demo_framework(), "json").encode("utf-8")
    auth.login(coordinator.email)
    form = client.get("/competencies/frameworks/import").text
    assert 'value="shared"' not in form
    for target in ("shared", str(other.id)):
        response = client.post(
            "/competencies/frameworks/import",
            data=_upload(data, "fw.json", association=target, fmt="json"),
        )
        assert response.status_code == 400
        assert "Not a valid choice" in response.text


def test_an_admin_imports_a_shared_framework(client, auth, make_user, defaults):
    admin = make_user("admin@example.test", roles=("admin",))
    doc = replace(demo_framework(), idnumber="SHARED-2", name="Second shared")
    auth.login(admin.email)
    preview = client.post(
        "/competencies/frameworks/import",
        data=_upload(
            json.dumps(framework_to_dict(doc)).encode(), "x.json", association="shared", fmt="auto"
        ),
    )
    assert preview.status_code == 200
    client.post("/competencies/frameworks/import", data={**_carried(preview.text), "save": "Save"})
    assert Framework.get(Framework.idnumber == "SHARED-2").association_id is None


def test_a_bad_moodle_csv_lists_line_and_column_errors_and_saves_nothing(
    client, auth, coordinator, association
):
    good = dump_moodle_csv(demo_framework()).decode("utf-8").splitlines()
    # Line 3 is the first domain's first area: point it at a parent that does not exist.
    good[3] = good[3].replace("TF,TF-PREG", "NOPE,TF-PREG", 1)
    good[4] = good[4].replace(",1,", ",9,", 1)  # description format 9 is not Moodle's
    bad = "\r\n".join(good).encode("utf-8")
    auth.login(coordinator.email)
    before = (Framework.select().count(), Area.select().count(), AuditLog.select().count())
    response = client.post(
        "/competencies/frameworks/import",
        data=_upload(bad, "bad.csv", association=str(association.id), fmt="auto"),
    )
    assert response.status_code == 400
    assert "nothing was saved" in response.text
    assert "<code>line 4, Parent id number</code>: no competency with id number" in response.text
    assert "<code>line 5, Description format</code>" in response.text
    assert 'name="save"' not in response.text  # no save button on errors
    assert (Framework.select().count(), Area.select().count(), AuditLog.select().count()) == before


def test_the_save_step_revalidates_what_the_preview_carried(client, auth, coordinator, association):
    bad_doc = {"framework": {"name": "X"}, "domains": [{"id": "A"}]}
    tampered = base64.b64encode(json.dumps(bad_doc).encode()).decode()
    before = Framework.select().count()
    auth.login(coordinator.email)
    common = {"fmt": "json", "association": str(association.id), "save": "Save"}
    response = client.post("/competencies/frameworks/import", data={**common, "content": tampered})
    assert response.status_code == 400
    assert "<code>framework.idnumber</code>: is missing" in response.text
    assert "<code>domains[0].name</code>: is missing" in response.text
    garbled = client.post(
        "/competencies/frameworks/import", data={**common, "content": "not base64!"}
    )
    assert garbled.status_code == 400
    assert "did not come back intact" in garbled.text
    too_big = base64.b64encode(b"x" * (2 * 1024 * 1024 + 1)).decode()
    response = _post_multipart(
        client, "/competencies/frameworks/import", {**common, "content": too_big}
    )
    assert response.status_code == 400
    assert "did not come back intact" in response.text
    far_too_big = _post_multipart(
        client, "/competencies/frameworks/import", {**common, "content": too_big * 2}
    )
    assert far_too_big.status_code == 413
    assert Framework.select().count() == before


def test_import_without_a_file_or_with_a_too_large_one_is_a_form_error(
    client, auth, coordinator, association
):
    auth.login(coordinator.email)
    empty = client.post(
        "/competencies/frameworks/import",
        data={"association": str(association.id), "fmt": "auto", "preview": "Preview"},
    )
    assert empty.status_code == 400
    assert "Choose a file to upload." in empty.text
    big_file = FileStorage(io.BytesIO(b"x" * (2 * 1024 * 1024 + 10)), "big.json")
    big = _post_multipart(
        client,
        "/competencies/frameworks/import",
        {"upload": big_file, "association": str(association.id), "preview": "Preview"},
    )
    assert big.status_code == 400
    assert "larger than 2 MB" in big.text


def test_script_in_names_and_descriptions_never_reaches_a_page_unescaped(
    client, auth, coordinator, association
):
    data = framework_to_dict(demo_framework())
    data["framework"].update(idnumber="XSS", name=f"Bad {SCRIPT} framework")
    data["framework"]["description"] = f"<p>Intro</p>{SCRIPT}<p>&lt;script&gt;x&lt;/script&gt;</p>"
    area = data["domains"][0]["areas"][0]
    area["name"] = f"Area {SCRIPT}"
    area["description"] = f'<img src=x onerror="alert(2)">{SCRIPT}<p>fine</p>'
    data["domains"][0]["description"] = f"<p onclick='alert(3)'>Domain</p>{SCRIPT}"
    raw = json.dumps(data).encode()
    auth.login(coordinator.email)
    preview = client.post(
        "/competencies/frameworks/import",
        data=_upload(raw, "xss.json", association=str(association.id)),
    )
    assert preview.status_code == 200
    saved = client.post(
        "/competencies/frameworks/import", data={**_carried(preview.text), "save": "Save"}
    )
    assert saved.status_code == 302
    stored = Framework.get(Framework.idnumber == "XSS")
    pages = [
        preview.text,
        client.get("/competencies/frameworks").text,
        client.get(f"/competencies/frameworks/{stored.id}").text,
        client.get(f"/competencies/frameworks/{stored.id}/areas/TF-PREG").text,
    ]
    for page in pages:
        assert "<script>alert" not in page
        assert "onerror" not in page and "onclick" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, escaped
    detail = pages[2]
    assert "&lt;script&gt;x&lt;/script&gt;" in detail  # the escaped text stays text


# --------------------------------------------------------------------------- edit


def test_a_coordinator_renames_an_area_and_changes_its_categories(
    client, auth, coordinator, association
):
    own = _framework(association)
    auth.login(coordinator.email)
    form = client.get(f"/competencies/frameworks/{own.id}/areas/TF-PREG")
    assert form.status_code == 200
    boxes = re.findall(r'<input (checked )?class="form-check-input"[^>]*value="([^"]+)"', form.text)
    assert [code for _, code in boxes][:4] == ["IFA", "IFS", "IFRS", "IMHS"]  # by rank
    assert all(checked for checked, _ in boxes[:4])
    response = client.post(
        f"/competencies/frameworks/{own.id}/areas/TF-PREG",
        data={"name": "Pregnancy and the first months", "categories": ["IMHS", "IFS"]},
    )
    assert response.status_code == 302
    doc = framework_doc(Framework.get_by_id(own.id))
    node = doc.node("TF-PREG")
    assert node.name == "Pregnancy and the first months"
    assert set(node.categories) == {"IFS", "IMHS"}
    assert doc.node("TF-DEV") == demo_framework().node("TF-DEV")  # the rest is untouched
    row = Area.get((Area.framework == own) & (Area.idnumber == "TF-PREG"))
    assert (row.name, row.category_set) == ("Pregnancy and the first months", {"IFS", "IMHS"})
    entry = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (entry.action, entry.actor_id) == ("framework.replace", coordinator.id)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "categories": ["IFA"]}, "This field is required."),
        ({"name": "x" * 101, "categories": ["IFA"]}, "Field cannot be longer than 100"),
        ({"name": "Fine", "categories": ["NOPE"]}, "is not a valid choice"),
    ],
)
def test_a_bad_area_edit_is_a_form_error_and_changes_nothing(
    client, auth, coordinator, association, data, message
):
    own = _framework(association)
    before = framework_to_dict(framework_doc(own))
    auth.login(coordinator.email)
    response = client.post(f"/competencies/frameworks/{own.id}/areas/TF-PREG", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert framework_to_dict(framework_doc(Framework.get_by_id(own.id))) == before


def test_shared_frameworks_are_edited_by_admins_only(client, auth, coordinator, make_user):
    shared = Framework.get(Framework.association.is_null())
    auth.login(coordinator.email)
    assert client.get(f"/competencies/frameworks/{shared.id}/areas/TF-PREG").status_code == 403
    assert "Edit Pregnancy" not in client.get(f"/competencies/frameworks/{shared.id}").text
    auth.logout()
    admin = make_user("admin@example.test", roles=("admin",))
    auth.login(admin.email)
    assert "Edit Pregnancy" in client.get(f"/competencies/frameworks/{shared.id}").text
    response = client.post(
        f"/competencies/frameworks/{shared.id}/areas/TF-PREG",
        data={"name": "Pregnancy", "categories": ["IFA"]},
    )
    assert response.status_code == 302
    assert framework_doc(Framework.get_by_id(shared.id)).node("TF-PREG").categories == ("IFA",)


def test_an_unknown_area_answers_404(client, auth, coordinator, association):
    own = _framework(association)
    auth.login(coordinator.email)
    assert client.get(f"/competencies/frameworks/{own.id}/areas/TF").status_code == 404  # domain
    assert client.get(f"/competencies/frameworks/{own.id}/areas/NOPE").status_code == 404


# --------------------------------------------------------------------------- rule sets


def _rules_doc(version: str = "2026.1") -> dict:
    row = RuleSet.get(RuleSet.association.is_null() & (RuleSet.version == "2025.2"))
    doc = copy.deepcopy(row.document)
    doc.update(version=version, effective="2026-01-01")
    return doc


def test_rule_sets_lists_the_usable_versions(client, auth, coordinator, association, other):
    from competencies.rulesets import save_rule_set

    save_rule_set(_rules_doc("OH-1"), association=other)
    save_rule_set(_rules_doc("MI-1"), association=association)
    auth.login(coordinator.email)
    page = client.get("/competencies/rules").text
    assert "Michigan-style rules 2025.2" in page and "Michigan-style rules 2024.1" in page
    assert "MI-1" in page and association.name in page
    assert "OH-1" not in page
    categories = len(_rules_doc()["categories"])
    assert f'<td data-label="Categories">{categories}</td>' in page


def test_a_rule_set_reads_as_nested_plain_words(client, auth, coordinator):
    row = RuleSet.get(RuleSet.association.is_null() & (RuleSet.version == "2025.2"))
    auth.login(coordinator.email)
    page = client.get(f"/competencies/rules/{row.id}").text
    assert "Infant Mental Health Specialist (IMHS)" in page
    assert "Training hours: at least 33 h" in page
    assert "Training hours: at least 1 h (tags: dei)" in page  # the renewal
    assert (
        "Training hours: at least 48 h, of which 15 h tagged rsc-topic and 3 h tagged dei "
        "(each hour counts toward one part only)"
    ) in page
    assert "Reflective supervision/consultation: at least 50 h within 12–24 months" in page
    assert "Any one of the following" in page
    assert re.search(r"All of the following\s*<ul>\s*<li>", page)
    assert "Competency areas: evidence for every area of the category (" in page


def test_rule_set_downloads_read_back_to_the_stored_document(client, auth, coordinator):
    row = RuleSet.get(RuleSet.association.is_null() & (RuleSet.version == "2025.2"))
    auth.login(coordinator.email)
    as_json = client.get(f"/competencies/rules/{row.id}/export.json")
    as_yaml = client.get(f"/competencies/rules/{row.id}/export.yaml")
    assert as_json.headers["Content-Disposition"] == 'attachment; filename="rules-2025.2.json"'
    assert json.loads(as_json.data) == row.document
    assert yaml.safe_load(as_yaml.data) == row.document


def test_a_rule_set_of_another_association_answers_404(client, auth, coordinator, other):
    from competencies.rulesets import save_rule_set

    theirs = save_rule_set(_rules_doc("OH-1"), association=other)
    auth.login(coordinator.email)
    assert client.get(f"/competencies/rules/{theirs.id}").status_code == 404
    assert client.get(f"/competencies/rules/{theirs.id}/export.json").status_code == 404


def test_uploading_a_valid_rule_set_publishes_it_for_the_association(
    client, auth, coordinator, association
):
    text = yaml.safe_dump(_rules_doc("MI-2026"))
    auth.login(coordinator.email)
    response = client.post(
        "/competencies/rules/upload",
        data={"upload": (io.BytesIO(text.encode()), "rules.yaml"), "association": association.id},
    )
    assert response.status_code == 302
    row = RuleSet.get(RuleSet.version == "MI-2026")
    assert row.association_id == association.id
    assert str(row.effective) == "2026-01-01"
    assert row.created_by_id == coordinator.id
    assert response.headers["Location"].endswith(f"/competencies/rules/{row.id}")


def test_an_invalid_rule_set_lists_every_problem_with_its_path(
    client, auth, coordinator, association
):
    doc = _rules_doc("BAD")
    doc["categories"]["IFA"]["requires"]["all_of"][1] = {"training_hours": {"min": -3}}
    doc["surprise"] = True
    before = RuleSet.select().count()
    auth.login(coordinator.email)
    response = client.post(
        "/competencies/rules/upload",
        data={
            "upload": (io.BytesIO(json.dumps(doc).encode()), "rules.json"),
            "association": association.id,
        },
    )
    assert response.status_code == 400
    assert "<code>surprise</code>: unknown key" in response.text
    assert "<code>categories.IFA.requires.all_of[1].training_hours.min</code>" in response.text
    assert "nothing was published" in response.text
    assert RuleSet.select().count() == before


def test_a_broken_json_rule_set_names_line_and_column(client, auth, coordinator, association):
    auth.login(coordinator.email)
    response = client.post(
        "/competencies/rules/upload",
        data={"upload": (io.BytesIO(b'{"name": '), "r.json"), "association": association.id},
    )
    assert response.status_code == 400
    assert "<code>line 1, column 10</code>: invalid JSON" in response.text


def test_a_duplicate_version_is_a_form_error(client, auth, coordinator, association):
    from competencies.rulesets import save_rule_set

    save_rule_set(_rules_doc("MI-1"), association=association)
    before = RuleSet.select().count()
    auth.login(coordinator.email)
    response = client.post(
        "/competencies/rules/upload",
        data={
            "upload": (io.BytesIO(json.dumps(_rules_doc("MI-1")).encode()), "r.json"),
            "association": association.id,
        },
    )
    assert response.status_code == 400
    assert "Version MI-1 already exists" in response.text
    assert 'id="upload-error"' in response.text
    assert RuleSet.select().count() == before
