"""Tests for competency framework import/export (our JSON/YAML and Moodle's CSV)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from competencies.frameworks_io import (
    MOODLE_HEADER,
    AreaDoc,
    DomainDoc,
    FrameworkDoc,
    FrameworkError,
    MoodleFields,
    demo_framework,
    dump_framework,
    dump_moodle_csv,
    load_framework,
    load_moodle_csv,
    sanitize_html,
)

DATA = Path(__file__).parent / "data"
HEADER_LINE = ",".join(f'"{h}"' for h in MOODLE_HEADER)
FRAMEWORK_ROW = ',"FW","Framework","",1,"No,Yes",,,,,,,1,"domain,competency"'

INFANT_FROM_IFA = {"IFA", "IFS", "IFRS", "IMHS", "IMHM-C", "IMHM-P", "IMHM-R"}
MENTOR = {"IMHM-C", "IMHM-P", "IMHM-R", "ECMHM-C", "ECMHM-P", "ECMHM-R"}


def deep_doc() -> FrameworkDoc:
    """Build a three-level framework using every optional field."""
    return FrameworkDoc(
        name="Deep, framework",
        version="2025.1 & later",
        idnumber="DEEP",
        description="<p>About <em>this</em>.</p>",
        scale="Not yet,Yes",
        domains=(
            DomainDoc(
                "D1",
                "Domain one",
                "<p>First</p>",
                areas=(
                    AreaDoc(
                        "A,1",
                        "Area with comma id",
                        categories=("IFS", "IMHS"),
                        related=("B1",),
                        children=(
                            AreaDoc("A1-x", "Leaf x", "<p>x</p>", ("IMHS",)),
                            AreaDoc(
                                "A1-y",
                                "Leaf y",
                                moodle=MoodleFields(
                                    rule_type="core_competency\\competency_rule_points",
                                    rule_outcome=2,
                                    rule_config='{"base":{"points":2}}',
                                    exported_id="42",
                                    scale_values="a,b,c",
                                    scale_configuration='[{"scaleid":"3"}]',
                                ),
                            ),
                        ),
                    ),
                ),
                categories=("IFA",),
            ),
            DomainDoc("D2", "Domain two", areas=(AreaDoc("B1", "Area b", related=("A,1",)),)),
            DomainDoc("D3", "Empty domain"),
        ),
        taxonomies=("domain", "competency", "indicator"),
    )


def minimal(**domain_overrides: object) -> dict:
    domain = {"id": "TF", "name": "Theoretical Foundations", "areas": []}
    domain.update(domain_overrides)
    return {"framework": {"name": "F", "idnumber": "F1"}, "domains": [domain]}


def csv_bytes(*rows: str, header: str = HEADER_LINE) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def errors_of(exc: pytest.ExceptionInfo[FrameworkError]) -> list[str]:
    return [str(e) for e in exc.value.errors]


# --------------------------------------------------------------------------- demo framework


def test_demo_framework_has_the_ten_domains_in_order() -> None:
    doc = demo_framework()
    assert doc.name == "Demo competency framework (illustrative)"
    assert doc.version == "2025"
    assert [d.name for d in doc.domains] == [
        "Theoretical Foundations",
        "Law, Regulation & Agency Policy",
        "Systems Expertise",
        "Direct Service Skills",
        "Working with Others",
        "Communicating",
        "Thinking",
        "Reflection",
        "Administration",
        "Research & Evaluation",
    ]
    assert all(2 <= len(d.areas) <= 6 for d in doc.domains)
    assert all(not a.description for a in doc.areas())


def test_demo_framework_categories_follow_the_ladders() -> None:
    doc = demo_framework()
    by_domain = {d.idnumber: d for d in doc.domains}
    for domain_id in ("ADM", "RES"):
        assert all(set(a.categories) == MENTOR for a in by_domain[domain_id].areas)
    from_ifa = [a for a in doc.areas() if "IFA" in a.categories]
    assert len(from_ifa) > len(doc.areas()) / 2
    assert all(INFANT_FROM_IFA | {"ECFA", "ECFRS"} <= set(a.categories) for a in from_ifa)
    imhs_only = [a for a in doc.areas() if "IMHS" in a.categories and "IFS" not in a.categories]
    assert imhs_only and all("ECMHS" in a.categories for a in imhs_only)
    # A lower category never gets an area its higher categories lack.
    assert set(doc.areas_for("IFA")) <= set(doc.areas_for("IFS")) <= set(doc.areas_for("IMHS"))
    assert doc.node("TF-ATTACH").name == "Attachment, separation, trauma, grief & loss"
    assert [a.idnumber for a in doc.node("REF").children][:2] == ["REF-CONTEMPLATE", "REF-SELF"]


def test_demo_framework_round_trips_through_every_format() -> None:
    doc = demo_framework()
    assert load_framework(dump_framework(doc, "yaml"), "yaml") == doc
    assert load_framework(dump_framework(doc, "json"), "json") == doc
    assert load_moodle_csv(io.BytesIO(dump_moodle_csv(doc))) == doc


# --------------------------------------------------------------------------- our format


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_our_format_round_trip_is_exact(fmt: str) -> None:
    doc = deep_doc()
    text = dump_framework(doc, fmt)  # type: ignore[arg-type]
    again = load_framework(text, fmt)  # type: ignore[arg-type]
    assert again == doc
    assert dump_framework(again, fmt) == text  # type: ignore[arg-type]


def test_json_and_yaml_share_one_structure() -> None:
    doc = deep_doc()
    from_json = json.loads(dump_framework(doc, "json"))
    from_yaml = yaml.safe_load(dump_framework(doc, "yaml"))
    assert from_json == from_yaml
    assert from_json["domains"][0]["areas"][0]["children"][1]["moodle"]["rule_outcome"] == 2
    assert load_framework(from_json) == doc  # an already parsed mapping is accepted


def test_yaml_numbers_for_version_and_id_are_read_as_text() -> None:
    doc = load_framework("framework: {name: F, idnumber: 7, version: 2025}\ndomains: []\n", "yaml")
    assert (doc.idnumber, doc.version) == ("7", "2025")


def test_unknown_category_codes_are_not_errors() -> None:
    data = minimal(areas=[{"id": "TF-X", "name": "X", "categories": ["ZZZ-NEW", "IFA"]}])
    doc = load_framework(data)
    assert doc.areas()[0].categories == ("ZZZ-NEW", "IFA")
    assert doc.areas_for("ZZZ-NEW") == doc.areas()


def test_our_format_reports_every_error_with_its_path() -> None:
    data = {
        "framework": {"name": "F", "colour": "red"},
        "domains": [
            {"id": "TF", "name": "A", "areas": [{"id": "TF-1", "name": "one"}]},
            {"id": "TF", "name": "B", "areas": [{"name": "no id"}, {"id": "TF-1"}]},
            {
                "id": "X",
                "name": "C",
                "areas": [{"id": "X-1", "name": "x", "colour": 1, "related": ["NOPE"]}],
            },
        ],
        "extra": True,
    }
    with pytest.raises(FrameworkError) as exc:
        load_framework(data)
    found = errors_of(exc)
    expected = [
        "extra: unknown key",
        "framework.colour: unknown key",
        "framework.idnumber: is missing",
        "domains[1].id: duplicate id 'TF' (first at domains[0].id)",
        "domains[1].areas[0].id: is missing",
        "domains[1].areas[1].id: duplicate id 'TF-1' (first at domains[0].areas[0].id)",
        "domains[1].areas[1].name: is missing",
        "domains[2].areas[0].colour: unknown key",
        "domains[2].areas[0].related[0]: no competency with id 'NOPE'",
    ]
    for text in expected:
        assert any(e.startswith(text) for e in found), (text, found)
    assert len(found) == len(expected)
    assert all(hasattr(e, "where") and hasattr(e, "message") for e in exc.value.errors)


def test_our_format_rejects_wrong_types_and_bad_codes() -> None:
    data = minimal(areas=[{"id": "A", "name": ["x"], "categories": ["IFS, IMHS"], "children": 3}])
    with pytest.raises(FrameworkError) as exc:
        load_framework(data)
    wheres = {e.where for e in exc.value.errors}
    assert wheres == {
        "domains[0].areas[0].name",
        "domains[0].areas[0].categories[0]",
        "domains[0].areas[0].children",
    }


def test_json_syntax_error_names_line_and_column() -> None:
    with pytest.raises(FrameworkError) as exc:
        load_framework('{\n  "framework": {"name": "F",}\n}')
    assert exc.value.errors[0].where == "line 2, column 29"


def test_yaml_syntax_error_names_line() -> None:
    with pytest.raises(FrameworkError) as exc:
        load_framework("framework:\n  name: [unclosed\ndomains: []\n", "yaml")
    assert exc.value.errors[0].where.startswith("line 3")


def test_bad_yaml_fixture_reports_all_problems() -> None:
    with pytest.raises(FrameworkError) as exc:
        load_framework((DATA / "bad_framework.yaml").read_text(encoding="utf-8"), "yaml")
    assert [e.where for e in exc.value.errors] == [
        "framework.name",
        "domains[0].areas[1].id",
        "domains[1].name",
        "domains[1].areas[0].descripton",
        "domains[0].areas[1].related[0]",  # references are checked once all ids are known
    ]


# --------------------------------------------------------------------------- sanitising


def test_descriptions_keep_only_the_safe_subset() -> None:
    dirty = (
        '<p onclick="x()">Hi <strong>there</strong> <b>b</b></p><script>alert(1)</script>'
        '<style>p{}</style><a href="javascript:alert(1)">bad</a><a href="https://ok.org">ok</a>'
        '<a href="/relative">rel</a><img src="https://x.org/i.png"><ul><li>one</li></ul>'
    )
    clean = sanitize_html(dirty)
    assert clean == (
        '<p>Hi <strong>there</strong> b</p><a>bad</a><a href="https://ok.org">ok</a>'
        "<a>rel</a><ul><li>one</li></ul>"
    )
    assert AreaDoc("A", "a", dirty).description == clean
    assert sanitize_html(clean) == clean


# --------------------------------------------------------------------------- Moodle CSV


def test_moodle_round_trip_keeps_hierarchy_markers_and_moodle_fields() -> None:
    doc = deep_doc()
    data = dump_moodle_csv(doc)
    assert load_moodle_csv(io.BytesIO(data)) == doc
    assert load_moodle_csv(io.BytesIO(dump_moodle_csv(doc, bom=True))) == doc


def test_moodle_dump_shape() -> None:
    data = dump_moodle_csv(deep_doc())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert data.count(b"\r\n") == len(rows)
    assert tuple(rows[0]) == MOODLE_HEADER
    assert rows[1][:3] == ["", "DEEP", "Deep, framework"]
    assert rows[1][3] == "<p>About <em>this</em>.</p><p>Version: 2025.1 &amp; later</p>"
    assert rows[1][12:] == ["1", "domain,competency,indicator"]
    by_id = {r[1]: r for r in rows[2:]}
    assert [r[1] for r in rows[2:]] == ["D1", "A,1", "A1-x", "A1-y", "D2", "B1", "D3"]
    assert by_id["A1-x"][0] == "A,1"
    assert by_id["A,1"][3] == "<p>Applies to: IFS, IMHS</p>"
    assert by_id["B1"][10] == "A%2C1"
    assert by_id["A1-y"][7:12] == [
        "core_competency\\competency_rule_points",
        "2",
        '{"base":{"points":2}}',
        "",
        "42",
    ]
    assert by_id["D3"][7:14] == ["", "0", "null", "", "", "", ""]


def test_marker_like_text_in_a_description_survives_the_round_trip() -> None:
    doc = FrameworkDoc(
        name="F",
        version="",
        idnumber="F",
        description="<p>Version: of the text</p>",
        domains=(DomainDoc("D", "d", areas=(AreaDoc("A", "a", "<p>Applies to: IFS</p>"),)),),
    )
    again = load_moodle_csv(io.BytesIO(dump_moodle_csv(doc)))
    assert again == doc
    assert again.areas()[0].categories == ()


def test_handwritten_moodle_csv_imports_with_hierarchy_intact() -> None:
    with (DATA / "moodle_handwritten.csv").open("rb") as stream:
        doc = load_moodle_csv(stream)
    assert (doc.idnumber, doc.name, doc.version) == ("IMH-HAND", "Hand-written framework", "")
    assert doc.scale == "Not yet competent,Competent"
    assert json.loads(doc.scale_configuration or "")[0] == {"scaleid": "2"}
    assert doc.taxonomies == ("domain", "competency", "indicator")
    assert [(n.idnumber, parent, depth) for n, parent, depth in doc.walk()] == [
        ("DSS", "", 1),
        ("DSS-OBS", "DSS", 2),
        ("DSS-OBS-1", "DSS-OBS", 3),
        ("COM", "", 1),
        ("COM-LISTEN", "COM", 2),
    ]
    assert [a.idnumber for a in doc.areas()] == ["DSS-OBS-1", "COM-LISTEN"]
    obs = doc.node("DSS-OBS")
    assert obs.categories == ("IFA", "IFS", "IMHS")
    assert obs.description == "<p>Looks and listens\nbefore acting.</p>"
    assert obs.moodle == MoodleFields(
        rule_type="core_competency\\competency_rule_all", rule_outcome=1, exported_id="12"
    )
    leaf = doc.node("DSS-OBS-1")
    assert leaf.description == "<p>Notices cues during play.<br></p>"  # script removed
    assert leaf.related == ("COM-LISTEN",)
    assert doc.node("COM-LISTEN").related == ("DSS-OBS-1", "DSS-OBS")
    assert doc.node("COM-LISTEN").description == "<p>Plain text &amp; more</p>"
    assert doc.node("DSS").description == (
        '<p>Work with <strong>families</strong>; see <a href="https://example.org/dss">notes</a>.</p>'
    )


def _rows_by_id(data: bytes) -> dict[str, dict[str, str]]:
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return {row["Id number"]: row for row in reader}


def test_handwritten_moodle_csv_re_exports_to_an_equivalent_csv() -> None:
    original = (DATA / "moodle_handwritten.csv").read_bytes()
    doc = load_moodle_csv(io.BytesIO(original))
    exported = dump_moodle_csv(doc)
    assert load_moodle_csv(io.BytesIO(exported)) == doc
    before, after = _rows_by_id(original), _rows_by_id(exported)
    assert before.keys() == after.keys()
    same = ("Parent id number", "Shortname", "Scale values", "Rule type (optional)", "Taxonomy")
    for idnumber, row in before.items():
        for column in same + ("Is framework", "Exported id (optional)"):
            assert row[column] == after[idnumber][column], (idnumber, column)
        refs = "Cross-referenced competency id numbers"
        assert set(filter(None, row[refs].split(","))) == set(
            filter(None, after[idnumber][refs].split(","))
        )
    assert "Applies to: IFA, IFS, IMHS" in after["DSS-OBS"]["Description"]
    assert "<script>" not in exported.decode("utf-8")
    assert after["COM-LISTEN"]["Description format"] == "1"


def test_moodle_header_spellings_of_other_versions_and_omitted_optional_columns() -> None:
    header = (
        '"Parent ID number","ID number","Short name",Description,"Description format",'
        '"Scale values","Scale configuration","Cross referenced competency ID numbers",'
        '"Is framework",Taxonomy'
    )
    data = csv_bytes(
        ',FW,Framework,,1,"No,Yes",,,1,domain',
        ",D,Domain,,1,,,,,",
        "D,A,Area,,1,,,,,",
        header=header,
    )
    doc = load_moodle_csv(io.BytesIO(data))
    assert [(n.idnumber, p) for n, p, _ in doc.walk()] == [("D", ""), ("A", "D")]


def test_moodle_missing_parent_error_names_line_and_column() -> None:
    data = csv_bytes(
        FRAMEWORK_ROW,
        ",D,Domain,,1,,,,0,null,,,,",
        "D,A1,Area,,1,,,,0,null,,,,",
        "D,A2,Area,,1,,,,0,null,,,,",
        "D,A3,Area,,1,,,,0,null,,,,",
        "XX,A5,Area,,1,,,,0,null,,,,",
    )
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(data))
    assert errors_of(exc) == ["line 7, Parent id number: no competency with id number 'XX'"]


def test_moodle_errors_are_all_collected() -> None:
    data = csv_bytes(
        FRAMEWORK_ROW,
        ",D,Domain,,1,,,,0,null,,,,",
        ",D,Again,,1,,,,0,null,,,,",
        "D,A1,,,1,,,,0,null,,,,",
        "D,A2,Area,,1,,,,0,null,GHOST,,,",
        "D,A3,Area,,7,,,,zero,null,,,,",
        "D,A4,Area,,1,,,,0,null,,,,,extra",
        ',FW2,Second,,1,,,,,,,,1,""',
    )
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(data))
    assert errors_of(exc) == [
        "line 4, Id number: duplicate id number 'D' (first on line 3)",
        "line 5, Shortname: is empty",
        "line 6, Cross-referenced competency id numbers: no competency with id number 'GHOST'",
        "line 7, Description format: expected 0, 1, 2 or 4 (Moodle's text formats), not '7'",
        "line 7, Rule outcome (optional): expected a whole number, not 'zero'",
        "line 8: has 15 fields; the header has 14",
        "line 9, Is framework: a second framework row (the first is on line 2)",
    ]


def test_moodle_cycles_in_parent_links_are_errors() -> None:
    data = csv_bytes(
        FRAMEWORK_ROW,
        ",D,Domain,,1,,,,0,null,,,,",
        "C,A,Area,,1,,,,0,null,,,,",
        "A,B,Area,,1,,,,0,null,,,,",
        "B,C,Area,,1,,,,0,null,,,,",
        "S,S,Self,,1,,,,0,null,,,,",
    )
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(data))
    assert errors_of(exc) == [
        "line 4, Parent id number: parent links form a cycle: A -> C -> B -> A",
        "line 7, Parent id number: parent links form a cycle: S -> S",
    ]


def test_moodle_wrong_and_missing_columns_are_named() -> None:
    header = '"Parent id number","Id number","Name",Description,Colour'
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(csv_bytes(",FW,F,,red", header=header)))
    found = errors_of(exc)
    assert found[:2] == [
        "line 1, column 3: unknown column 'Name'",
        "line 1, column 5: unknown column 'Colour'",
    ]
    assert found[2].startswith("line 1: missing column(s): 'Shortname', 'Description format'")
    assert "'Is framework', 'Taxonomy'" in found[2]
    assert "Rule type" not in found[2]  # optional columns may be left out


def test_moodle_latin1_bytes_name_the_line() -> None:
    data = csv_bytes(FRAMEWORK_ROW, ",D,Domaine caf\u00e9,,1,,,,0,null,,,,").replace(
        "caf\u00e9".encode(), "caf\u00e9".encode("latin-1")
    )
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(data))
    (error,) = exc.value.errors
    assert error.where == "line 3, byte 15"
    assert "not valid UTF-8 (byte 0xE9)" in error.message


def test_moodle_bom_is_ignored_and_blank_lines_skipped() -> None:
    data = b"\xef\xbb\xbf" + csv_bytes(FRAMEWORK_ROW, "", ",D,Domain,,1,,,,0,null,,,,")
    doc = load_moodle_csv(io.BytesIO(data))
    assert doc.idnumber == "FW" and doc.domains[0].idnumber == "D"


def test_moodle_file_without_framework_row_or_empty_file() -> None:
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(csv_bytes(",D,Domain,,1,,,,0,null,,,,")))
    assert errors_of(exc) == ["(file): no framework row (a row with 'Is framework' = 1)"]
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(b""))
    assert exc.value.errors[0].where == "line 1"


def test_moodle_unterminated_quote_is_reported() -> None:
    data = csv_bytes(FRAMEWORK_ROW, ',D,"Domain,,1,,,,0,null,,,,')
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(data))
    assert "malformed CSV" in exc.value.errors[0].message


def test_hierarchies_deeper_than_the_cap_are_refused() -> None:
    chain = [f"L{i - 1},L{i},Level {i},,1,,,,0,null,,,," for i in range(1, 23)]
    chain[0] = ",L1,Level 1,,1,,,,0,null,,,,"
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(csv_bytes(FRAMEWORK_ROW, *chain)))
    assert errors_of(exc) == [
        "line 23, Parent id number: the hierarchy is deeper than 20 levels",
    ]
    node: dict = {"id": "X30", "name": "x"}
    for i in range(29, 1, -1):
        node = {"id": f"X{i}", "name": "x", "children": [node]}
    with pytest.raises(FrameworkError) as exc2:
        load_framework(minimal(areas=[node]))
    assert [e.message for e in exc2.value.errors] == ["is nested deeper than 20 levels"]


def test_moodle_import_then_our_format_round_trips() -> None:
    doc = load_moodle_csv(io.BytesIO((DATA / "moodle_handwritten.csv").read_bytes()))
    assert load_framework(dump_framework(doc, "yaml"), "yaml") == doc


def test_moodle_needs_a_binary_stream() -> None:
    with pytest.raises(TypeError, match="binary"):
        load_moodle_csv(io.StringIO("x"))  # type: ignore[arg-type]


def test_scale_configuration_is_derived_when_absent() -> None:
    doc = FrameworkDoc("F", "1", "F", scale="Low,Mid,High")
    config = json.loads(doc.scale_configuration or "")
    assert config[0] == {"scaleid": ""}
    assert config[1:] == [
        {"id": 1, "scaledefault": 1, "proficient": 0},
        {"id": 3, "scaledefault": 0, "proficient": 1},
    ]
    assert FrameworkDoc("F", "1", "F").scale_configuration is None


def resep(data: bytes, sep: str) -> bytes:
    """Return a comma-separated file re-written with another delimiter."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("sep", [";", "\t"])
def test_moodle_semicolon_and_tab_separated_files_import(sep: str) -> None:
    # A spreadsheet in much of Europe saves ';'; a Moodle export reopened and saved as text, tabs.
    doc = deep_doc()
    data = b"\xef\xbb\xbf" + resep(dump_moodle_csv(doc), sep)
    assert load_moodle_csv(io.BytesIO(data)) == doc


def test_moodle_row_error_names_line_and_column_in_a_semicolon_file() -> None:
    data = resep(csv_bytes(FRAMEWORK_ROW, ",D,,,1,,,,0,null,,,,"), ";")
    assert b";" in data.splitlines()[0]
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(data))
    (error,) = exc.value.errors
    assert (error.line, error.column, error.message) == (3, "Shortname", "is empty")


def test_moodle_cell_and_row_guards() -> None:
    long = csv_bytes(FRAMEWORK_ROW, ",D,Domain," + "x" * 100_001 + ",1,,,,0,null,,,,")
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(long))
    assert errors_of(exc) == ["line 3, Description: is longer than 100,000 characters"]
    rows = [f",D{i},Domain {i},,1,,,,0,null,,,," for i in range(50_001)]
    with pytest.raises(FrameworkError) as exc:
        load_moodle_csv(io.BytesIO(csv_bytes(FRAMEWORK_ROW, *rows)))
    assert errors_of(exc) == ["line 50002: more than 50,000 rows; split the file"]
