"""LMS accounts: coordinators link the association's (form or CSV); clinicians see their own."""

from __future__ import annotations

import io

import peewee as pw
import pytest

from courses import lms_accounts
from courses.errors import CourseError
from courses.lms_accounts import LearnerFinder
from courses.models import LmsAccount
from courses.xapi import Account
from lms.db import db
from lms.errors import NotFound
from lms.permissions import actor_for
from tests.courses.test_pages import multipart

MOODLE = "https://moodle.example.org"


@pytest.fixture
def bo(make_user, defaults):
    return make_user("bo@example.test", display_name="Bo Lee")


def _csv(text: str, home_page: str = "") -> dict:
    return multipart({"home_page": home_page}, {"file": (text.encode("utf-8"), "links.csv")})


# --- values and the service --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://Moodle.Example.org/", "https://moodle.example.org"),
        ("  https://moodle.example.org/lms/ ", "https://moodle.example.org/lms"),
        ("http://lms.example.org:8080/#x", "http://lms.example.org:8080"),
    ],
)
def test_home_pages_are_stored_in_one_form(typed, stored):
    assert lms_accounts.clean_home_page(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "moodle.example.org", "ftp://moodle.example.org", "https://", "https://a b.org"]
)
def test_bad_home_pages_are_refused(typed):
    with pytest.raises(CourseError) as caught:
        lms_accounts.clean_home_page(typed)
    assert caught.value.field == "home_page"


@pytest.mark.parametrize("typed", ["", "   ", "x" * 256, "ana\x00"])
def test_bad_names_are_refused(typed):
    with pytest.raises(CourseError) as caught:
        lms_accounts.clean_name(typed)
    assert caught.value.field == "name"


def _link(coordinator, association, clinician, name, home_page=MOODLE):
    return lms_accounts.link_for(
        actor_for(coordinator), association, clinician.email, home_page, name
    )


def test_one_account_belongs_to_one_person(coordinator, association, clinician, bo, counts):
    account, created = _link(coordinator, association, clinician, " 1234 ", MOODLE + "/")
    assert created and (account.home_page, account.name) == (MOODLE, "1234")
    assert (account.association_id, account.source) == (association.id, "coordinator")
    again, created = _link(coordinator, association, clinician, "1234")
    assert not created and again.id == account.id
    before = counts()
    with pytest.raises(CourseError, match="another clinician of your association"):
        _link(coordinator, association, bo, "1234", "https://MOODLE.example.org")
    assert counts() == before
    with db.atomic(), pytest.raises(pw.IntegrityError):  # the database holds the rule too
        LmsAccount.create(user=bo, association=association, home_page=MOODLE, name="1234")


def test_only_clinicians_are_linked(coordinator, association, trainer, counts):
    before = counts()
    with pytest.raises(CourseError, match="No clinician"):
        _link(coordinator, association, trainer, "t1")
    with pytest.raises(CourseError, match="not a clinician"):
        lms_accounts.link_from_lms(association, trainer, MOODLE, "t1")
    assert counts() == before


def test_learner_finder_matches_links_of_its_association(
    coordinator, clinician, bo, make_user, make_association, association
):
    _link(coordinator, association, clinician, "1234")
    other = make_association("OH", "Other Association")
    stranger = make_user("cy@other.test", assoc=other)
    lms_accounts.link_from_lms(other, stranger, MOODLE, "999")
    finder = LearnerFinder(association.id)
    assert finder.by_account(Account("https://moodle.example.org/", "1234")).id == clinician.id
    assert finder.by_account(Account(MOODLE, "999")) is None  # linked, but elsewhere
    assert finder.by_account(Account(MOODLE, "4321")) is None
    assert finder.by_account(Account(MOODLE, "Bo@Example.test")).id == bo.id  # email as name


def test_a_link_the_clinician_typed_before_is_used_only_once_a_coordinator_links_it(
    coordinator, association, clinician, client, auth
):
    """Migration 0004 keeps links clinicians typed themselves as "claimed": unproven."""
    claimed = LmsAccount.create(
        user=clinician,
        association=association,
        home_page=MOODLE,
        name="1234",
        source="claimed",
        created_by=clinician,
    )
    finder = LearnerFinder(association.id)
    assert finder.by_account(Account(MOODLE, "1234")) is None
    auth.login(coordinator.email)
    html = client.get("/courses/lms-accounts").get_data(as_text=True)
    assert "unproven" in html
    account, created = _link(coordinator, association, clinician, "1234")
    assert created and account.id == claimed.id and account.source == "coordinator"
    assert LearnerFinder(association.id).by_account(Account(MOODLE, "1234")).id == clinician.id


# --- the clinician's page ----------------------------------------------------------------------


def test_clinician_sees_and_unlinks_their_accounts(
    client, auth, coordinator, association, clinician
):
    auth.login(clinician.email)
    assert "Your LMS accounts" in client.get("/courses/transcript").get_data(as_text=True)
    page = client.get("/courses/my-lms-accounts")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "No account linked yet" in html
    assert 'name="name"' not in html  # no form to claim one
    assert client.post("/courses/my-lms-accounts", data={"name": "1"}).status_code == 405
    account, _ = _link(coordinator, association, clinician, "1234")
    html = client.get("/courses/my-lms-accounts").get_data(as_text=True)
    assert "1234" in html and "linked by a coordinator" in html
    response = client.post(f"/courses/lms-accounts/{account.id}/unlink")
    assert response.status_code == 302 and LmsAccount.select().count() == 0


def test_someone_elses_link_cannot_be_removed(
    client, auth, coordinator, association, clinician, bo
):
    account, _ = _link(coordinator, association, bo, "77")
    auth.login(clinician.email)
    assert client.post(f"/courses/lms-accounts/{account.id}/unlink").status_code == 404
    with pytest.raises(NotFound):
        lms_accounts.get_account(actor_for(clinician), account.id)
    assert LmsAccount.select().count() == 1


# --- the coordinator's page and CSV ------------------------------------------------------------


def test_coordinator_links_a_clinician_by_email(client, auth, coordinator, clinician):
    auth.login(coordinator.email)
    html = client.get("/courses/").get_data(as_text=True)
    assert 'href="/courses/lms-accounts"' in html  # in the navigation
    bad = client.post(
        "/courses/lms-accounts",
        data={"email": "nobody@example.test", "home_page": MOODLE, "name": "1"},
    )
    assert bad.status_code == 400 and "No clinician of your association" in bad.get_data(
        as_text=True
    )
    assert LmsAccount.select().count() == 0
    response = client.post(
        "/courses/lms-accounts",
        data={"email": "ANA@example.test", "home_page": MOODLE, "name": "1234"},
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "to Ana Ortiz" in html and "Unlink 1234 of Ana Ortiz" in html
    account = LmsAccount.get()
    assert client.post(f"/courses/lms-accounts/{account.id}/unlink").status_code == 302
    assert LmsAccount.select().count() == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"home_page": "moodle", "name": "1234"}, "Give the address of the learning platform"),
        ({"home_page": MOODLE, "name": ""}, "Give the user name or id."),
        ({"home_page": "", "name": "1234"}, "Give the platform"),
    ],
)
def test_coordinator_page_shows_errors_and_keeps_input(
    client, auth, coordinator, clinician, counts, data, words
):
    auth.login(coordinator.email)
    before = counts()
    response = client.post("/courses/lms-accounts", data={"email": clinician.email, **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and words in html
    assert all(f'value="{v}"' in html for v in data.values() if v)
    assert counts() == before


@pytest.mark.parametrize("who", ["trainer", "clinician"])
def test_coordinator_pages_are_refused_to_others(client, auth, request, who):
    person = request.getfixturevalue(who)
    auth.login(person.email)
    assert client.get("/courses/lms-accounts").status_code == 403
    assert client.post("/courses/lms-accounts/import", **_csv("email,name\r\n")).status_code == 403


def test_csv_links_every_row_and_a_second_upload_changes_nothing(
    client, auth, coordinator, clinician, bo, counts
):
    auth.login(coordinator.email)
    text = "\ufeffEmail,Name,Home_Page\r\nana@example.test,1234,\r\nbo@example.test,bo.lee,\r\n"
    response = client.post("/courses/lms-accounts/import", **_csv(text, MOODLE + "/"))
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Linked 2 account(s); 0 were already linked." in html
    links = {(a.user_id, a.home_page, a.name) for a in LmsAccount.select()}
    assert links == {(clinician.id, MOODLE, "1234"), (bo.id, MOODLE, "bo.lee")}
    before = counts()
    again = client.post("/courses/lms-accounts/import", **_csv(text, MOODLE))
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Linked 0 account(s); 2 were already linked." in html
    assert counts() == before


def test_csv_is_all_or_nothing_and_lists_every_bad_row(
    client, auth, coordinator, association, clinician, bo, make_user, make_association, counts
):
    _link(coordinator, association, bo, "taken")
    other = make_association("OH", "Other Association")
    make_user("cy@other.test", assoc=other)
    text = (
        "email,username,home_page\r\n"
        f"ana@example.test,1234,{MOODLE}\r\n"  # good
        f"cy@other.test,55,{MOODLE}\r\n"  # a clinician of another association
        "ana@example.test,1235,moodle\r\n"  # not an address
        f"ana@example.test,1234,{MOODLE}/\r\n"  # the same account as line 2
        f"ana@example.test,taken,{MOODLE}\r\n"  # Bo's
        f"ana@example.test,,{MOODLE}\r\n"  # no name
    )
    auth.login(coordinator.email)
    before = counts()
    response = client.post("/courses/lms-accounts/import", **_csv(text))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was linked" in html
    for expected in (
        "Line 3, email: no clinician of your association has it",
        "Line 4, home_page: Give the address",
        "Line 5, name: the same account as line 2",
        "Line 6, name: this account is linked to another clinician of your association",
        "Line 7, name: Give your user name",
    ):
        assert expected in html
    assert counts() == before


@pytest.mark.parametrize(
    ("content", "home_page", "words"),
    [
        (b"email,name\r\nana@example.test,1\r\n", "", "missing column home_page"),
        (b"email,home_page\r\nana@example.test,https://m.org\r\n", "", "missing column name"),
        (b"email,name,email\r\n", MOODLE, "the column email appears twice"),
        (b"", MOODLE, "the file is empty"),
        (b"email,name\r\n", MOODLE, "no rows under the header"),
        ("email,name\r\n".encode("utf-16"), MOODLE, "not UTF-8"),
        (b"email,name\r\n\xff\xfe,1\r\n", MOODLE, "not UTF-8"),
        (b"email,name\r\nana@example.test,1\r\n", "moodle", "Give the address"),
    ],
)
def test_bad_files_are_refused_whole(
    coordinator, clinician, actor, association, content, home_page, words
):
    report = lms_accounts.import_links(
        actor(coordinator), association, io.BytesIO(content), home_page=home_page
    )
    assert not report.ok and words in " ".join(m for _, _, m in report.errors)
    assert LmsAccount.select().count() == 0


def test_coordinator_of_another_association_links_nobody_here(
    coordinator, clinician, actor, association, make_user, make_association
):
    other = make_association("OH", "Other Association")
    elsewhere = make_user("coord@other.test", roles=("coordinator",), assoc=other)
    with pytest.raises(NotFound):
        lms_accounts.link_for(actor(elsewhere), association, clinician.email, MOODLE, "1")
    with pytest.raises(CourseError, match="No clinician"):
        lms_accounts.link_for(actor(elsewhere), other, clinician.email, MOODLE, "1")
    assert LmsAccount.select().count() == 0


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files_link(
    coordinator, clinician, bo, actor, association, sep
):
    rows = ["\ufeffEmail", "User Name", "home page"], ["ana@example.test", "1234", MOODLE]
    more = ["bo@example.test", "bo;lee" if sep == "\t" else '"bo;lee"', ""]
    text = "\r\n".join(sep.join(r) for r in (*rows, more)) + "\r\n"
    report = lms_accounts.import_links(
        actor(coordinator), association, io.BytesIO(text.encode()), home_page=MOODLE
    )
    assert report.ok and report.created == 2, report.errors
    links = {(a.user_id, a.name) for a in LmsAccount.select()}
    assert links == {(clinician.id, "1234"), (bo.id, "bo;lee")}


def test_a_bad_row_names_its_line_and_column(coordinator, clinician, actor, association):
    text = f"email;name;home_page\r\n\r\nana@example.test;;{MOODLE}\r\n"
    report = lms_accounts.import_links(actor(coordinator), association, io.BytesIO(text.encode()))
    (error,) = report.errors
    assert (error.line, error.column) == (3, "name")
    assert str(error).startswith("line 3, name: Give your user name")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"email,name\r\n" + b"a@example.test,1\r\n" * (lms_accounts.MAX_ROWS + 1),
            (lms_accounts.MAX_ROWS + 2, "file", "more than 20,000 rows; split the file"),
        ),
        (
            b"email,name\r\na@example.test," + b"x" * (lms_accounts.MAX_CELL + 1) + b"\r\n",
            (2, "name", "is longer than 1,000 characters"),
        ),
        (
            b"email,name\r\n" + b"a" * lms_accounts.MAX_FILE_BYTES,
            (0, "file", "the file is larger than 2 MB"),
        ),
        (b'email,name\r\n"a@example.test,1\r\n', (2, "file", "cannot be read as CSV")),
    ],
)
def test_file_guards_refuse_the_whole_file(
    coordinator, clinician, actor, association, content, expected
):
    report = lms_accounts.import_links(
        actor(coordinator), association, io.BytesIO(content), home_page=MOODLE
    )
    (error,) = report.errors
    assert (error.line, error.column) == expected[:2] and error.message.startswith(expected[2])
    assert LmsAccount.select().count() == 0
