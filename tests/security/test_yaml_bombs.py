"""YAML that costs more than it weighs is refused before it becomes Python objects: anchors and
aliases (the "billion laughs" shape) outright, with the line and column; deep nesting, too many
nodes and too much text by their limits. Every loader of the app goes through the one in
lms.documents, so each entry point refuses the same documents."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import yaml

from lms import documents

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
DEEP = "[" * 5000 + "]" * 5000
MERGE = "base: &base {hours: 3}\nitem:\n  <<: *base\n"


def test_billion_laughs_is_refused_at_the_first_anchor(monkeypatch):
    constructed = []
    original = yaml.SafeLoader.construct_document
    monkeypatch.setattr(
        yaml.SafeLoader,
        "construct_document",
        lambda self, node: constructed.append(node) or original(self, node),
    )
    with pytest.raises(documents.DocumentError) as caught:
        documents.load_yaml(BILLION_LAUGHS)
    assert caught.value.where == "line 1, column 4"
    assert "anchors and aliases" in caught.value.message
    assert constructed == []  # refused before a single Python object was built


def test_an_alias_alone_is_refused_with_its_place():
    with pytest.raises(documents.DocumentError) as caught:
        documents.load_yaml("a: 1\nb: *x\n")
    # PyYAML reports an undefined alias as a composer error; ours comes first and names it.
    assert caught.value.where == "line 2, column 4"
    assert "alias" in caught.value.message


def test_merge_keys_need_an_anchor_and_are_refused_too():
    with pytest.raises(documents.DocumentError, match="anchors and aliases"):
        documents.load_yaml(MERGE)


def test_deep_nesting_is_refused_by_its_depth_not_by_a_recursion_error():
    with pytest.raises(documents.DocumentError) as caught:
        documents.load_yaml(DEEP)
    assert f"deeper than {documents.MAX_DEPTH} levels" in caught.value.message
    assert caught.value.where == f"line 1, column {documents.MAX_DEPTH + 1}"


def test_too_many_nodes_are_refused_naming_the_limit():
    text = "[" + ",".join("1" for _ in range(200)) + "]"
    with pytest.raises(documents.DocumentError, match="more than 100 values"):
        documents.load_yaml(text, max_nodes=100)


def test_too_much_text_in_values_is_refused():
    text = "a: " + "x" * 2000 + "\nb: " + "y" * 2000 + "\n"
    with pytest.raises(documents.DocumentError, match="more than 3,000 characters"):
        documents.load_yaml(text, max_text=3000)


def test_json_too_deep_is_refused_not_a_recursion_error():
    with pytest.raises(documents.DocumentError, match="deeper than"):
        documents.load_json("[" * 100_000 + "]" * 100_000)


def test_an_ordinary_document_loads_as_before():
    text = "name: Rules\nversion: 2\nitems:\n  - {a: 1, b: [x, y]}\n  - 2024-01-31\n"
    assert documents.load_yaml(text) == yaml.safe_load(text)


def test_shipped_documents_load_within_the_limits():
    from competencies.frameworks_io import demo_framework
    from competencies.rules import default_rule_sets

    assert len(default_rule_sets()) == 2
    assert demo_framework().areas()


def test_rule_set_upload_refuses_a_bomb_naming_the_place():
    from competencies.rules import RuleSetError, parse_rule_set_text

    with pytest.raises(RuleSetError) as caught:
        parse_rule_set_text(BILLION_LAUGHS, "yaml")
    problem = caught.value.errors[0]
    assert "line 1, column 4" in str(problem) and "anchors and aliases" in str(problem)


def test_rule_set_json_too_deep_is_a_rule_set_error():
    from competencies.rules import RuleSetError, parse_rule_set_text

    with pytest.raises(RuleSetError, match="deeper than"):
        parse_rule_set_text("[" * 100_000 + "]" * 100_000, "json")


def test_framework_import_refuses_a_bomb_naming_the_place():
    from competencies.frameworks_io import FrameworkError, load_framework

    with pytest.raises(FrameworkError) as caught:
        load_framework(BILLION_LAUGHS, fmt="yaml")
    assert "line 1, column 4" in str(caught.value) and "anchors and aliases" in str(caught.value)


def test_framework_import_refuses_deep_yaml():
    from competencies.frameworks_io import FrameworkError, load_framework

    with pytest.raises(FrameworkError, match="deeper than"):
        load_framework(io.StringIO(DEEP).read(), fmt="yaml")


@pytest.mark.parametrize("text", [BILLION_LAUGHS, DEEP, MERGE])
def test_portfolio_refuses_bombs(text):
    from competencies.portfolio import PortfolioError, parse_portfolio_text

    with pytest.raises(PortfolioError) as caught:
        parse_portfolio_text(text)
    message = str(caught.value)
    assert "anchors and aliases" in message or "deeper than" in message


def test_planner_page_refuses_a_bomb_with_400(app, client, make_user, auth):
    from competencies.rulesets import install_defaults

    install_defaults()
    make_user("planner@example.test")
    auth.login("planner@example.test")
    page = client.get("/competencies/planner")
    assert page.status_code == 200
    category = "IMHS"
    response = client.post(
        "/competencies/planner", data={"category": category, "portfolio": BILLION_LAUGHS}
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "anchors and aliases" in body and "line 1, column 4" in body


def test_moodle_csv_json_cell_too_deep_is_a_line_error_not_a_crash():
    import csv

    from competencies.frameworks_io import MOODLE_HEADER, FrameworkError, load_moodle_csv

    deep = "[" * 30_000 + "]" * 30_000  # within the CSV field limit, past Python's recursion
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MOODLE_HEADER)
    row = ["", "FW-1", "Framework", "", 1, "A,B", deep, "", "", "", "", "", 1, "domain,area"]
    writer.writerow(row)
    with pytest.raises(FrameworkError) as caught:
        load_moodle_csv(io.BytesIO(out.getvalue().encode()))
    assert "line 2, Scale configuration" in str(caught.value)
    assert "deeper than" in str(caught.value)


def test_an_impossible_yaml_date_is_a_problem_at_its_line_not_a_crash():
    from lms.documents import DocumentError, load_yaml

    with pytest.raises(DocumentError) as caught:
        load_yaml("name: Rules\neffective: 2025-13-01\n")
    assert caught.value.where == "line 2, column 12"
    assert "2025-13-01 is not a real date" in caught.value.message
    assert load_yaml("effective: 2025-12-01\n") == {"effective": dt.date(2025, 12, 1)}


def test_the_planner_refuses_a_yaml_portfolio_with_an_impossible_date(app, client, make_user, auth):
    from competencies.rulesets import install_defaults

    install_defaults()
    make_user("planner@example.test")
    auth.login("planner@example.test")
    portfolio = "evidence:\n  - kind: training\n    date: 2025-02-30\n    hours: 3\n"
    response = client.post(
        "/competencies/planner", data={"category": "IMHS", "portfolio": portfolio}
    )
    assert response.status_code == 400
    assert "2025-02-30 is not a real date" in response.get_data(as_text=True)
