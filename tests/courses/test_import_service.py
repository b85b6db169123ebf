"""The CSV import service and command: preview, all-or-nothing commit, idempotent re-import."""

from __future__ import annotations

import codecs
import datetime as dt
import io
from pathlib import Path

import pytest

from competencies.models import Evidence
from courses import importer
from courses.models import Completion, Training
from tests.courses.conftest import TODAY

HEADER = "email,training_code,date,hours\r\n"
DAY = (TODAY - dt.timedelta(days=10)).isoformat()
DATA = Path(__file__).parent / "data"


@pytest.fixture
def setup(make_training, clinician, make_user, coordinator, actor, association):
    make_training("NBO-101", hours=3)
    make_user("bo@example.test")
    return actor(coordinator), association


def _file(text: str | bytes) -> io.BytesIO:
    return io.BytesIO(text.encode() if isinstance(text, str) else text)


def test_commit_writes_completions_and_ledger_rows(setup):
    actor, association = setup
    text = HEADER + f"ana@example.test,NBO-101,{DAY},3\r\nbo@example.test,NBO-101,{DAY},1.5\r\n"
    report = importer.commit(actor, association, _file(text))
    assert (report.total, report.written, report.existing) == (2, 2, 0)
    rows = list(Completion.select().order_by(Completion.id))
    assert [r.source for r in rows] == ["csv", "csv"] and [r.hours for r in rows] == [3.0, 1.5]
    for row in rows:
        evidence = Evidence.get_by_id(row.evidence_id)
        assert evidence.source_ref == f"completion:{row.id}" and evidence.status == "verified"


def test_reimporting_the_same_file_changes_nothing(setup, counts):
    actor, association = setup
    text = "\ufeff" + HEADER + f"ana@example.test,NBO-101,{DAY},3\r\n"
    importer.commit(actor, association, _file(text))
    before = counts()
    report = importer.commit(actor, association, _file(text))
    assert (report.written, report.existing) == (0, 1)
    before.pop("AuditLog")
    after = counts()
    after.pop("AuditLog")
    assert after == before


def test_preview_writes_nothing_and_flags_prerequisites(setup, make_training, counts):
    actor, association = setup
    base = Completion.select().count()
    advanced = make_training("ADV-2", hours=3, prerequisites=[])
    from courses import trainings

    trainings.save_training(
        actor,
        association,
        {"code": "ADV-2", "title": "Advanced", "format": "online", "hours": 3, "areas": {}},
        training=advanced,
        prerequisites=[setup[1].id and Training.get(code="NBO-101").id],
    )
    before = counts()
    text = HEADER + f"ana@example.test,ADV-2,{DAY},3\r\nbo@example.test,NBO-101,{DAY},3\r\n"
    report = importer.preview(actor, association, _file(text))
    assert counts() == before and Completion.select().count() == base
    by_line = {r.line: r for r in report.rows}
    assert by_line[2].outcome == "new" and by_line[2].missing == ["Training NBO-101"]
    assert by_line[3].missing == [] and report.flagged == 1


BAD_ROWS = [
    ("=1+1@x.org,NBO-101,{day},3", "email", "formulas"),
    ("+ana@example.test,NBO-101,{day},3", "email", "formulas"),
    ("ana@example.test,-NBO,{day},3", "training_code", "formulas"),
    ("@ana@example.test,NBO-101,{day},3", "email", "formulas"),
    ("ana@example.test,NBO-101,{day},0", "hours", "not a positive"),
    ("ana@example.test,NBO-101,{day},-1", "hours", "not a positive"),
    ("ana@example.test,NBO-101,{day},NaN", "hours", "not a number"),
    ("ana@example.test,NBO-101,{day},1e309", "hours", "not a finite"),
    ("ana@example.test,NBO-101,{day},4", "hours", "more than the training"),
    ("ana@example.test,NBO-101,2024-02-30,3", "date", "not a real date"),
    ("ana@example.test,NBO-101,03/04/2024,3", "date", "ambiguous"),
    ("ana@example.test,NBO-101,{future},3", "date", "in the future"),
    ("nobody@example.test,NBO-101,{day},3", "email", "no clinician"),
    ("far@example.test,NBO-101,{day},3", "email", "no clinician"),  # elsewhere reads as unknown
    ('"ana@example.test\nx",NBO-101,{day},3', "email", "no clinician"),
]


@pytest.mark.parametrize(("row", "column", "message"), BAD_ROWS)
def test_bad_rows_are_listed_and_nothing_is_written(
    setup, make_user, make_association, counts, row, column, message
):
    make_user("far@example.test", assoc=make_association("FAR"))
    actor, association = setup
    future = (TODAY + dt.timedelta(days=2)).isoformat()
    good = f"bo@example.test,NBO-101,{DAY},3\r\n"
    text = HEADER + good + row.format(day=DAY, future=future) + "\r\n"
    before = counts()
    with pytest.raises(importer.ImportRejected) as caught:
        importer.commit(actor, association, _file(text))
    assert counts() == before  # the good row before it was rolled back too
    (bad,) = caught.value.report.bad_rows
    assert bad.line == 3
    assert any(c == column and message in m for c, m in bad.errors), bad.errors


def test_same_row_twice_in_one_file(setup, counts):
    actor, association = setup
    row = f"ana@example.test,NBO-101,{DAY},3\r\n"
    before = counts()
    with pytest.raises(importer.ImportRejected) as caught:
        importer.commit(actor, association, _file(HEADER + row + row))
    assert counts() == before
    assert caught.value.report.bad_rows[0].errors == [("row", "same as line 2")]


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (b"email,training_code,date\r\n", "header", "missing required column(s): hours"),
        (b"email,email,training_code,date,hours\r\n", "header (line 1), column 2", "twice"),
        (codecs.BOM_UTF16_LE + "email".encode("utf-16-le"), "file", "UTF-16"),
        (HEADER.encode() + b"ana@example.test,NBO-101,2024-01-0\xff,3\r\n", "line 2", "UTF-8"),
        (b"", "file", "empty"),
    ],
)
def test_file_problems_write_nothing(setup, counts, data, where, message):
    actor, association = setup
    before = counts()
    with pytest.raises(importer.ImportRejected) as caught:
        importer.commit(actor, association, _file(data))
    assert counts() == before
    (problem,) = caught.value.report.file_errors
    assert problem[0] == where and message in problem[1]


def test_quoted_fields_with_commas_and_newlines_are_read(setup):
    actor, association = setup
    text = 'email,"training_code",date,hours,external_id\r\n'
    text += f'ana@example.test,NBO-101,{DAY},3,"roster, ""A""\nsecond line"\r\n'
    report = importer.commit(actor, association, _file(text))
    assert report.written == 1
    assert Completion.get().external_id == 'roster, "A"\nsecond line'


def test_trainer_imports_only_their_trainings(setup, make_training, make_user, actor):
    _, association = setup
    other = make_user("t2@example.test", roles=("trainer",))
    with pytest.raises(importer.ImportRejected) as caught:
        importer.commit(
            actor(other), association, _file(HEADER + f"ana@example.test,NBO-101,{DAY},3\r\n")
        )
    assert caught.value.report.bad_rows[0].errors == [("training_code", "unknown training")]


def test_moodle_report_imports_completed_rows(setup, make_user):
    actor, association = setup
    make_user("ana.ortiz@example.org")
    make_user("dee.park@example.org")
    data = (DATA / "moodle_course_completion.csv").read_bytes()
    with pytest.raises(importer.ImportRejected) as caught:
        importer.commit(actor, association, _file(data))  # no training chosen
    assert caught.value.report.file_errors[0][0] == "default_training_code"
    report = importer.commit(actor, association, _file(data), training_code="NBO-101")
    assert report.written == 2 and report.skipped >= 2
    dates = sorted(c.completed_on for c in Completion.select())
    assert dates == [dt.date(2024, 4, 5), dt.date(2024, 4, 9)]
    assert {c.hours for c in Completion.select()} == {3.0}


def test_cli_imports_and_reports_bad_lines(setup, runner, tmp_path, coordinator):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + f"ana@example.test,NBO-101,{DAY},3\r\n")
    result = runner.invoke(
        args=["courses", "import-completions", str(good), "--as", coordinator.email]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 1 completion(s)" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"bo@example.test,NBO-101,{DAY},9\r\n")
    result = runner.invoke(
        args=["courses", "import-completions", str(bad), "--as", coordinator.email]
    )
    assert result.exit_code == 1
    assert "line 2, hours: 9 is more than the training's 3 hours" in result.output
    assert Completion.select().count() == 1
